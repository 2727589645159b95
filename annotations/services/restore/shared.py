"""Helpers both restores use, a deleted span's and a deleted article's: a snapshot's times
read back, the accounts that still exist, a span's speaker (found again by name if its
row was merged away), a source's citation and a span's creation times kept."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth import get_user_model

from ...models import Annotation, Evidence, Speaker
from ..sources import source_record_for
from ..speakers import speaker_named


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _speaker_from(data: dict, actor) -> Speaker | None:
    found = Speaker.objects.filter(pk=data.get("speaker_id") or 0).first()
    if found is not None:
        return found
    name = data.get("speaker") or ""
    return Speaker.objects.filter(name__iexact=name).first() or (
        speaker_named(name, actor=actor) if name else None
    )


def _existing_user(pk) -> int | None:
    return pk if pk and get_user_model().objects.filter(pk=pk).exists() else None


def _existing_users(ids) -> set[int]:
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return set()
    return set(get_user_model().objects.filter(pk__in=wanted).values_list("pk", flat=True))


def _source_from(snapshot: dict, annotation: Annotation, people: set[int], actor) -> Evidence:
    accessed = snapshot.get("accessed_on")
    record, _ = source_record_for(
        snapshot["url"],
        actor=actor,
        title=snapshot.get("title", ""),
        publisher=snapshot.get("publisher", ""),
        accessed_on=date.fromisoformat(accessed) if accessed else None,
    )
    return Evidence(
        pk=snapshot["id"],
        annotation=annotation,
        source=record,
        stance=snapshot.get("stance", Evidence.Stance.CONTEXT),
        quoted_passage=snapshot.get("quoted_passage", ""),
        # Whoever added it may have left since (the column is SET_NULL too).
        created_by_id=snapshot.get("created_by_id")
        if snapshot.get("created_by_id") in people
        else None,
        version=int(snapshot.get("version") or 1),
    )


def _restore_creation_times(annotation: Annotation, data: dict) -> None:
    """auto_now_add stamps "now" on insert; a restored span keeps when it was made."""
    created = _parse_time(data.get("created_at"))
    if created is not None:
        Annotation.objects.filter(pk=annotation.pk).update(created_at=created)
    for snapshot in data.get("sources", []):
        source_created = _parse_time(snapshot.get("created_at"))
        if source_created is not None:
            Evidence.objects.filter(pk=snapshot["id"]).update(created_at=source_created)
