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

Memory (issue 10: peak RSS flat, whatever the export's size):
- The arrays are made from their buffers (`pa.Array.from_buffers`), not by `pa.array`
  or `Table.from_pylist`: those import pandas (pyarrow's test for pandas objects,
  ~50 MB of RSS) though nothing here is one, and build a dict per row first.
- A row group holds about GROUP_BYTES (1 MB): the writer's page and dictionary buffers
  follow its size; larger ones cost RSS (~+6 MB at 2 MB, ~+13 MB at 4 MB), smaller
  ones save nothing more.
- Arrow allocates from the C library's malloc (import_pyarrow).
- The long free text (FREE_TEXT) has no min/max statistics: the writer holds every
  row group's metadata until the footer, and these kept two whole texts a group.
"""

from __future__ import annotations

import importlib.util
import os
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate

from ..base import CODE_POINTS, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._binary import BinaryExportFormat, Pipe

GROUP_BYTES = 1024 * 1024  # about this much data in a row group (UTF-8, 8 B a number)
ROW_GROUP = 10_000  # articles in a row group at most
INSTALL = 'pip install "factcheck[parquet]"'
# Columns written without min/max statistics: no reader filters on them, and each row
# group kept its longest and shortest article whole in the footer the writer holds.
FREE_TEXT = frozenset({"text", "spans.list.element.text", "spans.list.element.note"})
# What a row costs besides its strings' bytes: its numbers and string offsets, 8 B each.
ARTICLE_FIXED, SPAN_FIXED, SOURCE_FIXED = 10 * 8, 13 * 8, 3 * 8
CODE_POINTS_UTF8 = CODE_POINTS.encode()
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


def utf8(value: str | None) -> bytes | None:
    return None if value is None else value.encode()


def validity(values: list) -> bytes | None:
    """Arrow's validity bitmap (bit i set: value i is not null), None when none is null."""
    if all(value is not None for value in values):
        return None
    bits = bytearray((len(values) + 7) // 8)
    for index, value in enumerate(values):
        if value is not None:
            bits[index >> 3] |= 1 << (index & 7)
    return bytes(bits)


class RowGroup:
    """One row group's values, gathered column by column as the articles come: strings
    as UTF-8 bytes, timestamps as microseconds, None for null. `size` is about the bytes
    its arrays will take."""

    def __init__(self) -> None:
        self.rows = 0
        self.size = 0
        self.article: dict[str, list] = {field: [] for field in schema().names}
        del self.article["spans"]
        span_type = schema().field("spans").type.value_type
        self.span: dict[str, list] = {field.name: [] for field in span_type}
        del self.span["sources"]
        self.source: dict[str, list] = {"url": [], "title": [], "stance": []}
        self.span_offsets = [0]
        self.source_offsets = [0]

    def add(self, article: ExportArticle) -> None:
        strings = (
            article.title.encode(),
            article.text.encode(),
            article.author.encode(),
            article.source_url.encode(),
            article.publisher.encode(),
            article.status.encode(),
        )
        title, text, author, source_url, publisher, status = strings
        columns = self.article
        columns["id"].append(article.id)
        columns["title"].append(title)
        columns["text"].append(text)
        columns["author"].append(author)
        columns["published_at"].append(micros(article.published_at))
        columns["source_url"].append(source_url)
        columns["publisher"].append(publisher)
        columns["status"].append(status)
        columns["offset_unit"].append(CODE_POINTS_UTF8)
        self.size += ARTICLE_FIXED + sum(map(len, strings))
        for span in article.spans:
            self.add_span(span)
        self.span_offsets.append(len(self.span["id"]))
        self.rows += 1

    def add_span(self, span: ExportSpan) -> None:
        verdict = span.verdict
        strings = (
            span.label.encode(),
            span.text.encode(),
            span.speaker.encode(),
            span.annotator.encode(),
            span.note.encode(),
            utf8(verdict.slug) if verdict else None,
            utf8(verdict.name) if verdict else None,
        )
        label, text, speaker, annotator, note, slug, name = strings
        columns = self.span
        columns["id"].append(span.id)
        columns["start"].append(span.start)
        columns["end"].append(span.end)
        columns["label"].append(label)
        columns["text"].append(text)
        columns["speaker"].append(speaker)
        columns["annotator"].append(annotator)
        columns["note"].append(note)
        columns["created_at"].append(micros(datetime.fromisoformat(span.created_at)))
        columns["verdict"].append(slug)
        columns["verdict_name"].append(name)
        columns["verdict_value"].append(verdict.value if verdict else None)
        self.size += SPAN_FIXED + sum(len(value) for value in strings if value)
        sources = self.source
        for source in span.sources:
            url, title, stance = source.url.encode(), source.title.encode(), source.stance.encode()
            sources["url"].append(url)
            sources["title"].append(title)
            sources["stance"].append(stance)
            self.size += SOURCE_FIXED + len(url) + len(title) + len(stance)
        self.source_offsets.append(len(sources["url"]))

    def batch(self):
        """The row group as a pa.RecordBatch of schema()."""
        import pyarrow as pa

        spans_type = schema().field("spans").type
        sources_type = spans_type.value_type.field("sources").type
        sources = struct_array(self.source, sources_type.value_type)
        spans = struct_array(
            self.span,
            spans_type.value_type,
            sources=list_array(self.source_offsets, sources, sources_type),
        )
        arrays = [
            list_array(self.span_offsets, spans, spans_type)
            if field.name == "spans"
            else column_array(self.article[field.name], field.type)
            for field in schema()
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=schema())


def column_array(values: list, kind):
    """A string, int64 or timestamp array straight from its buffers."""
    import pyarrow as pa

    mask = validity(values)
    bitmap = None if mask is None else pa.py_buffer(mask)
    if pa.types.is_string(kind):
        present = values if mask is None else [value or b"" for value in values]
        offsets = array("i", accumulate(map(len, present), initial=0))
        data = [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(present))]
    else:
        data = [
            bitmap,
            pa.py_buffer(array("q", values if mask is None else [v or 0 for v in values])),
        ]
    return pa.Array.from_buffers(kind, len(values), data)


def struct_array(columns: dict[str, list], kind, **made):
    """A struct array of `kind` from its fields' values (or arrays already `made`)."""
    import pyarrow as pa

    fields = list(kind)
    arrays = [
        made[f.name] if f.name in made else column_array(columns[f.name], f.type) for f in fields
    ]
    return pa.StructArray.from_arrays(arrays, fields=fields)


def list_array(offsets: list[int], values, kind):
    """A list array of `kind`: row i is values[offsets[i]:offsets[i + 1]]."""
    import pyarrow as pa

    ends = pa.Array.from_buffers(
        pa.int32(), len(offsets), [None, pa.py_buffer(array("i", offsets))]
    )
    return pa.ListArray.from_arrays(ends, values, type=kind)


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


def columns_with_statistics() -> list[str]:
    return [path for path in leaf_paths(schema()) if path not in FREE_TEXT]


def import_pyarrow():
    """pyarrow, its allocator chosen first if this process has not loaded it yet.

    The writer's buffers come from Arrow's process-wide default pool, fixed when pyarrow
    loads: its own default, mimalloc, held ~10 MB more at the peak than the C library's
    malloc (which also reuses what Python frees). ARROW_DEFAULT_MEMORY_POOL is
    pyarrow's documented switch; one set by the operator wins."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    import pyarrow

    return pyarrow


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    import_pyarrow()
    import pyarrow.parquet as pq

    pipe = Pipe(positioned=True)
    with pq.ParquetWriter(
        pipe, schema(), compression="zstd", write_statistics=columns_with_statistics()
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
)
