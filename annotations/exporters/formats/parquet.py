"""Parquet: one row per article, its spans a typed list of structs.

    id int64, title, text, author string, published_at timestamp[us, UTC] (null when
    unknown), source_url, publisher, status, offset_unit string,
    spans list<struct<id int64, start int64, end int64, label string, text string,
                      speaker string, annotator string, note string,
                      created_at timestamp[us, UTC], verdict string (the rating's slug,
                      null without one), verdict_name string, verdict_value int64,
                      sources list<struct<url string, title string, stance string>>>>

The schema is fixed (FIELDS), the same for every export, an empty one included, so
pandas, pyarrow, Hugging Face `datasets`, DuckDB or Spark read the same types whatever
the rows hold (a verdict that is null in every row is still a string column); `schema()`
is it as pyarrow reads it. Offsets are Python code points into `text`:
text[start:end] == span.text.

Written by formats/_parquet_writer.py, in the standard library only: no pyarrow (whose
import alone took ~95 MB of RSS), so the format is always available and an export's
memory is the other formats'. Pages are GZIP-compressed (zlib) and PLAIN-encoded; the
columns other than the long free text (FREE_TEXT) carry min/max statistics, every
column its null count.

Streaming: articles gather, column by column, into a row group of about GROUP_BYTES of
data (ROW_GROUP articles at most), written into a pipe (formats/_binary.py) that the
stream drains; memory holds one row group, whatever the articles' length, and the footer
keeps ~3 KB a row group until the end. The gatherers below write each column as Parquet
lays it out (PLAIN values end to end, one definition level a byte per entry, the
repetition levels of the list the column is under): no Python object a value.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache

from ..base import CODE_POINTS, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._binary import BinaryExportFormat, Pipe
from ._parquet_writer import (
    ColumnData,
    Leaf,
    ParquetFileWriter,
    int64,
    leaves,
    list_of,
    string,
    struct_of,
    timestamp,
)

GROUP_BYTES = 1024 * 1024  # about this much data in a row group (UTF-8, 8 B a number)
ROW_GROUP = 10_000  # articles in a row group at most
BATCH_SIZE = 200  # articles per batch of the export query (ARTICLE_CHUNK is 500): memory
# Written without min/max statistics: no reader filters on them, and they are long.
FREE_TEXT = frozenset({"text", "spans.list.element.text", "spans.list.element.note"})
# What a row costs besides its strings' bytes: its numbers and string lengths, 8 B each.
ARTICLE_FIXED, SPAN_FIXED, SOURCE_FIXED = 10 * 8, 13 * 8, 3 * 8
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

SOURCE = struct_of("element", string("url"), string("title"), string("stance"))
SPAN = struct_of(
    "element",
    int64("id"),
    int64("start"),
    int64("end"),
    string("label"),
    string("text"),
    string("speaker"),
    string("annotator"),
    string("note"),
    timestamp("created_at"),
    string("verdict"),
    string("verdict_name"),
    int64("verdict_value"),
    list_of("sources", SOURCE),
)
FIELDS = (
    int64("id"),
    string("title"),
    string("text"),
    string("author"),
    timestamp("published_at"),
    string("source_url"),
    string("publisher"),
    string("status"),
    string("offset_unit"),
    list_of("spans", SPAN),
)
LEAVES = tuple(leaves(FIELDS))
SPANS_AT, SOURCES_AT = "spans.list.element.", "spans.list.element.sources.list.element."


@cache
def schema():
    """The Arrow schema pyarrow reads the files as (every field nullable; a list's
    values are named `element`, as Parquet's standard lists name them). Needs pyarrow,
    which only readers do."""
    import pyarrow as pa

    def arrow(node):
        if node.kind == "struct":
            return pa.struct([pa.field(child.name, arrow(child)) for child in node.children])
        if node.kind == "list":
            return pa.list_(pa.field("element", arrow(node.children[0])))
        if node.kind == "timestamp":
            return pa.timestamp("us", tz="UTC")
        return pa.string() if node.kind == "string" else pa.int64()

    return pa.schema([pa.field(node.name, arrow(node)) for node in FIELDS])


def micros(when: datetime | None) -> int | None:
    """Microseconds since the epoch, as a timestamp[us, UTC] holds them; a naive datetime
    is taken to be UTC, as pyarrow takes it."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // MICROSECOND


class Strings:
    """A string column being gathered: PLAIN values (4-byte length, UTF-8) end to end,
    a definition level a byte per entry, and the least and greatest value if `ranked`."""

    __slots__ = ("definitions", "high", "low", "nulls", "present", "ranked", "values")

    def __init__(self, leaf: Leaf) -> None:
        self.values = bytearray()
        self.definitions = bytearray()
        self.present = leaf.max_definition
        self.nulls = 0
        self.ranked = leaf.name not in FREE_TEXT
        self.low = self.high = None

    def add(self, value: str | None) -> int:
        """Append a value; returns its bytes."""
        if value is None:
            self.definitions.append(self.present - 1)
            self.nulls += 1
            return 0
        piece = value.encode()
        self.values += len(piece).to_bytes(4, "little")
        self.values += piece
        self.definitions.append(self.present)
        if self.ranked:
            if self.low is None:
                self.low = self.high = piece
            elif piece < self.low:
                self.low = piece
            elif piece > self.high:
                self.high = piece
        return len(piece)

    def absent(self, level: int) -> None:
        """An entry for a row or span whose list above this column is empty."""
        self.definitions.append(level)

    def data(self, repetitions: bytearray | None) -> ColumnData:
        return ColumnData(
            self.values, self.definitions, repetitions, self.nulls, self.low, self.high
        )


class Numbers:
    """An int64 or timestamp (microseconds) column being gathered."""

    __slots__ = ("definitions", "nulls", "present", "values")

    def __init__(self, leaf: Leaf) -> None:
        self.values = array("q")
        self.definitions = bytearray()
        self.present = leaf.max_definition
        self.nulls = 0

    def add(self, value: int | None) -> None:
        if value is None:
            self.definitions.append(self.present - 1)
            self.nulls += 1
        else:
            self.values.append(value)
            self.definitions.append(self.present)

    def absent(self, level: int) -> None:
        self.definitions.append(level)

    def data(self, repetitions: bytearray | None) -> ColumnData:
        values = self.values
        low = struct.pack("<q", min(values)) if values else None
        high = struct.pack("<q", max(values)) if values else None
        return ColumnData(values.tobytes(), self.definitions, repetitions, self.nulls, low, high)


# The definition levels of the entry a row without spans, or a span without sources,
# gives the columns below: the list is there (1, or 4 for sources) and empty.
NO_SPANS, NO_SOURCES = 1, 4


class RowGroup:
    """One row group, gathered column by column as the articles come. `size` is about
    the bytes its data takes: the strings' UTF-8, 8 bytes a number or length."""

    def __init__(self) -> None:
        self.rows = 0
        self.size = 0
        self.columns = {
            leaf.name: Strings(leaf) if leaf.kind == "string" else Numbers(leaf) for leaf in LEAVES
        }
        named = self.columns.items()
        self.article = {name: column for name, column in named if "." not in name}
        self.source = {n[len(SOURCES_AT) :]: c for n, c in named if n.startswith(SOURCES_AT)}
        self.span = {
            name[len(SPANS_AT) :]: column
            for name, column in named
            if name.startswith(SPANS_AT) and not name.startswith(SOURCES_AT)
        }
        # Repetition levels, shared by the columns under each list: 0 a new row, 1 a
        # new span, 2 a new source of the same span.
        self.span_repetitions = bytearray()
        self.source_repetitions = bytearray()

    def add(self, article: ExportArticle) -> None:
        columns = self.article
        columns["id"].add(article.id)
        columns["published_at"].add(micros(article.published_at))
        self.size += ARTICLE_FIXED + (
            columns["title"].add(article.title)
            + columns["text"].add(article.text)
            + columns["author"].add(article.author)
            + columns["source_url"].add(article.source_url)
            + columns["publisher"].add(article.publisher)
            + columns["status"].add(article.status)
            + columns["offset_unit"].add(CODE_POINTS)
        )
        if article.spans:
            for number, span in enumerate(article.spans):
                self.add_span(span, 1 if number else 0)
        else:
            self.span_repetitions.append(0)
            self.source_repetitions.append(0)
            for column in (*self.span.values(), *self.source.values()):
                column.absent(NO_SPANS)
        self.rows += 1

    def add_span(self, span: ExportSpan, repetition: int) -> None:
        columns, verdict = self.span, span.verdict
        self.span_repetitions.append(repetition)
        columns["id"].add(span.id)
        columns["start"].add(span.start)
        columns["end"].add(span.end)
        columns["created_at"].add(micros(datetime.fromisoformat(span.created_at)))
        columns["verdict_value"].add(verdict.value if verdict else None)
        self.size += SPAN_FIXED + (
            columns["label"].add(span.label)
            + columns["text"].add(span.text)
            + columns["speaker"].add(span.speaker)
            + columns["annotator"].add(span.annotator)
            + columns["note"].add(span.note)
            + columns["verdict"].add(verdict.slug if verdict else None)
            + columns["verdict_name"].add(verdict.name if verdict else None)
        )
        sources, repetitions = self.source, self.source_repetitions
        if not span.sources:
            repetitions.append(repetition)
            for column in sources.values():
                column.absent(NO_SOURCES)
        for number, source in enumerate(span.sources):
            repetitions.append(2 if number else repetition)
            self.size += SOURCE_FIXED + (
                sources["url"].add(source.url)
                + sources["title"].add(source.title)
                + sources["stance"].add(source.stance)
            )

    def chunks(self) -> list[ColumnData]:
        """The column chunks, in the schema's order."""
        repetitions = {0: None, 1: self.span_repetitions, 2: self.source_repetitions}
        return [self.columns[leaf.name].data(repetitions[leaf.max_repetition]) for leaf in LEAVES]


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    pipe = Pipe()
    writer = ParquetFileWriter(pipe, FIELDS)
    group = RowGroup()
    for article in articles:
        group.add(article)
        if group.size >= GROUP_BYTES or group.rows >= ROW_GROUP:
            writer.write_row_group(group.rows, group.chunks())
            group = RowGroup()
            yield pipe.drain()
    if group.rows:
        writer.write_row_group(group.rows, group.chunks())
    writer.close()
    yield pipe.drain()  # the last row group and the footer


FORMAT = BinaryExportFormat(
    name="parquet",
    label="Parquet (one article a row)",
    description=(
        "For pandas, pyarrow, Hugging Face datasets, DuckDB and Spark: one row per article, "
        "its spans a typed list of structs with their sources."
    ),
    extension="parquet",
    media_type="application/vnd.apache.parquet",
    offset_unit=CODE_POINTS,
    render=render,
    order=90,
    batch_size=BATCH_SIZE,
)
