"""Creating, editing and deleting spans.

Each write runs in one transaction that first locks the row it changes (so a concurrent
edit, delete or restore of the same span waits for it), checks the actor's permission on
what it locked, saves only the fields it changes (a vanished row is an error, never an
INSERT), and records the history in the one snapshot format (annotations.history).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import history, offsets, permissions
from ..conflicts import Conflict, Gone, StaleEdit
from ..models import Annotation, Article, HistoryEvent, Label, Rating, Speaker
from ._locks import locked_annotation, locked_article
from .assignments import started_annotating
from .speakers import speaker_named
from .twins import twin_of

# "Leave as it is", where None means "clear" (a verdict, a speaker).
UNCHANGED = object()


def _speaker(value, actor) -> Speaker | None:
    """A Speaker, or a typed name (found or created), or "" / None for no speaker."""
    if value is None or isinstance(value, Speaker):
        return value
    return speaker_named(value, actor=actor)


def _clean_note(note: str) -> str:
    return offsets.canonical_text(note).strip()


def _require_active(label: Label, *, current_label_id: int | None = None) -> None:
    if not label.active and label.pk != current_label_id:
        raise ValidationError(f"The label “{label.name}” is no longer in use.")


def _require_offered(article, label) -> None:
    """A collection that narrows the label set refuses the others (permissions.vocabulary)."""
    refusal = permissions.label_refusal(article, label)
    if refusal:
        raise ValidationError(refusal)


@transaction.atomic
def annotation_create(
    *,
    article: Article,
    label: Label,
    start: int,
    end: int,
    quote: str | None,
    author,
    speaker: Speaker | str | None = None,
    note: str = "",
) -> Annotation:
    """Store a span after checking it against the article body.

    Raises PermissionDenied, ValidationError, offsets.SpanError or Gone (the article was
    deleted); nothing is stored then.
    """
    if not permissions.can_annotate(author):
        raise PermissionDenied("Your account cannot add annotations.")
    _require_active(label)
    _require_offered(article, label)
    speaker, note = _speaker(speaker, author), _clean_note(note)
    # Locked, so the body checked here is the body the span is stored against.
    stored = locked_article(article.pk, fields=("body", "status"))
    offsets.check_span(stored.body, start, end, quote)
    # Under the article's lock, so two quick presses of the same key store one span.
    twin = twin_of(
        article_id=stored.pk, start=start, end=end, label_id=label.pk, author_id=author.pk
    )
    if twin is not None:
        raise ValidationError(
            f"You already marked exactly this text as “{label.name}” (span #{twin}); "
            "nothing was added."
        )
    selector = offsets.quote_selector(stored.body, start, end)
    annotation = Annotation.objects.create(
        article_id=stored.pk,
        label=label,
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        speaker=speaker,
        note=note,
        author=author,
    )
    annotation.article = article
    if stored.status == Article.Status.NEW:
        Article.objects.filter(pk=stored.pk).update(status=Article.Status.IN_REVIEW)
        article.status = Article.Status.IN_REVIEW
    started_annotating(article_id=stored.pk, reviewer=author)  # their queue: in progress
    history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=annotation.pk,
        annotation_id=annotation.pk,
        article_id=stored.pk,
        action=HistoryEvent.Action.CREATE,
        actor=author,
        after=history.snapshot_annotation(annotation),
    )
    return annotation


def merge_edit(
    stored: Annotation, wanted: dict, expected_version: int | None, *, view=None
) -> dict:
    """The changes to apply: all of `wanted` when the form was rendered from the stored
    version; else only the fields this user changed, unless someone else changed one of
    them too (StaleEdit: the same field is never silently overwritten).

    `view` maps a snapshot to the fields compared, when a field of the form is more than
    one of the snapshot's (a gold span's bounds: start and end move together)."""
    view = view or (lambda snapshot: snapshot)
    current = view(history.snapshot_annotation(stored))
    if expected_version is None or expected_version == stored.version:
        return {f: v for f, v in wanted.items() if current[f] != v}
    base = history.annotation_version_snapshot(stored.pk, expected_version)
    base = view(base) if base is not None else None
    if base is None:
        # The version the form came from is unknown: every field it sends counts as
        # changed, so any difference from what is stored is a conflict.
        mine = dict(wanted)
        theirs = set(wanted)
    else:
        mine = {f: v for f, v in wanted.items() if base.get(f) != v}
        theirs = {f for f in wanted if base.get(f) != current[f]}
    clashes = tuple(f for f in mine if f in theirs and mine[f] != current[f])
    if clashes:
        latest = history.latest_annotation_event(stored.pk)
        raise StaleEdit(
            "Someone else changed this span while you were editing it.",
            current=current,
            fields=clashes,
            changed_by=latest.actor.get_username() if latest and latest.actor else None,
            changed_at=latest.at if latest else None,
        )
    return {f: v for f, v in mine.items() if current[f] != v}


@transaction.atomic
def annotation_update(
    *,
    annotation: Annotation,
    actor,
    label: Label | None = None,
    speaker=UNCHANGED,
    note: str | None = None,
    verdict=UNCHANGED,
    verdict_explanation: str | None = None,
    expected_version: int | None = None,
) -> Annotation:
    """Change a span's label, speaker (a Speaker, a name to find or create, or None),
    note, verdict (a Rating or None) or verdict explanation; returns the stored span.

    Only a span whose label takes a verdict (a claim) carries one: giving a verdict to
    another span, or relabelling a span that has one, is refused with a message. A new
    verdict must be on the article's rating scale (permissions.rating_refusal).

    `expected_version` is the version the edit form was rendered from: when the span has
    moved on since, edits of different fields merge and an edit of a field someone else
    changed raises StaleEdit. A deleted span raises Gone.
    """
    if label is not None:
        # A relabel may make a twin (twins.py): asked under the article's lock, taken
        # before the span's (as a revision takes them), and NO KEY, so that a delete of
        # the span, holding it while it records its history, is not kept waiting.
        locked_article(annotation.article_id, fields=("id",), no_key=True)
    stored = locked_annotation(annotation.pk)
    if not permissions.can_change_annotation(actor, stored):
        raise PermissionDenied("Only its author or an editor can change this annotation.")
    wanted = {}
    if label is not None:
        _require_active(label, current_label_id=stored.label_id)
        if label.pk != stored.label_id:
            _require_offered(annotation.article, label)
        wanted["label_id"] = label.pk
    if speaker is not UNCHANGED:
        chosen = _speaker(speaker or None, actor)
        wanted["speaker_id"] = chosen.pk if chosen else None
    if note is not None:
        wanted["note"] = _clean_note(note)
    if verdict is not UNCHANGED:
        wanted["verdict_id"] = verdict.pk if verdict is not None else None
    if verdict_explanation is not None:
        wanted["verdict_explanation"] = _clean_note(verdict_explanation)
    changes = merge_edit(stored, wanted, expected_version)
    if not changes:
        return stored
    if "label_id" in changes:
        _refuse_twin_label(stored, label)
    if changes.get("verdict_id") is not None:
        _require_on_scale(stored, verdict)
    before = history.snapshot_annotation(stored)
    for field, value in changes.items():
        setattr(stored, field, value)
    _check_verdict(stored, label if label is not None else stored.label)
    if {"verdict_id", "verdict_explanation"} & set(changes):
        stored.verdict_by = actor if actor is not None and actor.is_authenticated else None
        stored.verdict_at = timezone.now()
        changes.update(verdict_by=stored.verdict_by, verdict_at=stored.verdict_at)
    stored.version += 1
    stored.save(update_fields=[*changes, "version", "updated_at"])
    history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=stored.pk,
        annotation_id=stored.pk,
        article_id=stored.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=history.snapshot_annotation(stored),
    )
    return stored


def _refuse_twin_label(stored: Annotation, label: Label) -> None:
    twin = twin_of(
        article_id=stored.article_id,
        start=stored.start,
        end=stored.end,
        label_id=label.pk,
        author_id=stored.author_id,
        excluding=stored.pk,
    )
    if twin is not None:
        raise ValidationError(
            f"This text is already marked “{label.name}” by the same reviewer (span #{twin}); "
            "the label was not changed."
        )


def _require_on_scale(stored: Annotation, verdict: Rating) -> None:
    """A new verdict is one of the article's rating scale (permissions.rating_refusal); the
    one a span has stays, even from a scale its desk no longer uses."""
    refusal = permissions.rating_refusal(
        verdict, article=Article(pk=stored.article_id), current_id=stored.verdict_id
    )
    if refusal:
        raise ValidationError(f"{refusal} Nothing was saved.")


def _check_verdict(span: Annotation, label: Label) -> None:
    if span.verdict_id is None:
        return
    if not label.takes_verdict:
        raise ValidationError(
            f"A “{label.name}” span carries no verdict: only claims are rated. "
            "Remove the verdict first, or keep the label."
        )
    if span.verdict_id is not None and not Rating.objects.filter(pk=span.verdict_id).exists():
        raise ValidationError("That verdict no longer exists; choose another.")


@transaction.atomic
def annotation_delete(*, annotation: Annotation, actor) -> HistoryEvent:
    """Delete a span, its sources and its links; the history keeps all of it for a
    restore."""
    stored = locked_annotation(annotation.pk, missing="This span was already deleted.")
    if not permissions.can_delete_annotation(actor, stored):
        raise PermissionDenied("Only its author or an editor can delete this annotation.")
    # The span is locked, so no source can be added between this snapshot and the delete.
    # The one format an article's deletion keeps its spans in too (articles_delete).
    (before,) = history.snapshot_deleted_spans([stored])
    pk, article_id = stored.pk, stored.article_id
    deleted, _ = Annotation.all_objects.filter(pk=pk).delete()
    if not deleted:
        raise Conflict("This span was already deleted.")
    return history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=pk,
        annotation_id=pk,
        article_id=article_id,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )


__all__ = [
    "UNCHANGED",
    "Gone",
    "annotation_create",
    "annotation_delete",
    "annotation_update",
    "merge_edit",
]
