"""An article's review status, its metadata edits and its deletion; each is a Kind.ARTICLE
event in the history (a deletion's event keeps the whole article, for an admin's undo)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .. import history, permissions
from ..conflicts import Conflict, Gone
from ..models import Annotation, Article, Assignment, HistoryEvent
from ..models.article import body_hash
from . import assignments
from ._locks import locked_article

# Who may delete an article, and so undo its deletion: Django's own delete permission,
# which only superusers hold unless an admin grants it (the Editors group does not).
DELETE_PERMISSION = "annotations.delete_article"
# The key of an article deletion's snapshot that lists the article's events until then.
HISTORY_EVENT_IDS = "history_event_ids"

# What an editor may change on a stored article (the body only while no span points in).
EDITABLE_FIELDS = (
    "title",
    "author",
    "publisher",
    "published_at",
    "source_url",
    "status",
    "assignee",
    "body",
)


@transaction.atomic
def article_set_status(*, article: Article, status: str, actor) -> Article:
    if not permissions.can_set_status(actor):
        raise PermissionDenied("Your account cannot change an article's status.")
    if status not in Article.Status.values:
        raise ValidationError(f"Unknown status “{status}”.")
    stored = locked_article(article.pk, fields=("id", *_SNAPSHOT_COLUMNS))
    # "Adjudicated" ends blind mode: the rule on who may set it is the permissions', for
    # the review page, the admin and the commands alike.
    refusal = permissions.status_refusal(actor, stored, status)
    if refusal:
        raise PermissionDenied(refusal)
    before = history.snapshot_article_fields(stored)
    now = timezone.now()
    if not Article.objects.filter(pk=article.pk).update(status=status, updated_at=now):
        raise Gone("This article was deleted in the meantime.")
    article.status, article.updated_at = status, now
    if before["status"] != status:
        _record_change(stored.pk, actor, before, {**before, "status": status})
    return article


@transaction.atomic
def article_mark_reviewed(*, article: Article, actor) -> list[Assignment] | None:
    """The review page's "Mark reviewed": the article's status set to reviewed, or, where
    its status follows its assignments and the actor may not set it by hand (a reviewer:
    permissions.rollup_refusal), the actor's own unfinished assignments on it marked done,
    the status then following the rollup ("reviewed" once enough reviewers are done).

    Returns None when the status was set, else the assignments marked done ([] when the
    actor's were done already). A reviewer with no assignment on such an article is
    refused, nothing changed.
    """
    stored = locked_article(article.pk, fields=("id", "status"))
    refusal = permissions.rollup_refusal(actor, stored)
    if refusal is None:
        article_set_status(article=article, status=Article.Status.REVIEWED, actor=actor)
        return None
    mine = list(
        Assignment.objects.filter(article_id=stored.pk, reviewer_id=actor.pk).order_by("pk")
    )
    if not mine:
        raise PermissionDenied(f"{refusal} None of its assignments is yours.")
    done = [
        assignments.mark_done(row, actor) for row in mine if row.status != Assignment.Status.DONE
    ]
    article.status = Article.objects.values_list("status", flat=True).get(pk=stored.pk)
    return done


# The columns snapshot_article_fields reads (so a lock need not read the body).
_SNAPSHOT_COLUMNS = tuple(
    "assignee" if name == "assignee_id" else name for name in history.ARTICLE_FIELDS
)


def _record_change(article_id: int, actor, before: dict, after: dict) -> None:
    history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=article_id,
        annotation_id=None,
        article_id=article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=after,
    )


@transaction.atomic
def article_create(*, actor, fields: dict, import_metadata: dict) -> Article:
    """Store an article typed by hand (the admin's "Add article"), as an import stores
    each article it creates: its text's hash and canonical URL (Article.save), its search
    index (the database's triggers), and its arrival in the history (the same event,
    history.snapshot_arrival, with no spans)."""
    if not (actor.is_authenticated and actor.has_perm("annotations.add_article")):
        raise PermissionDenied("Your account cannot add articles.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be set here: {', '.join(sorted(unknown))}.")
    article = Article(**fields, import_metadata=import_metadata)
    duplicate = Article.objects.filter(content_hash=body_hash(article.body)).first()
    if duplicate is not None:
        raise ValidationError(
            f"An article with exactly this text already exists: “{duplicate.title}” "
            f"(#{duplicate.pk}); nothing was added."
        )
    # The same page is the same article (the importers' identity rule): a second row for
    # it would split its spans and revisions in two.
    from ..weburl import canonical_url

    address = canonical_url(article.source_url) if article.source_url else ""
    same_page = Article.objects.filter(canonical_url=address).first() if address else None
    if same_page is not None:
        raise ValidationError(
            f"An article from this address already exists: “{same_page.title}” "
            f"(#{same_page.pk}). To bring in a new text of it, import the page or file "
            "again: that makes a revision and keeps every span. Nothing was added."
        )
    article.save(force_insert=True)
    history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=article.pk,
        annotation_id=None,
        article_id=article.pk,
        action=HistoryEvent.Action.CREATE,
        actor=actor,
        after=history.snapshot_arrival(article, spans=0),
    )
    return article


def spans_pointing_into(article_id: int) -> int:
    """How many spans point into the article's text by character offsets: while any
    does, the text cannot change (article_update refuses it, the admin locks it). Spans a
    revision could not place (needs_attention) count too: they are the article's, and
    the default manager leaves them out."""
    return Annotation.all_objects.filter(article_id=article_id).count()


@transaction.atomic
def article_update(*, article: Article, actor, changes: dict) -> Article:
    """Save an editor's changes to an article.

    The row is locked first, and span creation locks it too, so "no span points into the
    text" is checked on the text being replaced: a span made a moment earlier refuses
    the new body instead of being left pointing at the wrong characters.
    """
    if not (actor.is_authenticated and actor.has_perm("annotations.change_article")):
        raise PermissionDenied("Your account cannot change articles.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    stored = locked_article(article.pk)
    changed = [f for f, v in changes.items() if getattr(stored, f) != v]
    if "body" in changed and spans_pointing_into(stored.pk):
        raise Conflict(
            "The text cannot change: spans now point into it by character offsets. "
            "Nothing was saved."
        )
    if not changed:
        return stored
    before = history.snapshot_article_fields(stored)
    for field in changed:
        setattr(stored, field, changes[field])
    derived = ["content_hash"] if "body" in changed else []  # Article.save derives it
    stored.save(update_fields=[*changed, *derived, "updated_at"])
    _record_change(stored.pk, actor, before, history.snapshot_article_fields(stored))
    return stored


def can_delete_article(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and user.has_perm(
        DELETE_PERMISSION
    )


@dataclass(frozen=True)
class DeletionImpact:
    """What deleting an article takes with it: what its confirmation names."""

    spans: int
    reviewers: int
    sources: int


def deletion_impact(article_ids) -> DeletionImpact:
    spans = Annotation.all_objects.filter(article_id__in=list(article_ids))
    counts = spans.aggregate(
        spans=Count("id"), reviewers=Count("author", distinct=True), sources=Count("sources")
    )
    return DeletionImpact(counts["spans"], counts["reviewers"], counts["sources"])


def article_delete(*, article: Article, actor) -> HistoryEvent:
    """Delete one article with its spans (articles_delete); its deletion's event."""
    (event,) = articles_delete(article_ids=[article.pk], actor=actor)
    return event


@transaction.atomic
def articles_delete(*, article_ids, actor) -> list[HistoryEvent]:
    """Delete articles with their spans; the history keeps all of it for an undo.

    For each article, in id order: its row is locked, then all its spans at once (the
    order every writer takes them in), each span's deletion is its own event first (so
    its timeline ends with it, with the snapshot annotation_delete keeps), then one
    ARTICLE event whose `before` is the whole article (history.snapshot_article). That
    event belongs to no article row (the row is gone; the column would be nulled): it
    names the article by object_id. A fixed number of queries per article, however many
    spans it has (a span at a time was 16 queries per span: 2,000 articles of 10 spans
    took minutes).
    """
    if not can_delete_article(actor):
        raise PermissionDenied("Only an admin can delete articles.")
    return [_delete_article(pk, actor) for pk in sorted(set(article_ids))]


def _delete_article(pk: int, actor) -> HistoryEvent:
    stored = locked_article(pk)
    # Spans a revision could not place too: they are the article's, and the undo keeps
    # them. OF self: not the article again (see _locks.locked_annotation).
    spans = (
        Annotation.all_objects.select_for_update(of=("self",))
        .filter(article_id=stored.pk)
        .order_by("id")
        .only("id", "author_id")
    )
    for span in spans:
        if not permissions.can_delete_annotation(actor, span):
            raise PermissionDenied(
                f"Only its author or an editor can delete span #{span.pk}; nothing was deleted."
            )
    before = history.snapshot_article(stored)
    actor_id = history.actor_id_of(actor)
    HistoryEvent.objects.bulk_create(
        HistoryEvent(
            **history.event_values(
                kind=HistoryEvent.Kind.ANNOTATION,
                obj_id=span["id"],
                annotation_id=span["id"],
                article_id=stored.pk,
                action=HistoryEvent.Action.DELETE,
                actor_id=actor_id,
                before=history.span_deletion_snapshot(span),
                after=None,
            )
        )
        for span in before["annotations"]
    )
    # The row's deletion empties the article column of its events (SET_NULL); an undo
    # links these back: spans deleted long before, and just now, included.
    before[HISTORY_EVENT_IDS] = list(
        HistoryEvent.objects.filter(article_id=stored.pk)
        .order_by("id")
        .values_list("id", flat=True)
    )
    # The base manager's cascade: the spans (unplaced ones too), their sources and links.
    Article.objects.filter(pk=stored.pk).delete()
    return history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=stored.pk,
        annotation_id=None,
        article_id=None,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )
