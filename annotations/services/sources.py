"""Adding, editing and removing a span's evidence sources.

A source is written only while its span is locked: a source added to a span that is
being deleted waits for the delete and is then refused (Gone), instead of pointing at
a span that no longer exists.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import history, permissions
from ..conflicts import Conflict
from ..models import HistoryEvent, Source
from ._locks import locked_annotation, locked_source

# What a source's edit may change; `annotation` moves it to another span.
EDITABLE_FIELDS = (
    "annotation",
    "url",
    "title",
    "publisher",
    "stance",
    "quoted_passage",
    "accessed_on",
)
_NOT_ADDED = "This span was deleted in the meantime; the source was not added."


@transaction.atomic
def source_create(
    *,
    annotation,
    actor,
    url: str,
    stance: str = Source.Stance.CONTEXT,
    title: str = "",
    publisher: str = "",
    quoted_passage: str = "",
    accessed_on: date | None = None,
) -> Source:
    span = locked_annotation(annotation.pk, missing=_NOT_ADDED)
    if not permissions.can_add_source(actor, span):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    source = Source(
        annotation=span,
        url=url.strip(),
        stance=stance,
        title=title.strip(),
        publisher=publisher.strip(),
        quoted_passage=quoted_passage.strip(),
        accessed_on=accessed_on or timezone.localdate(),
        created_by=actor,
    )
    source.full_clean(exclude=["annotation", "created_by"])
    source.save(force_insert=True)
    history.record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=source.pk,
        annotation_id=span.pk,
        article_id=span.article_id,
        action=HistoryEvent.Action.CREATE,
        actor=actor,
        after=history.snapshot_source(source),
    )
    return source


@transaction.atomic
def source_update(*, source: Source, actor, expected_version: int | None = None) -> Source:
    """Save an edited source (its new values set on `source`) and record before and after.

    Setting another `annotation` moves the source to that span; the actor must be allowed
    to change the sources of both. A stale `expected_version` is a Conflict.
    """
    stored, span = locked_source(source.pk)
    if not permissions.can_change_source(actor, span):
        raise PermissionDenied("Only the span's author or an editor can change its sources.")
    if expected_version is not None and expected_version != stored.version:
        raise Conflict(
            "Someone else changed this source while you were editing it; reload to see "
            "their version, then make your change again."
        )
    target = span
    if source.annotation_id != stored.annotation_id:
        target = locked_annotation(
            source.annotation_id, missing="The span to move it to was deleted."
        )
        if not permissions.can_change_source(actor, target):
            raise PermissionDenied("You cannot move a source to a span you cannot change.")
    before = history.snapshot_source(stored)
    for field in EDITABLE_FIELDS:
        setattr(stored, field, getattr(source, field))
    stored.url = stored.url.strip()
    stored.full_clean(exclude=["annotation", "created_by"])
    changed = [f for f in EDITABLE_FIELDS if _value(stored, f) != _value_of(before, f)]
    if not changed:
        return stored
    stored.version += 1
    stored.save(update_fields=[*changed, "version"])
    history.record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=stored.pk,
        annotation_id=target.pk,
        article_id=target.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=history.snapshot_source(stored),
    )
    return stored


def _value(source: Source, field: str):
    return history.snapshot_source(source)[_snapshot_key(field)]


def _value_of(snapshot: dict, field: str):
    return snapshot[_snapshot_key(field)]


def _snapshot_key(field: str) -> str:
    return "annotation_id" if field == "annotation" else field


@transaction.atomic
def source_delete(*, source: Source, actor) -> None:
    stored, span = locked_source(source.pk)
    if not permissions.can_delete_source(actor, span):
        raise PermissionDenied("Only the span's author or an editor can remove its sources.")
    before = history.snapshot_source(stored)
    Source.objects.filter(pk=stored.pk).delete()
    history.record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=stored.pk,
        annotation_id=span.pk,
        article_id=span.article_id,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )


__all__ = ["ValidationError", "source_create", "source_delete", "source_update"]
