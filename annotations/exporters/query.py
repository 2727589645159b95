"""The rows every export reads: filtered articles with their spans, sources and links.

Articles come from one cursor (`.iterator()`: a server-side cursor on PostgreSQL), in
batches of `chunk_size`. For each batch there is one query for its spans (label, author,
speaker and verdict joined in), one for their sources (the cited record joined in), both
ordered the same way and merged in order, and one for the links between its spans (a
few per article, held for the batch). Memory holds one batch of articles and one
article's spans, whatever the size of the export, and the number of queries grows with
batches, never with articles or spans.

A link is exported with the span it starts from, and only when the span it points at is
exported too (same article, not filtered out, not skipped), so that every `to` in a file
names a span of that file.

Filters
- labels, reviewer (the annotation's author) and annotated_from/annotated_to (the day a
  span was created) choose spans. When any of them is set, only matching spans are
  exported and articles without a matching span are left out: "the claims Rita marked
  last week" should not come with every other article attached.
- statuses, published_from/published_to (the article's published_at) and article_ids
  choose articles. Without a span filter an article with no spans is kept: a reviewed
  article with nothing to flag is data too.
- Date ranges are whole days in the site's time zone, both ends included.
- layer chooses whose spans: "all" (the default: every reviewer's spans, each naming its
  reviewer; gold spans are not in it), "gold" (the adjudicated spans, and only the
  articles whose adjudication is finished: an adjudicated article with no gold span is
  kept, since "nothing to flag" is an adjudicated answer too) or "reviewer:NAME" (that
  user's reviewer spans; a span filter, so only the articles they marked).
- collection (a slug) chooses the articles of that collection.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import CharField, Exists, F, Func, Max, Min, OuterRef, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone

from .. import permissions
from ..models import (
    Adjudication,
    Annotation,
    Article,
    Collection,
    Evidence,
    Label,
    Rating,
    Relation,
)

ARTICLE_CHUNK = 500  # articles per batch: bounds the IN (...) list and the memory held
ROW_CHUNK = 2000  # rows fetched per round trip from the span and source cursors

# The days a date filter may name. Far enough for any real article; near enough that
# "the day after" and the time zone shift stay inside what datetime and the databases
# hold (date.max + 1 day overflows in the middle of a streamed download).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
# Ids are BigAutoField values: what a 64-bit signed column holds above zero. A larger id
# overflows the query parameter (SQLite, PostgreSQL) instead of matching nothing.
MAX_ID = 2**63 - 1

LAYER_ALL, LAYER_GOLD, REVIEWER_PREFIX = "all", "gold", "reviewer:"


class Layer(NamedTuple):
    """Which spans an export holds: `kind` is an Annotation.Layer, `reviewer` a user name
    (only that reviewer's spans) or None."""

    kind: str
    reviewer: str | None = None


def parse_layer(value: str) -> Layer:
    """ "all", "gold" or "reviewer:NAME" as a Layer; ValueError with a message otherwise."""
    value = (value or LAYER_ALL).strip()
    if value == LAYER_ALL:
        return Layer(Annotation.Layer.REVIEWER)
    if value == LAYER_GOLD:
        return Layer(Annotation.Layer.GOLD)
    if value.startswith(REVIEWER_PREFIX) and value[len(REVIEWER_PREFIX) :].strip():
        return Layer(Annotation.Layer.REVIEWER, value[len(REVIEWER_PREFIX) :].strip())
    raise ValueError(
        f"Unknown layer “{value[:40]}”. Use all, gold or reviewer:NAME (e.g. reviewer:rita)."
    )


@dataclass(frozen=True, slots=True)
class ExportFilters:
    labels: tuple[str, ...] = ()  # Label slugs
    statuses: tuple[str, ...] = ()  # Article.Status values
    reviewer: str | None = None  # an annotation author's username
    annotated_from: date | None = None
    annotated_to: date | None = None
    published_from: date | None = None
    published_to: date | None = None
    article_ids: tuple[int, ...] = ()
    layer: str = LAYER_ALL  # "all", "gold" or "reviewer:NAME"
    collection: str | None = None  # a Collection slug

    def __post_init__(self):
        # The form reports these with messages a person can act on; this guards every
        # other caller, so a filter that cannot be queried fails here, before a byte of
        # the export is streamed, instead of in the middle of the file.
        for name in ("annotated_from", "annotated_to", "published_from", "published_to"):
            day = getattr(self, name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise ValueError(f"{name}: {day} is outside {FIRST_DAY} to {LAST_DAY}.")
        for article_id in self.article_ids:
            if not 1 <= article_id <= MAX_ID:
                raise ValueError(f"article_ids: {article_id} is outside 1 to {MAX_ID}.")
        parse_layer(self.layer)

    @property
    def chosen_layer(self) -> Layer:
        return parse_layer(self.layer)

    @property
    def selects_spans(self) -> bool:
        return bool(
            self.labels
            or self.reviewer
            or self.annotated_from
            or self.annotated_to
            or self.chosen_layer.reviewer
        )


@dataclass(slots=True)
class ExportSource:
    url: str
    title: str
    publisher: str
    stance: str
    quoted_passage: str
    accessed_on: date | None


@dataclass(slots=True)
class ExportVerdict:
    """A span's verdict. The rating's fields are None for an explanation given before a
    rating was chosen (kept, so that nothing a reviewer wrote is lost)."""

    scale: str | None  # RatingScale.name
    slug: str | None  # Rating.slug, unique within its scale
    name: str | None
    value: int | None  # the ordinal value: higher is truer, 0 off the scale
    explanation: str  # public
    by: str | None  # username
    at: str | None  # ISO 8601, UTC


class ExportRelation(NamedTuple):
    # A tuple of an int and a str: the garbage collector stops tracking it, which matters
    # when a batch holds tens of thousands of links.
    to: int  # the id of the span pointed at, exported in the same article
    type: str  # Relation.Type


@dataclass(slots=True)
class ExportSpan:
    id: int
    start: int  # code points into the article's text
    end: int
    text: str  # == article.text[start:end], checked before it is yielded
    label: str  # slug
    label_name: str
    speaker: str  # the speaker's name, "" for none
    note: str  # internal: never published
    annotator: str  # username
    created_at: str  # ISO 8601, UTC
    sources: list[ExportSource] = field(default_factory=list)
    speaker_kind: str = ""  # Speaker.Kind, "" without a speaker
    speaker_role: str = ""
    speaker_url: str = ""
    verdict: ExportVerdict | None = None
    # The links it starts; one shared empty tuple for the many spans that start none.
    relations: Sequence[ExportRelation] = ()


@dataclass(slots=True)
class ExportArticle:
    id: int
    title: str
    text: str  # Article.body, the canonical text
    author: str
    published_at: datetime | None
    source_url: str
    publisher: str
    status: str
    spans: list[ExportSpan] = field(default_factory=list)  # in text order


@dataclass(slots=True)
class ExportStats:
    """Counts what actually went out, for the command's summary line."""

    articles: int = 0
    spans: int = 0
    # Spans whose stored quote no longer matches the text at their offsets are never
    # exported (a consumer relies on text[start:end] == span text).
    skipped_spans: int = 0


# --- filters ----------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _span_q(filters: ExportFilters, prefix: str = "") -> Q:
    layer = filters.chosen_layer
    q = Q(**{f"{prefix}layer": layer.kind})
    if layer.reviewer:
        q &= Q(**{f"{prefix}author__username": layer.reviewer})
    if filters.labels:
        q &= Q(**{f"{prefix}label__slug__in": filters.labels})
    if filters.reviewer:
        q &= Q(**{f"{prefix}author__username": filters.reviewer})
    if filters.annotated_from:
        q &= Q(**{f"{prefix}created_at__gte": _day_start(filters.annotated_from)})
    if filters.annotated_to:
        q &= Q(**{f"{prefix}created_at__lt": _day_start(filters.annotated_to + timedelta(days=1))})
    return q


def _article_q(filters: ExportFilters, prefix: str = "") -> Q:
    q = Q()
    if filters.statuses:
        q &= Q(**{f"{prefix}status__in": filters.statuses})
    if filters.published_from:
        q &= Q(**{f"{prefix}published_at__gte": _day_start(filters.published_from)})
    if filters.published_to:
        q &= Q(
            **{f"{prefix}published_at__lt": _day_start(filters.published_to + timedelta(days=1))}
        )
    if filters.article_ids:
        q &= Q(**{f"{prefix}pk__in": filters.article_ids})
    if filters.collection:
        members = Collection.articles.through.objects.filter(collection__slug=filters.collection)
        q &= Q(**{f"{prefix}pk__in": members.values("article_id")})
    if filters.chosen_layer.kind == Annotation.Layer.GOLD:
        finished = Adjudication.objects.filter(finished_at__isnull=False).values("article_id")
        q &= Q(**{f"{prefix}pk__in": finished})
    return q


def matching_articles(filters: ExportFilters) -> QuerySet[Article]:
    articles = Article.objects.filter(_article_q(filters))
    if filters.selects_spans:
        articles = articles.filter(
            Exists(Annotation.objects.filter(_span_q(filters), article=OuterRef("pk")))
        )
    return articles


def matching_spans(filters: ExportFilters) -> QuerySet[Annotation]:
    return Annotation.objects.filter(_span_q(filters), _article_q(filters, prefix="article__"))


def export_summary(filters: ExportFilters, *, using: str = DEFAULT_DB_ALIAS) -> dict:
    """What an export with these filters would contain, in one query.

    The matching spans are read once (a CTE): grouped by label id (the labels' names
    joined to the few groups, not to every span, which would sort the whole table) and,
    when a span filter chooses the articles, their distinct articles counted from the
    same rows; otherwise the article count is the articles' own (one with no span is
    exported too). Both counts come from the filters that `export_articles` uses.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    spans_sql, spans_params = (
        matching_spans(filters).order_by().values("label_id", "article_id").query.sql_with_params()
    )
    if filters.selects_spans:
        articles_sql, articles_params = "SELECT COUNT(DISTINCT article_id) FROM s", ()
    else:
        sql, articles_params = (
            matching_articles(filters).order_by().values("pk").query.sql_with_params()
        )
        articles_sql = f"SELECT COUNT(*) FROM ({sql}) a"
    label = Label._meta
    columns = ", ".join(
        f"l.{quote(label.get_field(name).column)}" for name in ("slug", "name", "colour", "order")
    )
    sql = (
        f"WITH s AS ({spans_sql}) "
        f"SELECT {columns}, g.n FROM (SELECT label_id, COUNT(*) AS n FROM s GROUP BY label_id) g "
        f"JOIN {quote(label.db_table)} l ON l.{quote(label.pk.column)} = g.label_id "
        f"UNION ALL SELECT NULL, NULL, NULL, NULL, ({articles_sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*spans_params, *articles_params))
        rows = cursor.fetchall()
    articles = next(n for slug, *_, n in rows if slug is None)
    by_label = [
        {"label__slug": slug, "label__name": name, "label__colour": colour, "spans": n}
        for slug, name, colour, order, n in sorted(
            (row for row in rows if row[0] is not None), key=lambda row: (row[3], row[1])
        )
    ]
    return {
        "articles": articles,
        "spans": sum(row["spans"] for row in by_label),
        "by_label": by_label,
    }


def rating_scale_bounds() -> dict[str, tuple[int, int]]:
    """Each rating scale's (best, worst) ordinal values, by scale name, in one query.
    Value 0 is off the scale ("unproven") and bounds nothing."""
    rows = (
        Rating.objects.filter(value__gt=0)
        .values("scale__name")
        .annotate(best=Max("value"), worst=Min("value"))
        .values_list("scale__name", "best", "worst")
        .order_by()
    )
    return {name: (best, worst) for name, best, worst in rows}


# --- streaming --------------------------------------------------------------------------


def iso_utc_sql(sql: str) -> str:
    """PostgreSQL: a timestamptz as Python's datetime.isoformat() of it in UTC, or NULL:
    microseconds only when not zero, all six digits ("…:05.120000+00:00")."""
    utc = f"({sql} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') """
        f"|| CASE WHEN date_trunc('second', {utc}) = {utc} THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00'"
    )


class IsoDateTime(Func):
    """A datetime column as ISO 8601 text (UTC), formatted by the database when it can, so
    that the rows skip two datetime parses a span, and the isoformat() of each (the
    export's hottest cost after the JSON; on PostgreSQL Django's own loader parses them,
    in Python).

    On SQLite, Django keeps aware datetimes as naive UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]")
    so a REPLACE gives exactly Python's isoformat(); PostgreSQL formats it (iso_utc_sql).
    Elsewhere the column comes back as a datetime and `_spans_of` formats it.
    """

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"REPLACE({sql}, ' ', 'T') || '+00:00'", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return iso_utc_sql(sql), tuple(params) * 4  # the column is named four times


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


def export_articles(
    filters: ExportFilters = ExportFilters(),
    *,
    chunk_size: int = ARTICLE_CHUNK,
    stats: ExportStats | None = None,
    viewer=None,
    relations: bool = True,
    using: str | None = None,
) -> ArticleExport:
    """Every matching article, by id, with its matching spans in text order.

    Given a `viewer` (the page's user), only the spans they may see are exported
    (permissions.visible_annotations: blind collections); an editor sees every span, so
    for them the queries are the same as without one.

    The result is an iterator of ExportArticle that also tells a format what it reads
    (ArticleExport), so that a format the database can write itself (JSONL on
    PostgreSQL) skips the objects altogether. Nothing is queried before the first item.
    """
    stats = stats if stats is not None else ExportStats()
    if viewer is not None and permissions.is_desk_editor(viewer):
        viewer = None
    using = using or router.db_for_read(Article)
    return ArticleExport(filters, stats, viewer, relations, chunk_size, using)


class ArticleExport:
    """The articles of one export: iterate it for ExportArticle objects, once."""

    __slots__ = (
        "_articles",
        "chunk_size",
        "details",
        "filters",
        "relations",
        "stats",
        "using",
        "viewer",
    )

    def __init__(self, filters, stats, viewer, relations, chunk_size, using):
        self.filters, self.stats, self.viewer = filters, stats, viewer
        self.relations, self.chunk_size, self.using = relations, chunk_size, using
        self.details = True
        self._articles = None

    def __iter__(self) -> Iterator[ExportArticle]:
        return self

    def __next__(self) -> ExportArticle:
        if self._articles is None:
            self._articles = _generate(
                self.filters,
                self.stats,
                self.viewer,
                self.relations,
                self.chunk_size,
                self.details,
            )
        return next(self._articles)

    def labels_only(self) -> ArticleExport:
        """The same articles and spans for a format that reads of a span only its id,
        offsets, text and label (CoNLL): each span's speaker, note, annotator and
        created_at are "" and it has no verdict, sources or links. Its query joins the
        label alone, and the sources and links are not read at all. Call it before the
        first item; it returns the export itself."""
        if self._articles is None:
            self.details = False
        return self

    def close(self) -> None:
        """Stop reading: the cursors close now (`yield from` calls this when the stream
        around it is closed)."""
        if self._articles is not None:
            self._articles.close()

    def database_can_write_json(self) -> bool:
        """Whether PostgreSQL can write these articles' JSONL lines itself: it can when
        every matching span is exported (no viewer limited to some of them) and the
        links are wanted, and nothing has been read yet.

        Off unless FACTCHECK_EXPORT_JSONL_IN_DATABASE: it writes the same bytes with a
        quarter of Python's CPU, but on one database core it is no faster in wall time
        than Python overlapping with the database (measured on 10k articles: 3.8-4.1 s
        against 3.2-3.4 s), and a download closed mid-COPY leaves the connection
        unusable for the rest of the request. Worth it where the app servers, not the
        database, are the bottleneck."""
        return (
            getattr(settings, "FACTCHECK_EXPORT_JSONL_IN_DATABASE", False)
            and connections[self.using].vendor == "postgresql"
            and self.viewer is None
            and self.relations
            and self._articles is None
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
        matching_articles(filters)
        .order_by("id")
        .values_list(*_ARTICLE_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for batch in itertools.batched(rows, chunk_size):
        if details:
            yield from _with_spans(batch, filters, stats, viewer, relations)
        else:
            yield from _with_labelled_spans(batch, filters, stats, viewer)


def span_rows(filters: ExportFilters) -> QuerySet[Annotation]:
    """The spans an export reads, by the span filters alone (articles are chosen apart)."""
    return Annotation.objects.filter(_span_q(filters))


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
    spans_of_batch = span_rows(filters).filter(_InIds(F("article_id"), ids))
    if viewer is not None:
        spans_of_batch = permissions.visible_annotations(viewer, spans_of_batch)
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
    spans_of_batch = span_rows(filters).filter(_InIds(F("article_id"), [row[0] for row in batch]))
    if viewer is not None:
        spans_of_batch = permissions.visible_annotations(viewer, spans_of_batch)
    spans = (
        spans_of_batch.order_by("article_id", "start", "end", "id")
        .values_list("id", "article_id", "start", "end", "quote", "label__slug", "label__name")
        .iterator(chunk_size=ROW_CHUNK)
    )
    yield from _merged(
        batch, spans, lambda body, rows: _labelled_spans_of(body, rows, stats), stats
    )


def _labelled_spans_of(body: str, rows: Iterable[tuple], stats: ExportStats) -> list:
    spans = []
    for span_id, _, start, end, quote, label, label_name in rows:
        if end > len(body) or body[start:end] != quote:  # as in _spans_of
            stats.skipped_spans += 1
            continue
        spans.append(ExportSpan(span_id, start, end, quote, label, label_name, "", "", "", ""))
    if len(spans) > 1 and len({span.start for span in spans}) < len(spans):
        spans.sort(key=_text_order)
    return spans


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


class _SourceMerge:
    """The sources cursor, sorted like the spans, with the sort key of its next row."""

    __slots__ = ("key", "row", "rows")

    def __init__(self, rows: Iterator[tuple]):
        self.rows = rows
        self.advance()

    def advance(self) -> None:
        self.row = row = next(self.rows, None)
        # A key above every span's once the cursor is spent, so comparisons stay simple.
        self.key = row[:4] if row is not None else _AFTER_ALL


_AFTER_ALL = (float("inf"),)


def _spans_of(
    body: str,
    rows: Iterable[tuple],
    merge: _SourceMerge,
    relations: dict[int, list[ExportRelation]],
    stats: ExportStats,
) -> list:
    spans = []
    linked = False
    for (
        span_id,
        article_id,
        start,
        end,
        quote,
        label,
        label_name,
        speaker,
        note,
        annotator,
        created,
        speaker_kind,
        speaker_role,
        speaker_url,
        scale,
        slug,
        rating,
        value,
        explanation,
        verdict_by,
        verdict_at,
    ) in rows:
        # The quote stored with a span must still be the text at its offsets (a slice
        # past the end is silently short, so the end is checked too).
        if end > len(body) or body[start:end] != quote:
            stats.skipped_spans += 1
            continue
        found = []
        if merge.key[0] <= article_id:  # else no source left for this article
            key = (article_id, start, end, span_id)
            # Sources of spans filtered out or skipped sort before this one: pass them.
            while merge.key <= key:
                if merge.key == key:
                    found.append(ExportSource(*merge.row[4:]))
                merge.advance()
        if created.__class__ is not str:
            created = created.isoformat()
        verdict = None
        if slug is not None or explanation or verdict_by is not None or verdict_at is not None:
            if verdict_at is not None and verdict_at.__class__ is not str:
                verdict_at = verdict_at.isoformat()
            verdict = ExportVerdict(scale, slug, rating, value, explanation, verdict_by, verdict_at)
        if speaker is None:  # no speaker: no details (the LEFT JOIN gave None for each)
            speaker = speaker_kind = speaker_role = speaker_url = ""
        if not linked and span_id in relations:
            linked = True
        spans.append(
            ExportSpan(
                span_id,
                start,
                end,
                quote,
                label,
                label_name,
                speaker,
                note,
                annotator,
                created,
                found,
                speaker_kind,
                speaker_role,
                speaker_url,
                verdict,
            )
        )
    if linked:
        # Only links to spans in this export: a `to` must name a span of the same record.
        exported = {span.id for span in spans}
        for span in spans:
            links = relations.get(span.id)
            if links:
                span.relations = [link for link in links if link.to in exported]
    # Text order is the review page's: by start, the longer span first. Spans rarely share
    # a start, so the index order usually is the text order already.
    if len(spans) > 1 and len({span.start for span in spans}) < len(spans):
        spans.sort(key=_text_order)
    return spans


def _text_order(span: ExportSpan) -> tuple:
    return (span.start, -span.end, span.id)
