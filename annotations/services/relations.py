"""Linking a span to the span it answers (a denial to the claim it denies).

Both spans are locked (in id order) before the link is written, so a link to a span
being deleted waits for the delete and is then refused; the same article and "not to
itself" are checked here with a message, the second and "once per pair" also by the
database.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import history, permissions
from ..conflicts import Gone
from ..models import HistoryEvent, Relation
from ._locks import locked_spans

_TARGET_GONE = "The span you linked to was deleted in the meantime; nothing was linked."


@transaction.atomic
def relation_create(*, from_span, to_span_id, type: str, actor) -> Relation:
    if type not in Relation.Type.values:
        raise ValidationError(
            f"“{type}” is not a kind of link; use one of {', '.join(Relation.Type.values)}."
        )
    try:
        to_span_id = int(to_span_id)
    except (TypeError, ValueError):
        raise ValidationError("Choose the span to link to.") from None
    if to_span_id == from_span.pk:
        raise ValidationError("A span cannot answer itself; choose another span.")
    origin, target = locked_spans(from_span.pk, to_span_id, missing=_TARGET_GONE)
    if not permissions.can_link_spans(actor, origin):
        raise PermissionDenied("Only the span's author or an editor can link it.")
    if origin.article_id != target.article_id:
        raise ValidationError("A span can only be linked to a span of the same article.")
    if Relation.objects.filter(from_span=origin, to_span=target).exists():
        raise ValidationError(f"Span #{origin.pk} is already linked to span #{target.pk}.")
    relation = Relation.objects.create(
        from_span=origin, to_span=target, type=type, created_by=actor
    )
    history.record(
        kind=HistoryEvent.Kind.RELATION,
        obj_id=relation.pk,
        annotation_id=origin.pk,
        article_id=origin.article_id,
        action=HistoryEvent.Action.CREATE,
        actor=actor,
        after=history.snapshot_relation(relation),
    )
    return relation


@transaction.atomic
def relation_delete(*, relation: Relation, actor) -> None:
    origin, _ = locked_spans(
        relation.from_span_id,
        relation.to_span_id,
        missing="One of the linked spans was deleted, and the link with it.",
    )
    if not permissions.can_unlink_spans(actor, origin):
        raise PermissionDenied("Only the span's author or an editor can remove its links.")
    stored = Relation.objects.filter(pk=relation.pk).first()
    if stored is None:
        raise Gone("This link was already removed.")
    before = history.snapshot_relation(stored)
    stored.delete()
    history.record(
        kind=HistoryEvent.Kind.RELATION,
        obj_id=before["id"],
        annotation_id=origin.pk,
        article_id=origin.article_id,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )


__all__ = ["relation_create", "relation_delete"]
