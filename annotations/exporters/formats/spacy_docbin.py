"""spaCy: a DocBin (`.spacy`), one Doc per article, for training and evaluating spaCy.

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

Read it back with `DocBin().from_disk(path)` (or `from_bytes`) and `get_docs(nlp.vocab)`.

Memory: a DocBin is one serialised whole (msgpack, zlib), not a stream; it holds each
article's token arrays and strings until the end, so memory grows with the export
(roughly the text's size again, plus 8 bytes a token for each stored attribute). Filter
a large collection into several exports. spaCy is an optional extra
(`pip install "factcheck[spacy]"`), imported when an export starts, never when the
registry loads.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from functools import cache

from ..base import CODE_POINTS, ExportOptions
from ..query import ExportArticle
from ._binary import BinaryExportFormat

INSTALL = 'pip install "factcheck[spacy]"'
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


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    from spacy.tokens import DocBin

    nlp = blank_pipeline()
    docs = DocBin(store_user_data=True)
    for article in articles:
        docs.add(article_doc(nlp, article, options))
    yield docs.to_bytes()


FORMAT = BinaryExportFormat(
    name="spacy",
    label="spaCy DocBin",
    description=(
        "A .spacy DocBin for spaCy: every span in doc.spans['sc'], the non-overlapping "
        "ones as doc.ents; spans off spaCy's tokens are listed, never shifted."
    ),
    extension="spacy",
    media_type="application/octet-stream",
    offset_unit=CODE_POINTS,
    render=render,
    order=95,
    available=spacy_installed(),
    requires=INSTALL,
)
