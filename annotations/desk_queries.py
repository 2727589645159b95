"""Reads for the desk's pages (collections, queues): each in a fixed number of queries,
however many collections, members or assignments there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from . import permissions
from .models import Assignment, Collection, Membership

Status = Assignment.Status
QUEUE_ORDER = ("collection__name", "collection_id", "assigned_at", "id")


def _count(queryset: QuerySet, outer_field: str = "collection") -> Coalesce:
    """A correlated COUNT(*) of `queryset`'s rows pointing at the outer row (a subquery:
    several counts joined in one query would multiply each other)."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def visible_collections(user) -> QuerySet[Collection]:
    """The collections a user sees: all for a global editor, else those they belong to."""
    collections = Collection.objects.all()
    if not permissions.is_desk_editor(user):
        collections = collections.filter(memberships__user_id=user.pk)
    return collections


def collections_with_counts(user) -> QuerySet[Collection]:
    return visible_collections(user).annotate(
        article_count=_count(Collection.articles.through.objects.all()),
        member_count=_count(Membership.objects.all()),
        assigned_count=_count(Assignment.objects.all()),
        done_count=_count(Assignment.objects.filter(status=Status.DONE)),
    )


def collection_members(collection: Collection) -> list[Membership]:
    return list(collection.memberships.select_related("user").order_by("role", "user__username"))


@dataclass(frozen=True, slots=True)
class ReviewerProgress:
    username: str
    todo: int
    in_progress: int
    done: int

    @property
    def total(self) -> int:
        return self.todo + self.in_progress + self.done

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def reviewer_progress(collection: Collection) -> list[ReviewerProgress]:
    """Each assigned reviewer's to do / in progress / done in the collection (one grouped
    query)."""
    rows = (
        Assignment.objects.filter(collection=collection)
        .values_list("reviewer__username", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for username, status, n in rows:
        counts.setdefault(username, {})[status] = n
    return [
        ReviewerProgress(
            name,
            by_status.get(Status.TODO, 0),
            by_status.get(Status.IN_PROGRESS, 0),
            by_status.get(Status.DONE, 0),
        )
        for name, by_status in sorted(counts.items())
    ]


def assignable_reviewers(collection: Collection):
    """The members a bulk assignment offers, by name."""
    User = get_user_model()
    return User.objects.filter(
        collection_memberships__collection=collection, is_active=True
    ).order_by("username")


# --- queues -----------------------------------------------------------------------------------


def _queue_rows(user) -> QuerySet:
    """The user's assignments that make their queue: those in collections they are still
    a member of (a removed member's finished rows are a record, not work)."""
    return permissions.standing_assignments(Assignment.objects.filter(reviewer_id=user.pk))


def queue(user, *, collection: Collection | None = None, status: str = "") -> QuerySet:
    """The user's assignments in queue order: per collection, oldest assignment first."""
    rows = (
        _queue_rows(user)
        .select_related("collection", "article")
        .only(
            "status",
            "assigned_at",
            "started_at",
            "done_at",
            "collection__name",
            "collection__slug",
            "article__title",
            "article__status",
            "article__publisher",
        )
        .order_by(*QUEUE_ORDER)
    )
    if collection is not None:
        rows = rows.filter(collection=collection)
    if status:
        rows = rows.filter(status=status)
    return rows


def queue_collections(user) -> list[Collection]:
    """The collections the user has assignments in (the queue page's filter)."""
    return list(Collection.objects.filter(pk__in=_queue_rows(user).values("collection_id")))


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """Where an article stands in its reviewer's queue: "3 of 12 · In progress"."""

    assignment_id: int
    position: int
    total: int
    status: str
    status_label: str

    @property
    def is_done(self) -> bool:
        return self.status == Status.DONE


def queue_place(user, article_id: int) -> QueuePlace | None:
    """The user's assignment for this article (an unfinished one first, if they have it in
    several collections) and its place in their queue; one query."""
    if not getattr(user, "is_authenticated", False):
        return None
    rows = list(_queue_rows(user).order_by(*QUEUE_ORDER).values_list("pk", "article_id", "status"))
    mine = [(i, pk, status) for i, (pk, art, status) in enumerate(rows) if art == article_id]
    if not mine:
        return None
    index, pk, status = min(mine, key=lambda row: (row[2] == Status.DONE, row[0]))
    return QueuePlace(pk, index + 1, len(rows), status, Status(status).label)


def next_in_queue(user, *, after_id: int | None = None) -> Assignment | None:
    """What "Done, next" opens: the first to-do item of the queue, else the first one in
    progress (never the one just finished)."""
    rows = _queue_rows(user).exclude(pk=after_id)
    for status in (Status.TODO, Status.IN_PROGRESS):
        found = rows.filter(status=status).order_by(*QUEUE_ORDER).first()
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class NavCounts:
    open_items: int  # to do or in progress
    all_items: int  # done too: whether the user has a queue at all
    sees_collections: bool


def nav_counts(user) -> NavCounts:
    """The top bar's "My queue (N)" and whether it offers "Collections": one query."""
    if not getattr(user, "is_authenticated", False):
        return NavCounts(0, 0, False)
    User = get_user_model()
    standing = permissions.standing_assignments(Assignment.objects.all())
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            open_items=_count(standing.exclude(status=Status.DONE), outer_field="reviewer"),
            all_items=_count(standing, outer_field="reviewer"),
            member=Exists(Membership.objects.filter(user_id=OuterRef("pk"))),
        )
        .values_list("open_items", "all_items", "member")
        .first()
    )
    open_items, all_items, member = row or (0, 0, False)
    editor = permissions.can_create_collection(user) or permissions.is_desk_editor(user)
    return NavCounts(open_items, all_items, bool(member) or editor)


def unassigned_article_ids(collection: Collection) -> list[int]:
    """The collection's articles nobody is assigned in it yet, oldest first."""
    return list(
        collection.articles.filter(~Q(assignments__collection=collection))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def manageable_collections(user) -> QuerySet[Collection]:
    """The collections a user may add articles to (an import's target)."""
    if permissions.is_desk_editor(user):
        return Collection.objects.all()
    return Collection.objects.filter(
        pk__in=permissions.editor_collection_ids(user).values("collection_id")
    )


def assignments_by_article(
    article_ids: list[int], collection: Collection | None = None
) -> dict[int, list[Assignment]]:
    """Each article's reviewers and their statuses (in the collection, if one is chosen)."""
    rows = Assignment.objects.filter(article_id__in=article_ids).select_related(
        "reviewer", "collection"
    )
    if collection is not None:
        rows = rows.filter(collection=collection)
    found: dict[int, list[Assignment]] = {}
    for row in rows.order_by("collection__name", "reviewer__username"):
        found.setdefault(row.article_id, []).append(row)
    return found
