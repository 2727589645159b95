"""Parquet: one row per article, its spans a typed list of structs.

    id int64, title, text, author string, published_at timestamp[us, UTC] (null when
    unknown), source_url, publisher, status, offset_unit string,
    spans list<struct<id int64, start int64, end int64, label string, text string,
                      speaker string, annotator string, note string,
                      created_at timestamp[us, UTC], verdict string (the rating's slug,
                      null without one), verdict_name string, verdict_value int64,
                      sources list<struct<url string, title string, stance string>>>>

The schema is fixed (SCHEMA), the same for every export, an empty one included, so
pandas, pyarrow and Hugging Face `datasets` read the same types whatever the rows hold
(a verdict that is null in every row is still a string column). Offsets are Python code
points into `text`: text[start:end] == span.text.

Streaming: articles gather, column by column, into a row group of about GROUP_BYTES of
data (ROW_GROUP articles at most), which pyarrow's ParquetWriter writes into a pipe
(formats/_binary.py) that the stream drains; memory holds one row group, whatever the
articles' length. pyarrow is an optional extra (`pip install "factcheck[parquet]"`),
imported when an export starts, never when the registry loads.

Memory (issue 10 asks for a peak RSS under 120 MB, flat with the export's size). What
an export costs besides the query's own batches: importing pyarrow (~40 MB, numpy
included), about three times a row group, and ~50 KB of footer metadata a row group
(pyarrow's writer keeps it until the end).
- The arrays are made from their buffers (`pa.Array.from_buffers`), not by `pa.array`
  or `Table.from_pylist`: those import pandas (pyarrow's test for pandas objects,
  ~50 MB of RSS) though nothing here is one, and build a dict per row first. The
  values gather as Arrow lays them out (Strings, Numbers): no Python object a value.
- A row group holds about GROUP_BYTES (1 MB); 2 MB cost ~3 MB more at the peak, 4 MB
  ~10 MB, and smaller ones add footer metadata.
- Arrow allocates from the C library's malloc (import_pyarrow).
- The long free text (FREE_TEXT) has no min/max statistics, which kept two whole texts a
  row group in that metadata, and no dictionary (its values are all different).
"""

from __future__ import annotations

import importlib.util
import os
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache

from ..base import CODE_POINTS, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._binary import BinaryExportFormat, Pipe

GROUP_BYTES = 1024 * 1024  # about this much data in a row group (UTF-8, 8 B a number)
ROW_GROUP = 10_000  # articles in a row group at most
INSTALL = 'pip install "factcheck[parquet]"'
BATCH_SIZE = 200  # articles per batch of the export query (ARTICLE_CHUNK is 500): memory
# Written without min/max statistics or a dictionary: no reader filters on them, and
# no two values are alike.
FREE_TEXT = frozenset({"text", "spans.list.element.text", "spans.list.element.note"})
# What a row costs besides its strings' bytes: its numbers and string offsets, 8 B each.
ARTICLE_FIXED, SPAN_FIXED, SOURCE_FIXED = 10 * 8, 13 * 8, 3 * 8
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def pyarrow_installed() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


@cache
def schema():
    pa = import_pyarrow()

    when = pa.timestamp("us", tz="UTC")
    source = pa.struct([("url", pa.string()), ("title", pa.string()), ("stance", pa.string())])
    span = pa.struct(
        [
            ("id", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("label", pa.string()),
            ("text", pa.string()),
            ("speaker", pa.string()),
            ("annotator", pa.string()),
            ("note", pa.string()),
            ("created_at", when),
            ("verdict", pa.string()),
            ("verdict_name", pa.string()),
            ("verdict_value", pa.int64()),
            ("sources", pa.list_(source)),
        ]
    )
    return pa.schema(
        [
            ("id", pa.int64()),
            ("title", pa.string()),
            ("text", pa.string()),
            ("author", pa.string()),
            ("published_at", when),
            ("source_url", pa.string()),
            ("publisher", pa.string()),
            ("status", pa.string()),
            ("offset_unit", pa.string()),
            ("spans", pa.list_(span)),
        ]
    )


def micros(when: datetime | None) -> int | None:
    """Microseconds since the epoch, as a timestamp[us, UTC] holds them; a naive datetime
    is taken to be UTC, as pyarrow takes it."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // MICROSECOND


def bitmap(length: int, nulls: list[int]):
    """Arrow's validity bitmap (bit i clear: value i is null), None when none is."""
    import pyarrow as pa

    if not nulls:
        return None
    bits = bytearray(b"\xff" * ((length + 7) // 8))
    for index in nulls:
        bits[index >> 3] &= ~(1 << (index & 7)) & 0xFF
    return pa.py_buffer(bits)


class Strings:
    """A string column being gathered as Arrow lays it out: the values' UTF-8 end to end
    and where each ends. Compact (no object per value), and its buffers become the
    array's without a copy."""

    __slots__ = ("data", "ends", "nulls")

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends = array("i", [0])
        self.nulls: list[int] = []

    def add(self, value: str | None) -> int:
        """Append a value; returns its bytes."""
        if value is None:
            self.nulls.append(len(self.ends) - 1)
            self.ends.append(len(self.data))
            return 0
        piece = value.encode()
        self.data += piece
        self.ends.append(len(self.data))
        return len(piece)

    def array(self, kind):
        import pyarrow as pa

        length = len(self.ends) - 1
        buffers = [bitmap(length, self.nulls), pa.py_buffer(self.ends), pa.py_buffer(self.data)]
        return pa.Array.from_buffers(kind, length, buffers)


class Numbers:
    """An int64 or timestamp (microseconds) column being gathered."""

    __slots__ = ("nulls", "values")

    def __init__(self) -> None:
        self.values = array("q")
        self.nulls: list[int] = []

    def add(self, value: int | None) -> None:
        if value is None:
            self.nulls.append(len(self.values))
            self.values.append(0)
        else:
            self.values.append(value)

    def array(self, kind):
        import pyarrow as pa

        length = len(self.values)
        return pa.Array.from_buffers(
            kind, length, [bitmap(length, self.nulls), pa.py_buffer(self.values)]
        )


def gathering(fields) -> dict:
    """A column to gather values in for each field that is not a list."""
    import pyarrow as pa

    return {
        field.name: Strings() if pa.types.is_string(field.type) else Numbers()
        for field in fields
        if not pa.types.is_list(field.type)
    }


class RowGroup:
    """One row group, gathered column by column as the articles come. `size` is about
    the bytes its arrays take: the strings' UTF-8, 8 bytes a number or offset."""

    def __init__(self) -> None:
        self.rows = 0
        self.size = 0
        spans_type = schema().field("spans").type
        sources_type = spans_type.value_type.field("sources").type
        self.article = gathering(schema())
        self.span = gathering(spans_type.value_type)
        self.source = gathering(sources_type.value_type)
        self.span_ends = array("i", [0])
        self.source_ends = array("i", [0])

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
        for span in article.spans:
            self.add_span(span)
        self.span_ends.append(len(self.span["id"].values))
        self.rows += 1

    def add_span(self, span: ExportSpan) -> None:
        columns, verdict = self.span, span.verdict
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
        sources = self.source
        for source in span.sources:
            self.size += SOURCE_FIXED + (
                sources["url"].add(source.url)
                + sources["title"].add(source.title)
                + sources["stance"].add(source.stance)
            )
        self.source_ends.append(len(sources["url"].ends) - 1)

    def batch(self):
        """The row group as a pa.RecordBatch of schema()."""
        import pyarrow as pa

        spans_type = schema().field("spans").type
        sources_type = spans_type.value_type.field("sources").type
        sources = struct_array(self.source, sources_type.value_type)
        spans = struct_array(
            self.span,
            spans_type.value_type,
            sources=list_array(self.source_ends, sources, sources_type),
        )
        arrays = [
            list_array(self.span_ends, spans, spans_type)
            if field.name == "spans"
            else self.article[field.name].array(field.type)
            for field in schema()
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=schema())


def struct_array(columns: dict, kind, **made):
    """A struct array of `kind` from its gathered columns (or arrays already `made`)."""
    import pyarrow as pa

    fields = list(kind)
    arrays = [made[f.name] if f.name in made else columns[f.name].array(f.type) for f in fields]
    return pa.StructArray.from_arrays(arrays, fields=fields)


def list_array(ends: array, values, kind):
    """A list array of `kind`: row i is values[ends[i]:ends[i + 1]]."""
    import pyarrow as pa

    offsets = pa.Array.from_buffers(pa.int32(), len(ends), [None, pa.py_buffer(ends)])
    return pa.ListArray.from_arrays(offsets, values, type=kind)


def leaf_paths(fields, prefix: str = "") -> list[str]:
    """The Parquet column paths under Arrow fields (a schema, a struct type), as
    `write_statistics` names them: a list's values are `NAME.list.element`."""
    import pyarrow as pa

    paths = []
    for field in fields:
        path, kind = prefix + field.name, field.type
        while pa.types.is_list(kind):
            path, kind = path + ".list.element", kind.value_type
        paths += leaf_paths(kind, path + ".") if pa.types.is_struct(kind) else [path]
    return paths


def import_pyarrow():
    """pyarrow, its allocator chosen first if this process has not loaded it yet.

    The writer's buffers come from Arrow's process-wide default pool, fixed when pyarrow
    loads: its own default, mimalloc, held ~15 MB more at the peak than the C library's
    malloc (which also reuses what Python frees). ARROW_DEFAULT_MEMORY_POOL is
    pyarrow's documented switch; one set by the operator wins."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    import pyarrow

    return pyarrow


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    import_pyarrow()
    import pyarrow.parquet as pq

    pipe = Pipe(positioned=True)
    plain = [path for path in leaf_paths(schema()) if path not in FREE_TEXT]
    with pq.ParquetWriter(
        pipe,
        schema(),
        compression="zstd",
        write_statistics=plain,
        use_dictionary=plain,
    ) as writer:
        group = RowGroup()
        for article in articles:
            group.add(article)
            if group.size >= GROUP_BYTES or group.rows >= ROW_GROUP:
                writer.write_batch(group.batch())
                group = RowGroup()
                yield pipe.drain()
        if group.rows:
            writer.write_batch(group.batch())
    yield pipe.drain()  # the last row group and the footer


FORMAT = BinaryExportFormat(
    name="parquet",
    label="Parquet (one article a row)",
    description=(
        "For pandas, pyarrow and Hugging Face datasets: one row per article, its spans a "
        "typed list of structs with their sources."
    ),
    extension="parquet",
    media_type="application/vnd.apache.parquet",
    offset_unit=CODE_POINTS,
    render=render,
    order=90,
    available=pyarrow_installed(),
    requires=INSTALL,
    batch_size=BATCH_SIZE,
)
