"""What an export chooses: ExportFilters, and the articles and spans they match.

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

Given a `viewer` (whoever downloads from the page, or made a background export), the
articles are only those they may open (permissions.openable_articles), the spans only
those they may see (permissions.visible_annotations: blind mode), and a
span filter chooses articles by those spans alone: another reviewer's hidden claim
neither comes with the export nor brings its article. The export, the page's counts and
the formats' warnings all ask these functions with the same viewer, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ... import permissions
from ...models import Adjudication, Annotation, Article, Collection

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


def _openable(viewer, articles: QuerySet[Article]) -> QuerySet[Article]:
    """The articles the viewer may open (permissions.openable_articles: a collection
    they are not in, or one that requires assignment and did not assign it to them,
    keeps its articles from them); all of them without a viewer (the command)."""
    return articles if viewer is None else permissions.openable_articles(viewer, articles)


def spans_seen_by(viewer, spans: QuerySet[Annotation]) -> QuerySet[Annotation]:
    """The spans the viewer may see, on articles they may open; all without a viewer."""
    if viewer is None:
        return spans
    spans = permissions.visible_annotations(viewer, spans)
    if permissions.is_desk_editor(viewer):  # opens every article
        return spans
    return spans.filter(article__in=_openable(viewer, Article.objects.all()).values("pk"))


def matching_articles(filters: ExportFilters, viewer=None) -> QuerySet[Article]:
    articles = _openable(viewer, Article.objects.filter(_article_q(filters)))
    if filters.selects_spans:
        spans = spans_seen_by(viewer, Annotation.objects.filter(_span_q(filters)))
        articles = articles.filter(Exists(spans.filter(article=OuterRef("pk"))))
    return articles


def matching_spans(filters: ExportFilters, viewer=None) -> QuerySet[Annotation]:
    return spans_seen_by(
        viewer,
        Annotation.objects.filter(_span_q(filters), _article_q(filters, prefix="article__")),
    )


def span_rows(filters: ExportFilters, viewer=None) -> QuerySet[Annotation]:
    """The spans an export reads, by the span filters alone (articles are chosen apart)."""
    return spans_seen_by(viewer, Annotation.objects.filter(_span_q(filters)))
