"""The rows every export reads: filtered articles with their spans, sources and links.

`export_articles` (the stream a format reads) and `export_summary` (the page's counts)
are what the rest of the app calls; each module holds one step:

- `filters`: ExportFilters and the layer it names (parse_layer), the limits a filter may
  name (FIRST_DAY, LAST_DAY, MAX_ID), and the querysets they choose (matching_articles,
  matching_spans, span_rows).
- `rows`: what an export yields: ExportArticle, ExportSpan, ExportSource, ExportVerdict,
  ExportRelation, and the ExportStats counted on the way.
- `summary`: counts in one query each (export_summary, rating_scale_bounds).
- `stream`: export_articles and ArticleExport, the iterator a format reads.
- `batches`: the articles' cursor cut in batches (ARTICLE_CHUNK) and each batch's queries
  for spans, sources and links (ROW_CHUNK rows a round trip).
- `spans`: one article's spans from its rows: sources merged in, links kept to exported
  spans, text order.
- `iso_datetime`: datetimes as ISO 8601 text written by the database (IsoDateTime,
  iso_utc_sql).

The constants are read where they are defined: patch `batches.ROW_CHUNK`, not the copy
here (ARTICLE_CHUNK is export_articles' default, fixed when `stream` is imported).
"""

from .batches import ARTICLE_CHUNK, ROW_CHUNK
from .filters import (
    FIRST_DAY,
    LAST_DAY,
    LAYER_ALL,
    LAYER_GOLD,
    MAX_ID,
    REVIEWER_PREFIX,
    ExportFilters,
    Layer,
    matching_articles,
    matching_spans,
    parse_layer,
    span_rows,
    spans_seen_by,
)
from .iso_datetime import IsoDateTime, iso_utc_sql
from .rows import (
    ExportArticle,
    ExportRelation,
    ExportSource,
    ExportSpan,
    ExportStats,
    ExportVerdict,
)
from .stream import ArticleExport, export_articles
from .summary import export_summary, rating_scale_bounds

__all__ = [
    "ARTICLE_CHUNK",
    "FIRST_DAY",
    "LAST_DAY",
    "LAYER_ALL",
    "LAYER_GOLD",
    "MAX_ID",
    "REVIEWER_PREFIX",
    "ROW_CHUNK",
    "ArticleExport",
    "ExportArticle",
    "ExportFilters",
    "ExportRelation",
    "ExportSource",
    "ExportSpan",
    "ExportStats",
    "ExportVerdict",
    "IsoDateTime",
    "Layer",
    "export_articles",
    "export_summary",
    "iso_utc_sql",
    "matching_articles",
    "matching_spans",
    "parse_layer",
    "rating_scale_bounds",
    "span_rows",
    "spans_seen_by",
]
