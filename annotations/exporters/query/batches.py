"""The export's queries: the articles' cursor, cut in batches, and each batch's spans,
sources and links.

Articles come from one cursor (`.iterator()`: a server-side cursor on PostgreSQL), in
batches of `chunk_size`. For each batch there is one query for its spans (label, author,
speaker and verdict joined in), one for their sources (the cited record joined in), both
ordered the same way and merged in order, and one for the links between its spans (a
few per article, held for the batch). Memory holds one batch of articles and one
article's spans, whatever the size of the export, and the number of queries grows with
batches, never with articles or spans.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from operator import itemgetter

from django.core.exceptions import EmptyResultSet
from django.db.models import F, QuerySet
from django.db.models.lookups import In

from ...models import Evidence, Relation
from .filters import ExportFilters, matching_articles, span_rows
from .iso_datetime import IsoDateTime
from .rows import ExportArticle, ExportRelation, ExportStats
from .spans import _labelled_spans_of, _SourceMerge, _spans_of

ARTICLE_CHUNK = 500  # articles per batch: bounds the IN (...) list and the memory held
ROW_CHUNK = 2000  # rows fetched per round trip from the span and source cursors


_ARTICLE_FIELDS = (
    "id",
    "title",
    "body",
    "author",
    "published_at",
    "source_url",
    "publisher",
    "status",
)
_SPAN_FIELDS = (
    "id",
    "article_id",
    "start",
    "end",
    "quote",
    "label__slug",
    "label__name",
    "speaker__name",
    "note",
    "author__username",
    "created_iso",
    "speaker__kind",
    "speaker__role",
    "speaker__url",
    "verdict__scale__name",
    "verdict__slug",
    "verdict__name",
    "verdict__value",
    "verdict_explanation",
    "verdict_by__username",
    "verdict_iso",
)
_SOURCE_FIELDS = (
    "annotation__article_id",
    "annotation__start",
    "annotation__end",
    "annotation_id",
    "source__url",
    "source__title",
    "source__publisher",
    "stance",
    "quoted_passage",
    "source__accessed_on",
)


def _generate(
    filters: ExportFilters,
    stats: ExportStats,
    viewer,
    relations: bool,
    chunk_size: int,
    details: bool = True,
) -> Iterator[ExportArticle]:
    # A function, not a method: a generator whose frame held the ArticleExport that holds
    # the generator would be a cycle, so an export abandoned part-way would keep its
    # server-side cursor open until the garbage collector ran, and its CLOSE would then
    # land at that arbitrary moment, in whatever transaction was open on the connection
    # (in tests, a later test's: the cursor had died with its own, so the CLOSE failed and
    # aborted that one). Without the cycle, dropping the export closes its cursor at once.
    rows = (
        matching_articles(filters, viewer)
        .order_by("id")
        .values_list(*_ARTICLE_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for batch in itertools.batched(rows, chunk_size):
        if details:
            yield from _with_spans(batch, filters, stats, viewer, relations)
        else:
            yield from _with_labelled_spans(batch, filters, stats, viewer)


class _InIds(In):
    """`column IN (SELECT id ...)` or `column IN (ids)`, written for PostgreSQL as `column =
    ANY(ARRAY(SELECT id ...))` or `column = ANY(%s)` with the ids as one array.

    The list as one array, not 500 placeholders, spares psycopg (which binds them on the
    client) the parsing and quoting of each of them, three queries a batch.

    PostgreSQL turns an IN (subquery), like the join it stands for, into a join it costs
    from the tables' sizes: for a batch's few thousand spans it guesses that one pass over
    all the sources (or links) beats an index probe a span, and so reads the whole table
    once per batch. An export then grows with articles x batches, not with articles (at
    100k articles 150-190 ms a batch for each of the two, against 5-9 ms by the index:
    most of the export's time). ARRAY() is run once, before the query, and is no join:
    the planner sees an array of unknown, small length and reads by the index, however
    the spans' ids are spread across the table. SQLite already probes the index with an
    IN (subquery)'s rows.
    """

    def as_postgresql(self, compiler, connection):
        column, column_params = self.process_lhs(compiler, connection)
        if self.rhs_is_direct_value():
            ids = [value for value in self.rhs if value is not None]
            if not ids:
                raise EmptyResultSet
            array = f"{self.lhs.output_field.db_type(connection)}[]"
            return f"{column} = ANY(%s::{array})", (*column_params, ids)
        ids, ids_params = self.process_rhs(compiler, connection)
        return f"{column} = ANY(ARRAY{ids})", (*column_params, *ids_params)


def _with_spans(
    batch: tuple, filters: ExportFilters, stats: ExportStats, viewer=None, with_relations=True
) -> Iterator[ExportArticle]:
    ids = [row[0] for row in batch]
    spans_of_batch = span_rows(filters, viewer).filter(_InIds(F("article_id"), ids))
    # The sources and links of the spans exported, found from the spans' ids (_InIds).
    span_ids = spans_of_batch.order_by().values("pk")
    source_rows = Evidence.objects.filter(_InIds(F("annotation_id"), span_ids))
    # Spans and sources come in the same order, (article, start, end, span id), so merging
    # them needs no lookup table. It is the order of the (article, start, end) index, so
    # the database reads the spans without sorting them; _spans_of puts them in text order.
    spans = (
        spans_of_batch.annotate(
            created_iso=IsoDateTime("created_at"), verdict_iso=IsoDateTime("verdict_at")
        )
        .order_by("article_id", "start", "end", "id")
        .values_list(*_SPAN_FIELDS)
        .iterator(chunk_size=ROW_CHUNK)
    )
    sources = (
        source_rows.order_by(
            "annotation__article_id", "annotation__start", "annotation__end", "annotation_id", "id"
        )
        .values_list(*_SOURCE_FIELDS)
        .iterator(chunk_size=ROW_CHUNK)
    )
    merge = _SourceMerge(sources)
    relations = _relations_of(span_ids) if with_relations else {}
    yield from _merged(
        batch, spans, lambda body, rows: _spans_of(body, rows, merge, relations, stats), stats
    )


def _merged(batch: tuple, spans, spans_of, stats: ExportStats) -> Iterator[ExportArticle]:
    """The batch's articles, each with its spans: `spans` are rows in article order (the
    article id second), `spans_of(body, rows)` makes one article's ExportSpans."""
    groups = itertools.groupby(spans, key=itemgetter(1))
    group = next(groups, None)
    for article_id, title, body, author, published_at, source_url, publisher, status in batch:
        article = ExportArticle(
            article_id, title, body, author, published_at, source_url, publisher, status, []
        )
        # An article deleted mid-export leaves no spans; one added mid-export has none yet.
        while group is not None and group[0] < article_id:
            group = next(groups, None)
        if group is not None and group[0] == article_id:
            article.spans = spans_of(body, group[1])
            group = next(groups, None)
        stats.articles += 1
        stats.spans += len(article.spans)
        yield article


def _with_labelled_spans(
    batch: tuple, filters: ExportFilters, stats: ExportStats, viewer=None
) -> Iterator[ExportArticle]:
    """_with_spans for ArticleExport.labels_only: one query a batch, the spans with their
    label."""
    ids = [row[0] for row in batch]
    spans_of_batch = span_rows(filters, viewer).filter(_InIds(F("article_id"), ids))
    spans = (
        spans_of_batch.order_by("article_id", "start", "end", "id")
        .values_list("id", "article_id", "start", "end", "quote", "label__slug", "label__name")
        .iterator(chunk_size=ROW_CHUNK)
    )
    yield from _merged(
        batch, spans, lambda body, rows: _labelled_spans_of(body, rows, stats), stats
    )


def _relations_of(span_ids: QuerySet) -> dict[int, list[ExportRelation]]:
    """The links starting from these spans (the ids of a batch's exported spans), by
    span, in the order they were made. Links join two spans of one article
    (services.relations), so the batch's spans are the only ones they can point at."""
    found: dict[int, list[ExportRelation]] = {}
    rows = (
        Relation.objects.filter(_InIds(F("from_span_id"), span_ids))
        .order_by("id")
        .values_list("from_span_id", "to_span_id", "type")
        # Large fetches: without iterator() Django reads a result 100 rows a call.
        .iterator(chunk_size=ROW_CHUNK)
    )
    for from_id, to_id, kind in rows:
        found.setdefault(from_id, []).append(ExportRelation(to_id, kind))
    return found
