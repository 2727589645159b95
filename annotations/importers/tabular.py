"""A spreadsheet saved as CSV (or TSV): one article a row, named by a header row.

Columns: "title" and "body" ("text" or "content" also), optional "author",
"published_at", "source_url", "publisher", "language", and "spans" (a JSON list, as in
our JSONL); any other column is kept in the import metadata ("extra_fields"). Header
names are matched without regard to case or surrounding spaces; a repeated name is
numbered ("notes (2)") and a blank one named by its place ("column 3"), so no cell is
lost under another's.

Read per RFC 4180 with the csv module (quoted fields may hold newlines, delimiters and
doubled quotes), row by row. The delimiter is sniffed from the top of the file among
, ; tab and |; a UTF-8 byte-order mark is dropped by the decoder. A file without a body
column is refused before any row is read, naming the columns it has; a bad row is
refused with the line it starts on, and the other rows still import. parse_lines()
reads from lines as they come, for a caller that streams a file from disk.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from . import jsonl, limits, strict_json
from .base import ImportFormat, ImportRefused, LineError, ParseResult, all_at_once

NAME = "csv"

_DELIMITERS = ",;\t|"
_SAMPLE_CHARS = 64 * 1024

# The csv module refuses fields over 128 KiB, less than a long article; the line bound
# (limits.MAX_LINE_CHARS) is the real limit. A process-wide setting, set once here.
csv.field_size_limit(limits.MAX_LINE_CHARS)


def parse(text: str, *, name: str = "") -> ParseResult:
    return all_at_once(parse_chunks(text, name=name))


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    """The rows' records, `size` at a time. The header is checked now, so a file without
    a body column is refused before the caller starts storing anything."""
    return parse_lines(_lines(text), size=size)


def parse_lines(lines: Iterable[str], *, size: int = 1000) -> Iterator[ParseResult]:
    """As parse_chunks, from the file's lines (each with its "\n") as they are read, for
    a caller that streams a large file instead of decoding it whole. The top of the file
    (up to 64 KiB) is read now to check the header and sniff the delimiter."""
    lines = iter(lines)
    head: list[str] = []
    held = 0
    for line in lines:
        head.append(line)
        held += len(line)
        if held >= _SAMPLE_CHARS:
            break
    columns, delimiter = _header("".join(head))
    return _rows(chain(head, lines), columns, delimiter, size)


def _rows(lines: Iterator[str], columns: _Columns, delimiter: str, size: int):
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    chunk = ParseResult(records=[])
    next(reader)  # the header, read by _header
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # The reader cannot go on past broken quoting: the rest is one unclosed field.
            chunk.refused.append((line, f"not valid CSV ({error})"))
            break
        if not any(cell.strip() for cell in row):
            continue  # a blank row, as spreadsheets leave at the end
        try:
            record = _record(columns, row)
        except LineError as error:
            chunk.refused.append((line, str(error)))
        else:
            record.line = line
            chunk.records.append(record)
        if len(chunk.records) + len(chunk.refused) >= size:
            yield chunk
            chunk = ParseResult(records=[])
    if chunk.records or chunk.refused:
        yield chunk


@dataclass(frozen=True, slots=True)
class _Columns:
    names: list[str]  # folded and distinct (_distinct)
    unnamed: frozenset[int]  # the indexes of those the header left blank


def _header(text: str) -> tuple[_Columns, str]:
    """The column names (folded) and the delimiter, or ImportRefused saying why not."""
    sample = text[:_SAMPLE_CHARS]
    delimiter = _delimiter(sample)
    try:
        # As strictly as _rows reads it again: a header only a lenient reader takes
        # ('""title') made _rows raise csv.Error before its first row.
        header = next(csv.reader(_lines(sample), delimiter=delimiter, strict=True))
    except StopIteration:
        header = []
    except csv.Error as error:
        raise ImportRefused(f"The CSV file's header row is not valid CSV ({error}).") from None
    if not any(name.strip() for name in header):
        raise ImportRefused("The CSV file has no header row naming its columns.")
    columns = _Columns(
        names=_distinct([" ".join(name.split()).lower() for name in header]),
        unnamed=frozenset(index for index, name in enumerate(header) if not name.strip()),
    )
    if not any(key in columns.names for key in jsonl.BODY_KEYS):
        found = ", ".join(f"“{name}”" for name in header if name.strip())
        raise ImportRefused(
            "The CSV file has no “body”, “text” or “content” column for the article's text; "
            f"its columns are: {found}."
        )
    return columns, delimiter


def _distinct(names: list[str]) -> list[str]:
    """Each column its own name, so that no cell is lost under another's: a repeated name
    is numbered ("notes", "notes (2)"), a blank one named by its place ("column 3"). A
    second "body" so becomes "body (2)", kept in the metadata like any unknown column."""
    taken = set(names)  # a later column written "notes (2)" keeps its name
    distinct: list[str] = []
    for place, name in enumerate(names, start=1):
        name = name or f"column {place}"
        if name in distinct:
            number = 2
            while f"{name} ({number})" in taken:
                number += 1
            name = f"{name} ({number})"
        taken.add(name)
        distinct.append(name)
    return distinct


def _delimiter(sample: str) -> str:
    """The sample's delimiter: csv.Sniffer's pick among ours, else the one the header
    line holds most of (the sniffer gives up on quoted newlines in a short sample)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(_DELIMITERS, key=first.count)


def _record(columns: _Columns, row: list[str]):
    if len(row) > len(columns.names):
        raise LineError(f"the row has {len(row)} fields, but the header names {len(columns.names)}")
    if sum(map(len, row)) > limits.MAX_LINE_CHARS:
        raise LineError(f"the row is longer than {limits.MAX_LINE_CHARS:,} characters")
    # Missing cells at the end: empty. An empty cell of an unnamed column holds nothing
    # to keep (a trailing delimiter on every line), so only a filled one is kept.
    data = {
        column: cell
        for index, (column, cell) in enumerate(zip(columns.names, row, strict=False))
        if cell or index not in columns.unnamed
    }
    spans = data.get("spans", "").strip()
    if spans:
        limits.check_json_shape(spans)
        try:
            data["spans"] = strict_json.loads(spans, field="spans")
        except json.JSONDecodeError as error:
            raise LineError(f"“spans” is not valid JSON ({error.msg})") from None
    else:
        data.pop("spans", None)
    return jsonl.record_from_object(data, format_name=NAME, keep_values=True)


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their "\\n", one at a time (no copy of the whole file)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end + 1
        yield text[start:end]
        start = end


FORMAT = ImportFormat(
    name=NAME,
    label="Spreadsheet (.csv, .tsv)",
    description=(
        "One article a row under a header row: “title” and “body” (or “text”/“content”), "
        "optionally author, published_at, source_url, publisher, language, spans; other "
        "columns are kept."
    ),
    extensions=(".csv", ".tsv"),
    parse=parse,
    # No sniff: no other format reads .csv, and one without a body column is better
    # refused by parse_chunks, which names the columns it has.
    parse_chunks=parse_chunks,
)
