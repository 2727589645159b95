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

Streaming: pyarrow's ParquetWriter writes a row group every ROW_GROUP articles into a
pipe (formats/_binary.py) that the stream drains; memory holds one row group. pyarrow
is an optional extra (`pip install "factcheck[parquet]"`), imported when an export
starts, never when the registry loads.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache

from ..base import CODE_POINTS, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._binary import BinaryExportFormat, Pipe

ROW_GROUP = 500  # articles per row group: one batch of the export query
INSTALL = 'pip install "factcheck[parquet]"'


def pyarrow_installed() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


@cache
def schema():
    import pyarrow as pa

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


def span_row(span: ExportSpan) -> dict:
    verdict = span.verdict
    return {
        "id": span.id,
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "text": span.text,
        "speaker": span.speaker,
        "annotator": span.annotator,
        "note": span.note,
        "created_at": datetime.fromisoformat(span.created_at),
        "verdict": verdict.slug if verdict else None,
        "verdict_name": verdict.name if verdict else None,
        "verdict_value": verdict.value if verdict else None,
        "sources": [
            {"url": source.url, "title": source.title, "stance": source.stance}
            for source in span.sources
        ],
    }


def article_row(article: ExportArticle) -> dict:
    return {
        "id": article.id,
        "title": article.title,
        "text": article.text,
        "author": article.author,
        "published_at": article.published_at,
        "source_url": article.source_url,
        "publisher": article.publisher,
        "status": article.status,
        "offset_unit": CODE_POINTS,
        "spans": [span_row(span) for span in article.spans],
    }


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pipe = Pipe(positioned=True)
    with pq.ParquetWriter(pipe, schema(), compression="zstd") as writer:
        group: list[dict] = []
        for article in articles:
            group.append(article_row(article))
            if len(group) >= ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(group, schema=schema()))
                group.clear()
                yield pipe.drain()
        if group:
            writer.write_table(pa.Table.from_pylist(group, schema=schema()))
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
