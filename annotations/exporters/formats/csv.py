"""CSV: one span a row, with its article, its text and 32 code points of context.

`sources` is a compact JSON array in one cell (url, title, publisher, stance,
quoted_passage, accessed_on), so a spreadsheet shows it and a script can still parse it.
Articles without spans have no row. UTF-8 without a byte-order mark, RFC 4180 quoting
(CRLF between rows; newlines inside a cell are kept, quoted).

Spreadsheet-safe by default (OWASP, "CSV injection"): a text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return would be run as a formula by Excel, LibreOffice
or Google Sheets, so it is written with a leading `'`, which they show as text. That
applies to every text column (title, text, prefix, suffix, speaker, note, annotator,
label...); numbers stay numbers, and the sources cell is JSON, which starts with `[`.
`ExportOptions(csv_raw=True)` (`--csv-raw`, the export page's "raw cells" box) writes
every cell exactly as stored, for programs that read the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ...offsets import quote_selector
from ..base import CODE_POINTS, ExportFormat, ExportOptions, isoformat
from ..query import ExportArticle
from ._json import dumps

# What a spreadsheet treats as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def spreadsheet_safe(cell):
    """The cell, with a leading `'` if it is text a spreadsheet would run as a formula."""
    if cell.__class__ is str and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    safe = None if options.csv_raw else spreadsheet_safe
    for article in articles:
        for span in article.spans:
            context = quote_selector(article.text, span.start, span.end)
            row = (
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
            writer.writerow(row if safe is None else map(safe, row))
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
    description=(
        "A spreadsheet: one row per span with its article, label, text, context and sources."
    ),
    extension="csv",
    media_type="text/csv; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=20,
)
