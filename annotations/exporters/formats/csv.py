"""CSV: one span a row, with its article, its text and 32 code points of context.

`sources` is a compact JSON array in one cell (url, title, publisher, stance,
quoted_passage, accessed_on), so a spreadsheet shows it and a script can still parse it.
Articles without spans have no row. UTF-8 without a byte-order mark, RFC 4180 quoting
(CRLF between rows; newlines inside a cell are kept, quoted).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ...offsets import quote_selector
from ..base import CODE_POINTS, ExportFormat, ExportOptions, isoformat
from ..query import ExportArticle
from ._json import dumps

HEADER = (
    "article_id",
    "article_title",
    "span_id",
    "start",
    "end",
    "offset_unit",
    "label",
    "text",
    "prefix",
    "suffix",
    "speaker",
    "note",
    "annotator",
    "created_at",
    "sources",
)


def _sources_cell(sources) -> str:
    if not sources:
        return ""
    return dumps(
        [
            {
                "url": s.url,
                "title": s.title,
                "publisher": s.publisher,
                "stance": s.stance,
                "quoted_passage": s.quoted_passage,
                "accessed_on": isoformat(s.accessed_on),
            }
            for s in sources
        ]
    )


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for article in articles:
        for span in article.spans:
            context = quote_selector(article.text, span.start, span.end)
            writer.writerow(
                (
                    article.id,
                    article.title,
                    span.id,
                    span.start,
                    span.end,
                    CODE_POINTS,
                    span.label,
                    span.text,
                    context.prefix,
                    context.suffix,
                    span.speaker,
                    span.note,
                    span.annotator,
                    span.created_at,
                    _sources_cell(span.sources),
                )
            )
        # One chunk per article: the csv writer needs a file, the stream needs strings.
        if buffer.tell():
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():  # only the header: nothing matched
        yield buffer.getvalue()


FORMAT = ExportFormat(
    name="csv",
    label="CSV (one span a row)",
    description="A spreadsheet: one row per span with its article, label, text, context and sources.",
    extension="csv",
    media_type="text/csv; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=20,
)
