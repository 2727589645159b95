"""spaCy: DocBins (`.spacy`), one Doc per article, for training and evaluating spaCy.

The file is a ZIP of DocBins of DOCS_PER_BIN articles each, `docs-00001.spacy`,
`docs-00002.spacy`... in article order (at least one, empty for an export of nothing).
Unzipped, the folder is what `spacy train` takes as a corpus (`--paths.train folder/`:
spaCy reads every .spacy file in it), and each file loads with `DocBin().from_disk`.

- Tokens: words (letters, digits and their combining marks), each other character (with
  its marks; one emoji is one token) and runs of white space, as formats/_spacy_tokens.py
  defines them: close to spaCy's blank tokenizer on words and punctuation, and finer
  where it differs (it splits "don't" into "don", "'", "t"), so more spans fall on token
  boundaries. `spacy train` aligns these reference tokens with its own pipeline's, as
  it does for any corpus.
- `doc.spans["sc"]`: every span, overlaps kept, labelled with its label's slug and its
  span id as the Span's `id_`.
- `doc.ents`: the spans that do not overlap, choosing as CoNLL does (the one starting
  first wins, the longer one on a tie).
- A span is placed only where it falls exactly on tokens (as the loaded Doc's
  `char_span(start, end, alignment_mode="strict")` finds it); any other is never widened
  or shifted to the tokens around it: it is left out of the Doc, listed in
  `doc.user_data["misaligned_spans"]` (id, start, end, text) and counted
  (options.notes.misaligned, printed by the command).
- `doc.user_data`: `article_id`, `title`, `source_url`, `offset_unit` and the misaligned
  spans. Offsets are Python code points, which is what spaCy's character offsets are.

Read each back with `DocBin().from_disk(path)` (or `from_bytes`) and `get_docs(nlp.vocab)`.

Memory and speed: a Doc needs of a span its offsets, text, label and id, so the export
reads those alone (ArticleExport.labels_only: one query a batch, no sources, links,
speakers or verdicts). The DocBins are written by formats/_docbin.py, without importing
spaCy (~70 MB) or building a Doc per article; a DocBin is one serialised whole (msgpack,
zlib), not a stream, so memory is bounded by one DocBin of DOCS_PER_BIN articles,
whatever the export's size (an article far larger than that still costs its own size a
few times over). The ZIP is streamed (formats/_binary.py's pipe) and its members stored
uncompressed (a DocBin is zlib-compressed already). spaCy is an optional extra
(`pip install "factcheck[spacy]"`): the format is listed when it is installed (reading the
files needs it, and it brings srsly, which writes them); the registry never imports it.
"""

from __future__ import annotations

import importlib.util
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from ..base import CODE_POINTS, ExportOptions
from ..query import ArticleExport, ExportArticle
from ._binary import BinaryExportFormat, Pipe

if TYPE_CHECKING:
    from ._docbin import DocBinWriter, Span

INSTALL = 'pip install "factcheck[spacy]"'
# A DocBin is held whole until it is written: these bound memory, whatever the articles'
# length (a token costs 32 bytes in the table, and about as much again on its way out).
DOCS_PER_BIN = 200
BIN_TOKENS = 50_000
BATCH_SIZE = 200  # articles per batch of the export query (ARTICLE_CHUNK is 500): memory


def spacy_installed() -> bool:
    return importlib.util.find_spec("spacy") is not None


def non_overlapping(placed: list[tuple[int, int, Span]]) -> list[tuple[int, int, Span]]:
    """The placed spans that do not overlap, in text order: the earlier first, the longer
    on a tie (by token indices, which strict alignment makes exact)."""
    kept = []
    taken_until = -1
    for first, last, span in sorted(placed, key=lambda p: (p[0], -p[1])):
        if first >= taken_until:
            kept.append((first, last, span))
            taken_until = last
    return kept


def add_article(docs: DocBinWriter, article: ExportArticle, options: ExportOptions) -> None:
    from ._docbin import Span

    tokens = docs.tokenize(article.text)
    placed, misaligned = [], []
    found_at = tokens.char_spans([(span.start, span.end) for span in article.spans])
    for span, found in zip(article.spans, found_at, strict=True):
        if found is None or article.text[span.start : span.end] != span.text:
            misaligned.append(
                {"id": span.id, "start": span.start, "end": span.end, "text": span.text}
            )
        else:
            placed.append((*found, Span(span.start, span.end, span.label, str(span.id))))
    user_data = {
        "article_id": article.id,
        "title": article.title,
        "source_url": article.source_url,
        "offset_unit": CODE_POINTS,
        "misaligned_spans": misaligned,
    }
    docs.add(tokens, placed, non_overlapping(placed), user_data)
    options.notes.misaligned += len(misaligned)


def member_name(number: int) -> str:
    return f"docs-{number:05d}.spacy"


def _bins(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[DocBinWriter]:
    """The articles in DocBins of DOCS_PER_BIN articles or BIN_TOKENS tokens, whichever
    comes first, in order; one empty DocBin for no articles (a corpus of no docs)."""
    from ._docbin import DocBinWriter
    from ._spacy_tokens import Tokenizer

    tokenizer = Tokenizer()  # its cache of tokenised runs serves every bin
    docs, full = DocBinWriter(tokenizer), 0
    for article in articles:
        add_article(docs, article, options)
        if len(docs) >= DOCS_PER_BIN or docs.token_count >= BIN_TOKENS:
            yield docs
            docs, full = DocBinWriter(tokenizer), full + 1
    if len(docs) or not full:
        yield docs


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    """Each bin is packed and compressed in a thread while the next one is built (zlib
    lets go of the GIL), and written to its ZIP member, in order, when that is done."""
    if isinstance(articles, ArticleExport):
        articles = articles.labels_only()  # a span's id, offsets, text and label: no more
    pipe = Pipe()
    with (
        zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="docbin") as packer,
    ):
        waiting = None
        for number, docs in enumerate(_bins(articles, options), start=1):
            docs.seal()
            compressed = packer.submit(docs.to_bytes)
            if waiting is not None:
                yield _member(archive, pipe, *waiting)
            waiting = (number, compressed)
        yield _member(archive, pipe, *waiting)  # _bins yields at least one bin
    yield pipe.drain()  # the central directory


def _member(archive: zipfile.ZipFile, pipe: Pipe, number: int, compressed: Future) -> bytes:
    with archive.open(member_name(number), "w", force_zip64=False) as member:
        member.write(compressed.result())
    return pipe.drain()


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
    batch_size=BATCH_SIZE,
    uses_relations=False,
)
