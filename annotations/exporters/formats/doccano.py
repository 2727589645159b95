"""doccano sequence-labelling JSONL: {"text": ..., "label": [[start, end, label], ...]}.

doccano's editor indexes text as JavaScript does, in UTF-16 code units (doccano issue
#2290), unless the project counts grapheme clusters; so offsets here are UTF-16 code units
(`"offset_unit": "utf16_code_unit"`; import into a project with "Count grapheme clusters
as one character" off). A text without emoji or other characters beyond U+FFFF has the
same offsets in both units. Labels are label slugs; the other keys become doccano
metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ...offsets import Utf16Index
from ..base import UTF16_CODE_UNITS, ExportFormat, ExportOptions
from ..query import ExportArticle
from ._json import json_line


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    for article in articles:
        utf16 = Utf16Index(article.text)
        labels = [[utf16(span.start), utf16(span.end), span.label] for span in article.spans]
        record = {
            "text": article.text,
            "label": labels,
            "article_id": article.id,
            "title": article.title,
            "offset_unit": UTF16_CODE_UNITS,
        }
        yield json_line(record)


FORMAT = ExportFormat(
    name="doccano",
    label="doccano JSONL",
    description="Text with [start, end, label] triples for doccano sequence labelling.",
    extension="doccano.jsonl",
    media_type="application/jsonl; charset=utf-8",
    offset_unit=UTF16_CODE_UNITS,
    render=render,
    order=50,
    uses_relations=False,
)
