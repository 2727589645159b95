"""Reads for the history pages: a span's timeline, an article's, and who may see them.

Each read takes a fixed number of queries however many events a page shows: the events
with their actors in one, then the names their snapshots refer to (labels, verdicts,
people) and what the restore rule needs (live spans, later deletions), each in one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet

from . import history, permissions
from .history_diff import Names, event_lines, origin_phrase
from .models import Annotation, Article, HistoryEvent, Label, Rating

# Snapshot keys that name a person, in any kind.
_USER_KEYS = ("assignee_id", "reviewer_id", "assigned_by_id", "user_id", "adjudicator_id")


@dataclass(frozen=True)
class TimelineEntry:
    """One event as a timeline shows it."""

    event: HistoryEvent
    lines: list[str]
    origin: str  # "from the review page", "by import", ... or ""
    can_restore: bool = False


def names_for(events) -> Names:
    user_ids = {
        value
        for e in events
        for snapshot in (e.before or {}, e.after or {})
        for key in _USER_KEYS
        if isinstance(value := snapshot.get(key), int)
    }
    users = (
        dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
        if user_ids
        else {}
    )
    return Names(
        labels=dict(Label.objects.values_list("pk", "name")),
        ratings=dict(Rating.objects.values_list("pk", "name")),
        users=users,
    )


def restorable_ids(events, user) -> set[int]:
    """The ids of the span deletions among `events` that `user` may restore now: the
    restore rule (services.restore_refusal) asked with what two queries know."""
    from .services import restore_refusal

    deletions = [
        e
        for e in events
        if e.kind == HistoryEvent.Kind.ANNOTATION and e.action == HistoryEvent.Action.DELETE
    ]
    if not deletions:
        return set()
    span_ids = {e.object_id for e in deletions}
    # A span a revision could not place is live too (waiting on the attention page).
    live = set(Annotation.all_objects.filter(pk__in=span_ids).values_list("pk", flat=True))
    latest = dict(
        HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ANNOTATION,
            action=HistoryEvent.Action.DELETE,
            object_id__in=span_ids,
        )
        .values_list("object_id")
        .annotate(last=Max("id"))
        .order_by()
    )
    return {
        e.pk
        for e in deletions
        if permissions.can_restore_annotation(user, (e.before or {}).get("author_id"))
        and restore_refusal(
            e,
            live_ids=live,
            later_deletes={e.object_id} if latest.get(e.object_id, e.pk) > e.pk else set(),
        )
        is None
    }


def timeline(events, user) -> list[TimelineEntry]:
    events = list(events)
    names = names_for(events)
    restorable = restorable_ids(events, user)
    return [
        TimelineEntry(e, event_lines(e, names), origin_phrase(e.origin), e.pk in restorable)
        for e in events
    ]


# --- a span's history -----------------------------------------------------------------------


@dataclass(frozen=True)
class SpanRef:
    """A span the history knows: live (placed, or waiting for a reviewer to place it after
    a revision: `needs_attention`), or deleted with only its events left."""

    pk: int
    article: Article
    author_id: int | None
    quote: str
    live: bool
    needs_attention: bool = False


def span_ref(annotation_id: int) -> SpanRef | None:
    live = Annotation.all_objects.select_related("article").filter(pk=annotation_id).first()
    if live is not None:
        return SpanRef(
            live.pk, live.article, live.author_id, live.quote, True, live.needs_attention
        )
    event = (
        HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ANNOTATION, object_id=annotation_id)
        .exclude(article__isnull=True)
        .select_related("article")
        .order_by("-id")
        .first()
    )
    if event is None:
        return None
    snapshot = event.before or event.after or {}
    return SpanRef(
        annotation_id, event.article, snapshot.get("author_id"), snapshot.get("quote", ""), False
    )


def can_see_span(user, span: SpanRef) -> bool:
    """Blind mode: a reviewer sees only their own spans' histories, deleted ones too."""
    if span.live:
        spans = Annotation.all_objects.filter(pk=span.pk)
        return permissions.visible_annotations(user, spans, article=span.article).exists()
    return span.author_id == user.pk or not permissions.is_blind_for(user, span.article)


def span_events(annotation_id: int, article_id: int | None = None) -> QuerySet[HistoryEvent]:
    """Everything that happened to the span: itself, its sources, the links it makes; for
    an imported span (no creation event of its own), its article's arrival first."""
    return (
        HistoryEvent.objects.filter(_span_events(annotation_id, article_id))
        .select_related("actor")
        .order_by("-id")
    )


def span_timeline(annotation_id: int, article_id: int, user) -> list[TimelineEntry]:
    """The span's timeline, newest first. An imported span's creation is its article's
    arrival, shown as the span's own: the span as it arrived (its first version)."""
    events = list(span_events(annotation_id, article_id))
    # Only an imported span's list holds an article event: its article's arrival.
    arrival = next((e for e in events if e.kind == HistoryEvent.Kind.ARTICLE), None)
    first = history.annotation_version_snapshot(annotation_id, 1) if arrival else None
    if first is not None:
        events[events.index(arrival)] = HistoryEvent(  # not saved: the arrival, as the span's
            kind=HistoryEvent.Kind.ANNOTATION,
            object_id=annotation_id,
            annotation_id_ref=annotation_id,
            article_id=arrival.article_id,
            action=HistoryEvent.Action.CREATE,
            actor=arrival.actor,
            at=arrival.at,
            origin=arrival.origin,
            after=first,
        )
    return timeline(events, user)


def span_event_count(annotation_id: int, article_id: int | None = None) -> int:
    return HistoryEvent.objects.filter(_span_events(annotation_id, article_id)).count()


def _span_events(annotation_id: int, article_id: int | None) -> Q:
    own = Q(annotation_id_ref=annotation_id)
    if article_id is None:
        return own
    made = HistoryEvent.objects.filter(
        kind=HistoryEvent.Kind.ANNOTATION,
        object_id=annotation_id,
        action=HistoryEvent.Action.CREATE,
    )
    if made.exists():
        return own
    # Imported: the import recorded one event for the article and its spans
    # (importers/rows._record_arrivals).
    return own | Q(
        kind=HistoryEvent.Kind.ARTICLE, action=HistoryEvent.Action.CREATE, object_id=article_id
    )


# --- an article's history -------------------------------------------------------------------


def article_events(article: Article, user, *, kind: str = "", actor_id: int | None = None):
    """The article's events, newest first, those the user may see
    (permissions.visible_history_events: in blind mode, no other reviewer's spans or
    assignments)."""
    events = permissions.visible_history_events(
        user,
        HistoryEvent.objects.filter(article=article).select_related("actor").order_by("-id"),
        article=article,
    )
    if kind:
        events = events.filter(kind=kind)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    return events


def article_actors(events: QuerySet[HistoryEvent]) -> list[tuple[int, str]]:
    """(id, user name) of everyone with one of `events` (those the user may see): the
    actor filter's choices."""
    return list(
        get_user_model()
        .objects.filter(pk__in=events.order_by().values("actor_id"))
        .order_by("username")
        .values_list("pk", "username")
    )
