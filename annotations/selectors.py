"""Reads for the pages: each fetches what its page shows in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Count, F, Prefetch, Q, QuerySet

from . import permissions
from .models import Annotation, Article, Evidence, HistoryEvent, Label, Rating, Relation
from .search import SearchResults
from .search import search as search_articles


def active_labels() -> list[Label]:
    return list(Label.objects.filter(active=True))


def article_list(
    *, search: str = "", status: str = "", label_slug: str = "", user=None, collection=None
) -> QuerySet[Article] | SearchResults:
    """The articles a list shows, newest first, undated last; no aggregates, so counting
    and slicing a page stay cheap however many spans there are (see label_counts).

    With `search`: the matching articles best first, each page with its highlighted
    snippets (annotations/search/; `.note` says when the search was shortened or had
    nothing to look for).

    With `user`: only the articles they may open, and the label filter counts only the
    spans they may see (blind mode), so neither the list nor its search says more.
    With `collection`: only its articles."""
    articles = (
        Article.objects.select_related("assignee")
        .defer("body", "import_metadata")
        .order_by(F("published_at").desc(nulls_last=True), "-id")
    )
    if user is not None:
        articles = permissions.openable_articles(user, articles)
    if collection is not None:
        articles = articles.filter(pk__in=collection.articles.values("pk"))
    if status:
        articles = articles.filter(status=status)
    if label_slug:
        labelled = Annotation.objects.filter(label__slug=label_slug)
        if user is not None:
            labelled = seen_spans(user, labelled)
        articles = articles.filter(pk__in=labelled.values("article_id"))
    if search:
        return search_articles(articles, search)
    return articles


def seen_spans(user, queryset: QuerySet, *, article=None) -> QuerySet:
    """The reviewer-layer spans of `queryset` the user may see: what the review page, the
    list's counts, search and "seen before" show. Gold spans (adjudication's output) are
    left to the adjudication pages and the exports, which show them as such."""
    spans = queryset.filter(layer=Annotation.Layer.REVIEWER)
    return permissions.visible_annotations(user, spans, article=article)


def label_counts(article_ids: list[int], user=None) -> dict[tuple[int, int], int]:
    """{(article id, label id): spans} for one page of articles, in one grouped query
    (counting per label over the whole table before slicing a page would grow with it).
    With `user`: the spans they may see (seen_spans)."""
    spans = Annotation.objects.filter(article_id__in=article_ids)
    if user is not None:
        spans = seen_spans(user, spans)
    rows = spans.values_list("article_id", "label_id").annotate(n=Count("id")).order_by()
    return {(article_id, label_id): n for article_id, label_id, n in rows}


@dataclass(frozen=True, slots=True)
class SpanSummary:
    """What the reading pane and the span list show of a span."""

    pk: int
    label: Label
    start: int
    end: int
    quote: str
    speaker: str
    source_count: int
    author: str = ""  # user name
    verdict: tuple[str, int] | None = None  # (name, ordinal value) of a rated claim


def all_labels() -> dict[int, Label]:
    return {label.pk: label for label in Label.objects.all()}


def _span_rows(queryset, labels: dict[int, Label]) -> list[SpanSummary]:
    rows = (
        queryset.annotate(source_count=Count("sources"))
        .order_by("start", "-end", "id")
        .values_list(
            "id",
            "label_id",
            "start",
            "end",
            "quote",
            "speaker__name",
            "source_count",
            "author__username",
            "verdict__name",
            "verdict__value",
        )
    )
    return [
        SpanSummary(
            pk,
            labels[label_id],
            start,
            end,
            quote,
            speaker or "",
            sources,
            author,
            (verdict, value) if verdict is not None else None,
        )
        for pk, label_id, start, end, quote, speaker, sources, author, verdict, value in rows
    ]


def article_spans(user, article: Article) -> QuerySet:
    """The spans of the article its review page shows to this user (seen_spans)."""
    return seen_spans(user, Annotation.objects.filter(article_id=article.pk), article=article)


def spans_overlapping(user, article: Article, start: int, end: int, labels) -> list[SpanSummary]:
    """The spans of this article that overlap [start, end): what a redrawn paragraph holds."""
    return _span_rows(article_spans(user, article).filter(start__lt=end, end__gt=start), labels)


def span_summary(user, article: Article, annotation_id: int, labels) -> SpanSummary | None:
    rows = _span_rows(article_spans(user, article).filter(pk=annotation_id), labels)
    return rows[0] if rows else None


def count_spans(user, article: Article, label_slug: str, reviewer: str) -> int:
    spans = article_spans(user, article)
    if label_slug:
        spans = spans.filter(label__slug=label_slug)
    if reviewer:
        spans = spans.filter(author__username=reviewer)
    return spans.count()


def article_label_counts(user, article: Article) -> dict[int, int]:
    rows = article_spans(user, article).values_list("label_id").annotate(n=Count("id")).order_by()
    return dict(rows)


def article_annotations(
    user, article: Article, labels: dict[int, Label] | None = None
) -> list[SpanSummary]:
    """The article's spans the user sees, in text order, light enough for a thousand of
    them: plain rows instead of model instances, a source count instead of the sources,
    and labels from one small query (or the caller's) instead of a join per row."""
    labels = labels if labels is not None else all_labels()
    return _span_rows(article_spans(user, article), labels)


# --- the review desk: where an article stands, and the articles around it ------------------


def article_state_tag(user, article: Article) -> str:
    """Changes whenever a span, a source or the article itself changes: every span and
    source write records a history event, and article writes bump updated_at. The page
    asks with it (If-None-Match) to learn cheaply whether anything moved.

    Only the events about what the user may see count: in blind mode another reviewer's
    new span must not change the tag (that would tell them someone is at work there)."""
    events = permissions.visible_history_events(
        user, HistoryEvent.objects.filter(article_id=article.pk), article=article
    )
    latest = events.order_by("-id").values("id")[:1]
    row = (
        Article.objects.filter(pk=article.pk)
        .annotate(latest=models.Subquery(latest))
        .values_list("updated_at", "latest")
        .first()
    )
    if row is None:
        return ""
    updated_at, latest_event = row
    return f"{latest_event or 0}-{updated_at.timestamp():.6f}"


def _after_in_list(article: Article) -> Q:
    """Articles after this one in the list's order (published newest first, undated last,
    then id descending)."""
    if article.published_at is None:
        return Q(published_at__isnull=True, pk__lt=article.pk)
    return (
        Q(published_at__lt=article.published_at)
        | Q(published_at=article.published_at, pk__lt=article.pk)
        | Q(published_at__isnull=True)
    )


def _before_in_list(article: Article) -> Q:
    if article.published_at is None:
        return Q(published_at__isnull=False) | Q(published_at__isnull=True, pk__gt=article.pk)
    return Q(published_at__gt=article.published_at) | Q(
        published_at=article.published_at, pk__gt=article.pk
    )


_LIST_ORDER = (F("published_at").desc(nulls_last=True), "-id")
_LIST_ORDER_REVERSED = (F("published_at").asc(nulls_first=True), "id")


def _openable(user):
    articles = Article.objects.all()
    return articles if user is None else permissions.openable_articles(user, articles)


def neighbours(article: Article, user=None) -> tuple[int | None, int | None]:
    """The ids of the articles before and after this one in the article list (of those
    `user` may open, when given)."""
    ids = _openable(user).values_list("pk", flat=True)
    previous = ids.filter(_before_in_list(article)).order_by(*_LIST_ORDER_REVERSED).first()
    following = ids.filter(_after_in_list(article)).order_by(*_LIST_ORDER).first()
    return previous, following


def next_to_review(article: Article, user=None) -> int | None:
    """The next article in list order that is not reviewed yet (wrapping to the top), of
    those `user` may open when given."""
    open_ = _openable(user).exclude(status=Article.Status.REVIEWED).exclude(pk=article.pk)
    ids = open_.values_list("pk", flat=True)
    return (
        ids.filter(_after_in_list(article)).order_by(*_LIST_ORDER).first()
        or ids.order_by(*_LIST_ORDER).first()
    )


def new_span_for_editor(annotation: Annotation, author) -> Annotation:
    """A span just created, ready for its editor without reading it back: its label and
    author are at hand and it has no sources or links yet (Django's prefetch cache says so)."""
    annotation.author = author
    annotation._prefetched_objects_cache = {
        "sources": Evidence.objects.none(),
        # Nor links, either way: a span is linked only once it exists.
        "relations_out": Relation.objects.none(),
        "relations_in": Relation.objects.none(),
    }
    return annotation


def annotation_for_editor(annotation_id: int) -> Annotation | None:
    """One span with everything its editor shows: its sources, the spans it answers and
    the spans that answer it (each with its label)."""
    from .models import Relation

    links = Relation.objects.order_by("id")
    # Not the article: its body can be megabytes and the editor shows none of it.
    return (
        Annotation.objects.select_related("label", "author", "speaker", "verdict", "verdict_by")
        .prefetch_related(
            Prefetch("sources", queryset=Evidence.objects.select_related("source").order_by("id")),
            Prefetch("relations_out", queryset=links.select_related("to_span__label")),
            Prefetch("relations_in", queryset=links.select_related("from_span__label")),
        )
        .filter(pk=annotation_id)
        .first()
    )


def deleted_annotations(user, article: Article, limit: int = 10) -> list[HistoryEvent]:
    """Recently deleted spans of this article that can be restored, of those the user may
    see (in blind mode, their own).

    Which deletion may be restored is annotation_restore's rule (restore_refusal): only
    the latest deletion of a span that is not live. It is asked here with the live ids and
    the latest deletion of each span read once, so the page offers only what will work.
    """
    from .services import restore_refusal  # services import selectors' models only

    live_ids = Annotation.objects.filter(article=article).values("pk")
    deletions = HistoryEvent.objects.filter(
        article=article, kind=HistoryEvent.Kind.ANNOTATION, action=HistoryEvent.Action.DELETE
    ).exclude(before__layer=Annotation.Layer.GOLD)
    events = list(
        permissions.visible_history_events(user, deletions, article=article)
        .exclude(object_id__in=live_ids)
        .select_related("actor")
        .order_by("-id")[: limit * 3]
    )
    latest: dict[int, HistoryEvent] = {}
    for event in events:  # newest first
        latest.setdefault(event.object_id, event)
    # Live spans were excluded in the query, and each event kept is its span's latest
    # deletion: what restore_refusal would look up is already known.
    offered = [
        event
        for event in latest.values()
        if restore_refusal(event, live_ids=set(), later_deletes=set()) is None
    ]
    return offered[:limit]


def latest_deletion(annotation_id: int) -> HistoryEvent | None:
    return (
        HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ANNOTATION,
            object_id=annotation_id,
            action=HistoryEvent.Action.DELETE,
        )
        .select_related("actor")
        .order_by("-id")
        .first()
    )


@dataclass(frozen=True, slots=True)
class ConflictField:
    name: str  # the form field's label
    saved: str  # the value someone else saved


@dataclass(frozen=True, slots=True)
class ConflictSummary:
    message: str
    changed_by: str | None
    changed_at: object
    fields: list[ConflictField]


_FIELD_NAMES = {
    "label_id": "Label",
    "speaker_id": "Speaker",
    "note": "Note",
    "verdict_id": "Verdict",
    "verdict_explanation": "Verdict explanation",
    "bounds": "Characters",  # a gold span's start and end, edited together
}


def conflict_summary(conflict) -> ConflictSummary:
    """What the editor shows of a StaleEdit: the saved value of each clashing field."""
    labels = {label.pk: label.name for label in Label.objects.all()}
    fields = []
    for name in conflict.fields:
        value = conflict.current.get(name)
        if name == "label_id":
            value = labels.get(value, "?")
        elif name == "speaker_id":
            value = conflict.current.get("speaker")
        elif name == "bounds":
            value = f"{value[0]}–{value[1]} “{conflict.current.get('quote', '')}”"
        elif name == "verdict_id" and value is not None:
            value = Rating.objects.filter(pk=value).values_list("name", flat=True).first()
        fields.append(ConflictField(_FIELD_NAMES.get(name, name), value or "—"))
    return ConflictSummary(conflict.message, conflict.changed_by, conflict.changed_at, fields)
