"""CSV: one span a row, with its article, its text and 32 code points of context.

Sources are numbered columns, six per source: `source_1_url`, `source_1_title`,
`source_1_publisher`, `source_1_stance`, `source_1_quoted_passage`,
`source_1_accessed_on`, then `source_2_...`, as many as the span with the most sources
in the export needs. That number is planned before the first row (`plan`: one aggregate
query, the largest count of sources per matching span the viewer may see: another
reviewer's hidden span must not add columns), at the start of the stream. It
is capped at MAX_SOURCE_COLUMNS; a span with more sources (or one given more while the
export ran) has the rest as a compact JSON array in the last column, `more_sources`,
which is empty otherwise.

Articles without spans have no row; an export of nothing is the header alone. UTF-8,
RFC 4180 quoting (CRLF between rows; newlines inside a cell are kept, quoted). Without a
byte-order mark by default (programs read it as it is); `ExportOptions(excel=True)`
(`--excel`, the page's "For Excel" box) starts the file with one (U+FEFF), which Excel
needs to read UTF-8 instead of Windows-1252 (else curly quotes and CJK turn into
mojibake); its rows end in CRLF as always.

Spreadsheet-safe by default (OWASP, "CSV injection"): a text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return would be run as a formula by Excel, LibreOffice
or Google Sheets, so it is written with a leading `'`, which they show as text. That
applies to every text column (title, text, prefix, suffix, speaker, note, annotator,
label...); numbers stay numbers, and `more_sources` is JSON, which starts with `[`.
`ExportOptions(csv_raw=True)` (`--csv-raw`, the export page's "raw cells" box) writes
every cell exactly as stored, for programs that read the file.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Iterator

from django.db.models import Count, Max

from ...offsets import quote_selector
from ..base import CODE_POINTS, ExportFormat, ExportOptions, isoformat
from ..query import ExportArticle, ExportFilters, matching_spans
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
)
SOURCE_FIELDS = ("url", "title", "publisher", "stance", "quoted_passage", "accessed_on")
OVERFLOW = "more_sources"
# A spreadsheet of 6 x 50 source columns is already more than anyone scrolls through.
MAX_SOURCE_COLUMNS = 50
BOM = "\ufeff"


def header(source_columns: int) -> list[str]:
    numbered = [
        f"source_{number}_{name}"
        for number in range(1, source_columns + 1)
        for name in SOURCE_FIELDS
    ]
    return [*HEADER, *numbered, OVERFLOW]


def most_sources(filters: ExportFilters, viewer=None) -> int:
    """The largest number of sources on one matching span (of those the viewer's export
    holds), in one aggregate query."""
    found = (
        matching_spans(filters, viewer)
        .annotate(source_count=Count("sources"))
        .aggregate(most=Max("source_count"))["most"]
    )
    return found or 0


def plan(filters: ExportFilters, options: ExportOptions, viewer=None) -> ExportOptions:
    columns = min(most_sources(filters, viewer), MAX_SOURCE_COLUMNS)
    return dataclasses.replace(options, source_columns=columns)


def _source_values(source) -> tuple:
    return (
        source.url,
        source.title,
        source.publisher,
        source.stance,
        source.quoted_passage,
        isoformat(source.accessed_on),
    )


def _source_cells(sources, columns: int) -> list:
    cells = []
    for source in sources[:columns]:
        cells.extend(_source_values(source))
    cells.extend([""] * (len(SOURCE_FIELDS) * (columns - min(len(sources), columns))))
    rest = sources[columns:]
    cells.append(
        dumps([dict(zip(SOURCE_FIELDS, _source_values(s), strict=True)) for s in rest])
        if rest
        else ""
    )
    return cells


def spreadsheet_safe(cell):
    """The cell, with a leading `'` if it is text a spreadsheet would run as a formula."""
    if cell.__class__ is str and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    # Unplanned (a caller that skipped export_stream): the fewest columns, the rest in
    # more_sources, so nothing is lost.
    columns = options.source_columns or 0
    buffer = io.StringIO()
    if options.excel:
        buffer.write(BOM)
    writer = csv.writer(buffer)  # RFC 4180: CRLF line ends
    writer.writerow(header(columns))
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
                *_source_cells(span.sources, columns),
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
        "A spreadsheet: one row per span with its article, label, text, context and "
        "numbered source columns."
    ),
    extension="csv",
    media_type="text/csv; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=20,
    uses_relations=False,
    plan=plan,
)
