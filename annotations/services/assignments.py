"""Who reviews which article of a collection, and how far each reviewer has got.

`assign` spreads articles over reviewers (annotations/assignment_plan.py) in one
transaction: the collection's row is locked first, so two editors assigning at once
take turns and the second sees the first's rows (no duplicate, no unique-constraint
error). Every write that can change an article's status locks the article before its
assignments (annotation_create locks the article too, then starts the reviewer's
work here), always in that order, so these writers cannot deadlock; each then re-reads
the assignments and applies the one status rule (annotations/status_rollup.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import history, permissions
from ..assignment_plan import plan_assignments
from ..conflicts import Gone
from ..models import Article, Assignment, Collection, HistoryEvent, Membership
from ..status_rollup import CollectionProgress, rolled_up_status
from ._locks import locked_article

Status = Assignment.Status

# What a reviewer (or an editor of the collection) may do to an assignment.
TRANSITIONS = {
    Status.TODO: {Status.IN_PROGRESS, Status.DONE},
    Status.IN_PROGRESS: {Status.DONE},
    Status.DONE: {Status.IN_PROGRESS},  # reopened to add something
}


@dataclass(slots=True)
class AssignResult:
    created: list[Assignment] = field(default_factory=list)
    # Articles that already had their reviewers: nothing was added to them.
    already_covered: list[int] = field(default_factory=list)
    # Articles left with fewer reviewers than asked: not enough reviewers were chosen.
    short: list[int] = field(default_factory=list)


def snapshot_assignment(assignment: Assignment) -> dict:
    return {
        "id": assignment.pk,
        "collection_id": assignment.collection_id,
        "article_id": assignment.article_id,
        "reviewer_id": assignment.reviewer_id,
        "status": assignment.status,
    }


def _record(assignment, action, actor, *, before=None, after=None):
    history.record(
        kind=HistoryEvent.Kind.ASSIGNMENT,
        obj_id=assignment.pk,
        annotation_id=None,
        article_id=assignment.article_id,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )


def record_admin_change(assignment: Assignment, action, actor, *, before=None) -> None:
    """The history of a row the admin saved or is deleting, and its article's status."""
    after = None if action == HistoryEvent.Action.DELETE else snapshot_assignment(assignment)
    before = snapshot_assignment(assignment) if action == HistoryEvent.Action.DELETE else before
    _record(assignment, action, actor, before=before, after=after)
    refresh_statuses([assignment.article_id])


# --- assigning ------------------------------------------------------------------------------


def _lock_articles(article_ids: Iterable[int]) -> dict[int, Article]:
    """Several articles locked in id order (as every writer of several takes them)."""
    rows = (
        Article.objects.select_for_update()
        .filter(pk__in=set(article_ids))
        .only("pk", "status", "title")
        .order_by("pk")
    )
    return {article.pk: article for article in rows}


def _check_members(collection: Collection, reviewers: Sequence) -> None:
    members = set(
        Membership.objects.filter(
            collection=collection, user_id__in=[r.pk for r in reviewers]
        ).values_list("user_id", flat=True)
    )
    outsiders = [r.get_username() for r in reviewers if r.pk not in members]
    if outsiders:
        raise ValidationError(
            "; ".join(f"{name} is not a member of {collection.name}" for name in outsiders)
            + ". Nothing was assigned."
        )
    inactive = [r.get_username() for r in reviewers if not r.is_active]
    if inactive:
        raise ValidationError(
            f"{', '.join(inactive)}: the account is deactivated. Nothing was assigned."
        )


def _check_articles(collection: Collection, article_ids: list[int]) -> None:
    found = _lock_articles(article_ids)
    missing = [pk for pk in article_ids if pk not in found]
    if missing:
        raise ValidationError(
            f"No article with id {', '.join(map(str, missing))}. Nothing was assigned."
        )
    inside = set(collection.articles.filter(pk__in=article_ids).values_list("pk", flat=True))
    outside = [pk for pk in article_ids if pk not in inside]
    if outside:
        ids = ", ".join(f"#{pk}" for pk in outside)
        raise ValidationError(
            f"Article {ids} {'is' if len(outside) == 1 else 'are'} not in {collection.name}; "
            "add {0} to the collection first. Nothing was assigned.".format(
                "it" if len(outside) == 1 else "them"
            )
        )


@transaction.atomic
def assign(
    collection: Collection,
    articles: Iterable,
    reviewers: Sequence,
    actor,
    per_article: int | None = None,
) -> AssignResult:
    """Give each article `per_article` reviewers (default: the collection's setting) from
    `reviewers`, balancing their open work; existing assignments count and are kept.

    `articles` are Article instances or ids. `actor` None is the command line (trusted);
    anyone else must be able to assign in the collection. Refuses with ValidationError
    (nothing stored) a reviewer who is not a member, an unknown article or one outside
    the collection.
    """
    if actor is not None and not permissions.can_assign(actor, collection):
        raise PermissionDenied(f"Only editors of {collection.name} can assign its articles.")
    locked = Collection.objects.select_for_update().filter(pk=collection.pk).first()
    if locked is None:
        raise Gone("This collection was deleted in the meantime; nothing was assigned.")
    article_ids = list(dict.fromkeys(getattr(a, "pk", a) for a in articles))
    reviewers = list({r.pk: r for r in reviewers}.values())
    if not article_ids:
        raise ValidationError("Choose at least one article to assign.")
    if not reviewers:
        raise ValidationError("Choose at least one reviewer.")
    per_article = locked.reviewers_per_article if per_article is None else per_article
    if per_article < 1:
        raise ValidationError("Each article needs at least 1 reviewer.")
    _check_members(locked, reviewers)
    _check_articles(locked, article_ids)

    in_collection = Assignment.objects.filter(collection=locked)
    existing = in_collection.filter(article_id__in=article_ids).values_list(
        "article_id", "reviewer_id"
    )
    open_load: dict[int, int] = {}
    for reviewer_id in in_collection.exclude(status=Status.DONE).values_list(
        "reviewer_id", flat=True
    ):
        open_load[reviewer_id] = open_load.get(reviewer_id, 0) + 1
    plan = plan_assignments(
        article_ids,
        [r.pk for r in reviewers],
        per_article=per_article,
        existing=list(existing),
        open_load=open_load,
    )
    by_pk = {r.pk: r for r in reviewers}
    created = Assignment.objects.bulk_create(
        Assignment(
            collection=locked,
            article_id=article_id,
            reviewer=by_pk[reviewer_id],
            assigned_by=actor if actor is not None and actor.is_authenticated else None,
        )
        for article_id, reviewer_id in plan.pairs
    )
    HistoryEvent.objects.bulk_create(
        HistoryEvent(
            **history.event_values(
                kind=HistoryEvent.Kind.ASSIGNMENT,
                obj_id=a.pk,
                annotation_id=None,
                article_id=a.article_id,
                action=HistoryEvent.Action.CREATE,
                actor_id=history.actor_id_of(actor),
                before=None,
                after=snapshot_assignment(a),
            )
        )
        for a in created
    )
    refresh_statuses(article_ids)
    counts: dict[int, int] = {}
    for article_id, _ in [*existing, *plan.pairs]:
        counts[article_id] = counts.get(article_id, 0) + 1
    return AssignResult(
        created=created,
        already_covered=plan.already_covered,
        short=[pk for pk in article_ids if counts.get(pk, 0) < per_article],
    )


@transaction.atomic
def unassign(assignment: Assignment, actor) -> None:
    """Take an article back from a reviewer (their spans stay)."""
    stored = _locked(assignment)
    if not permissions.can_assign(actor, stored.collection):
        raise PermissionDenied(f"Only editors of {stored.collection.name} can unassign.")
    before = snapshot_assignment(stored)
    Assignment.objects.filter(pk=stored.pk).delete()
    _record(stored, HistoryEvent.Action.DELETE, actor, before=before)
    refresh_statuses([stored.article_id])


def withdraw(collection: Collection, *, actor, reviewer_id=None, article_ids=None, keep_done):
    """Delete a reviewer's or some articles' assignments in a collection, with their
    history (a removed member's open work; a removed article's rows). The caller holds
    the transaction and has checked the actor."""
    rows = Assignment.objects.filter(collection=collection)
    if reviewer_id is not None:
        rows = rows.filter(reviewer_id=reviewer_id)
    if article_ids is not None:
        rows = rows.filter(article_id__in=article_ids)
    # Their articles are locked first (the order every writer uses), then the rows are
    # read again: a reviewer reopening a done one meanwhile has it withdrawn with the rest.
    _lock_articles(set(rows.values_list("article_id", flat=True)))
    if keep_done:
        rows = rows.exclude(status=Status.DONE)
    return delete_assignments(rows.values_list("pk", flat=True), actor=actor)


def delete_assignments(assignment_ids: Iterable[int], *, actor) -> int:
    """Delete these assignments, each with its history event, and roll their articles'
    statuses up again (withdraw, and the admin's bulk delete). The caller holds the
    transaction and has checked the actor. Returns how many were deleted."""
    rows = Assignment.objects.filter(pk__in=list(assignment_ids))
    _lock_articles(set(rows.values_list("article_id", flat=True)))
    doomed = list(rows.select_for_update(of=("self",)).order_by("pk"))
    Assignment.objects.filter(pk__in=[a.pk for a in doomed]).delete()
    for a in doomed:
        _record(a, HistoryEvent.Action.DELETE, actor, before=snapshot_assignment(a))
    refresh_statuses({a.article_id for a in doomed})
    return len(doomed)


# --- a reviewer's progress ---------------------------------------------------------------------


def _locked(assignment: Assignment) -> Assignment:
    """The assignment, locked after its article (the order every writer uses)."""
    article_id = (
        Assignment.objects.filter(pk=assignment.pk).values_list("article_id", flat=True).first()
    )
    if article_id is not None:
        locked_article(article_id, fields=("status",))
        stored = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("collection", "reviewer")
            .filter(pk=assignment.pk)
            .first()
        )
        if stored is not None:
            return stored
    raise Gone("This assignment was removed in the meantime; nothing was changed.")


@transaction.atomic
def set_status(assignment: Assignment, status: str, actor) -> Assignment:
    """Move an assignment on (to do → in progress → done, or reopen a done one).

    A reviewer moves only their own rows, while a member of the collection; an editor of
    the collection anyone's (permissions.assignment_move_refusal). Moving to the status it
    already has changes nothing.
    """
    stored = _locked(assignment)
    refusal = permissions.assignment_move_refusal(actor, stored)
    if refusal is not None:
        raise PermissionDenied(refusal)
    if stored.status == status:
        return stored
    if status not in TRANSITIONS.get(stored.status, ()):
        raise ValidationError(
            f"An assignment that is {stored.get_status_display().lower()} cannot become "
            f"{Status(status).label.lower() if status in Status.values else status}."
        )
    before = snapshot_assignment(stored)
    now = timezone.now()
    stored.status = status
    fields = ["status"]
    if status == Status.IN_PROGRESS and stored.started_at is None:
        stored.started_at = now
        fields.append("started_at")
    if status == Status.DONE:
        stored.done_at = now
        stored.started_at = stored.started_at or now
        fields += ["done_at", "started_at"]
    else:
        stored.done_at = None
        fields.append("done_at")
    stored.save(update_fields=fields)
    _record(
        stored, HistoryEvent.Action.UPDATE, actor, before=before, after=snapshot_assignment(stored)
    )
    refresh_statuses([stored.article_id])
    return stored


def start(assignment: Assignment, actor) -> Assignment:
    """The reviewer opened it from their queue: to do becomes in progress."""
    if assignment.status != Status.TODO:
        return assignment
    return set_status(assignment, Status.IN_PROGRESS, actor)


def mark_done(assignment: Assignment, actor) -> Assignment:
    return set_status(assignment, Status.DONE, actor)


def started_annotating(*, article_id: int, reviewer) -> int:
    """A reviewer made a span on an article: their to-do rows on it are in progress now.

    Called by annotation_create inside its transaction, with the article already locked;
    one query when the reviewer has nothing to do there. Returns the rows moved."""
    todo = list(
        Assignment.objects.filter(
            article_id=article_id, reviewer_id=reviewer.pk, status=Status.TODO
        )
    )
    if not todo:
        return 0
    now = timezone.now()
    Assignment.objects.filter(pk__in=[a.pk for a in todo], status=Status.TODO).update(
        status=Status.IN_PROGRESS, started_at=now
    )
    for a in todo:
        before = snapshot_assignment(a)
        a.status, a.started_at = Status.IN_PROGRESS, now
        _record(
            a, HistoryEvent.Action.UPDATE, reviewer, before=before, after=snapshot_assignment(a)
        )
    refresh_statuses([article_id])
    return len(todo)


# --- the article's status ----------------------------------------------------------------------


def refresh_statuses(article_ids: Iterable[int]) -> dict[int, str]:
    """Apply the rollup to these articles (the caller has locked them); returns the
    statuses that changed."""
    article_ids = set(article_ids)
    if not article_ids:
        return {}
    progress: dict[int, dict[int, tuple[int, list[str]]]] = {}
    rows = Assignment.objects.filter(article_id__in=article_ids).values_list(
        "article_id", "collection_id", "collection__reviewers_per_article", "status"
    )
    for article_id, collection_id, needed, status in rows:
        progress.setdefault(article_id, {}).setdefault(collection_id, (needed, []))[1].append(
            status
        )
    current = Article.objects.filter(pk__in=article_ids).values_list("pk", "status")
    changed: dict[int, str] = {}
    for pk, status in current:
        per_collection = [
            CollectionProgress(needed, tuple(statuses))
            for needed, statuses in progress.get(pk, {}).values()
        ]
        wanted = rolled_up_status(status, per_collection)
        if wanted != status:
            changed[pk] = wanted
    now = timezone.now()
    for status in set(changed.values()):
        ids = [pk for pk, wanted in changed.items() if wanted == status]
        # Never out of adjudicated, even if adjudication landed since the read.
        Article.objects.filter(pk__in=ids).exclude(status=Article.Status.ADJUDICATED).update(
            status=status, updated_at=now
        )
    return changed
