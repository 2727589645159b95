"""spaCy: DocBins (`.spacy`), one Doc per article, for training and evaluating spaCy.

The file is a ZIP of DocBins of DOCS_PER_BIN articles each, `docs-00001.spacy`,
`docs-00002.spacy`... in article order (at least one, empty for an export of nothing).
Unzipped, the folder is what `spacy train` takes as a corpus (`--paths.train folder/`:
spaCy reads every .spacy file in it), and each file loads with `DocBin().from_disk`.

- Tokens: spaCy's blank multi-language tokenizer (`spacy.blank("xx")`), the same for
  every article; no model is needed.
- `doc.spans["sc"]`: every span, overlaps kept, labelled with its label's slug and its
  span id as the Span's `id_`.
- `doc.ents`: the spans that do not overlap, choosing as CoNLL does (the one starting
  first wins, the longer one on a tie).
- A span is placed only where it falls exactly on spaCy tokens
  (`Doc.char_span(start, end, alignment_mode="strict")`); any other is never widened or
  shifted to the tokens around it: it is left out of the Doc, listed in
  `doc.user_data["misaligned_spans"]` (id, start, end, text) and counted
  (options.notes.misaligned, printed by the command).
- `doc.user_data`: `article_id`, `title`, `source_url`, `offset_unit` and the misaligned
  spans. Offsets are Python code points, which is what spaCy's character offsets are.

Read each back with `DocBin().from_disk(path)` (or `from_bytes`) and `get_docs(nlp.vocab)`.

Memory: a DocBin is one serialised whole (msgpack, zlib), not a stream, and serialising
it costs several times its docs (measured: 2,000 articles of 3,000 characters took 135 MB
to hold and 525 MB more to serialise in one DocBin). Hence several: memory is bounded by
one DocBin of DOCS_PER_BIN articles, whatever the export's size (measured: 1,000 and
4,000 articles of 3,000 characters both peak at 197 MB RSS, 126 MB of it Python, Django
and spaCy loaded); an article far larger than that still costs its own size several
times over. The ZIP is streamed (formats/_binary.py's pipe) and its members stored
uncompressed (a DocBin is zlib-compressed already). spaCy is an optional extra
(`pip install "factcheck[spacy]"`), imported when an export starts, never when the
registry loads.
"""

from __future__ import annotations

import importlib.util
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from functools import cache

from ..base import CODE_POINTS, ExportOptions
from ..query import ExportArticle
from ._binary import BinaryExportFormat, Pipe

INSTALL = 'pip install "factcheck[spacy]"'
# Articles per DocBin: serialising one costs several times its docs, so this bounds memory.
DOCS_PER_BIN = 200
TOKENIZER_LANGUAGE = "xx"  # spaCy's multi-language blank pipeline


def spacy_installed() -> bool:
    return importlib.util.find_spec("spacy") is not None


@cache
def blank_pipeline():
    import spacy

    return spacy.blank(TOKENIZER_LANGUAGE)


def non_overlapping(spans: list) -> list:
    """The spaCy spans that do not overlap, in text order: the earlier first, the longer
    on a tie (by token indices, which strict alignment makes exact)."""
    kept = []
    taken_until = -1
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start >= taken_until:
            kept.append(span)
            taken_until = span.end
    return kept


def article_doc(nlp, article: ExportArticle, options: ExportOptions):
    doc = nlp.make_doc(article.text)
    placed, misaligned = [], []
    for span in article.spans:
        found = doc.char_span(
            span.start,
            span.end,
            label=span.label,
            span_id=str(span.id),
            alignment_mode="strict",
        )
        if found is None or found.text != span.text:
            misaligned.append(
                {"id": span.id, "start": span.start, "end": span.end, "text": span.text}
            )
        else:
            placed.append(found)
    doc.spans["sc"] = placed
    doc.ents = non_overlapping(placed)
    doc.user_data.update(
        {
            "article_id": article.id,
            "title": article.title,
            "source_url": article.source_url,
            "offset_unit": CODE_POINTS,
            "misaligned_spans": misaligned,
        }
    )
    options.notes.misaligned += len(misaligned)
    return doc


def member_name(number: int) -> str:
    return f"docs-{number:05d}.spacy"


def _docbin_member(archive, pipe, number: int, batch, nlp, options) -> bytes:
    from spacy.tokens import DocBin

    docs = DocBin(store_user_data=True)
    for article in batch:
        docs.add(article_doc(nlp, article, options))
    with archive.open(member_name(number), "w", force_zip64=False) as member:
        member.write(docs.to_bytes())
    return pipe.drain()


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    nlp = blank_pipeline()
    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        number = 0
        for number, batch in enumerate(itertools.batched(articles, DOCS_PER_BIN), start=1):
            yield _docbin_member(archive, pipe, number, batch, nlp, options)
        if number == 0:  # an export of nothing: one empty DocBin, a corpus of no docs
            yield _docbin_member(archive, pipe, 1, (), nlp, options)
    yield pipe.drain()  # the central directory


FORMAT = BinaryExportFormat(
    name="spacy",
    label="spaCy DocBins (ZIP of .spacy files)",
    description=(
        "spaCy DocBins (.spacy files in a ZIP, a corpus for spacy train): every span in "
        "doc.spans['sc'], the non-overlapping ones as doc.ents; spans off spaCy's tokens "
        "are listed, never shifted."
    ),
    extension="spacy.zip",
    media_type="application/zip",
    offset_unit=CODE_POINTS,
    render=render,
    order=95,
    available=spacy_installed(),
    requires=INSTALL,
)
