"""Speakers: found by name or created when a reviewer types a new one, and merged.

A name is one speaker corpus-wide, compared case-insensitively (a database constraint
too), so "John Kirby" on two spans is one person. Variants ("J. Kirby") are merged by an
editor: every span of the one moves to the other, each move recorded in its history.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from .. import history, offsets, permissions
from ..models import Annotation, HistoryEvent, Speaker

NAME_MAX = Speaker._meta.get_field("name").max_length
ROLE_MAX = Speaker._meta.get_field("role").max_length


def clean_name(name: str) -> str:
    """A speaker's name as stored: canonical text, one line, spaces collapsed."""
    name = " ".join(offsets.canonical_text(name or "").split())
    if len(name) > NAME_MAX:
        raise ValidationError(
            f"The speaker's name is {len(name)} characters long; the limit is {NAME_MAX}."
        )
    return name


def speaker_named(name: str, *, actor, kind: str = "", role: str = "") -> Speaker | None:
    """The speaker of this name, created when new; None for an empty name."""
    name = clean_name(name)
    if not name:
        return None
    found = Speaker.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    if not permissions.can_add_speaker(actor):
        raise PermissionDenied("Your account cannot add speakers.")
    role = " ".join(offsets.canonical_text(role or "").split())
    if len(role) > ROLE_MAX:
        raise ValidationError(f"The role is {len(role)} characters long; the limit is {ROLE_MAX}.")
    speaker = Speaker(name=name, role=role, kind=kind or Speaker.Kind.PERSON, created_by=actor)
    speaker.full_clean(exclude=["created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            speaker.save(force_insert=True)
    except IntegrityError:
        # The same name was stored a moment ago (or differs only in case beyond ASCII,
        # which iexact on SQLite does not fold): use the stored one.
        found = Speaker.objects.filter(name__iexact=name).first()
        if found is None:
            raise ValidationError(f"A speaker named “{name}” already exists.") from None
        return found
    history.record(
        kind=HistoryEvent.Kind.SPEAKER,
        obj_id=speaker.pk,
        annotation_id=None,
        article_id=None,
        action=HistoryEvent.Action.CREATE,
        actor=actor,
        after=history.snapshot_speaker(speaker),
    )
    return speaker


SPEAKER_FIELDS = ("name", "kind", "role", "url")


@transaction.atomic
def speaker_update(*, speaker: Speaker, actor, **fields) -> Speaker:
    """Correct a speaker's name, kind, role or URL (an editor, in the admin); recorded.
    A name another speaker already has is refused: merge the two instead."""
    if not permissions.can_merge_speakers(actor):
        raise PermissionDenied("Only an editor can change a speaker.")
    stored = Speaker.objects.select_for_update().filter(pk=speaker.pk).first()
    if stored is None:
        raise ValidationError("This speaker was merged or deleted in the meantime.")
    before = history.snapshot_speaker(stored)
    for field, value in fields.items():
        if field not in SPEAKER_FIELDS:
            raise ValueError(f"{field} is not a speaker field")
        if field == "name":
            value = clean_name(value)
            if not value:
                raise ValidationError({"name": "A speaker needs a name."})
            taken = Speaker.objects.filter(name__iexact=value).exclude(pk=stored.pk).first()
            if taken is not None:
                raise ValidationError(
                    {"name": f"“{taken.name}” is another speaker already: merge the two instead."}
                )
        setattr(stored, field, value)
    stored.full_clean(exclude=["created_by"], validate_constraints=False)
    after = history.snapshot_speaker(stored)
    if after == before:
        return stored
    stored.save()
    history.record(
        kind=HistoryEvent.Kind.SPEAKER,
        obj_id=stored.pk,
        annotation_id=None,
        article_id=None,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=after,
    )
    return stored


@transaction.atomic
def speaker_merge(*, duplicate: Speaker, into: Speaker, actor) -> int:
    """Move every span of `duplicate` to `into` and delete `duplicate`; returns how many
    spans moved. Each span's change is in its history, the merge in the speaker's."""
    if not permissions.can_merge_speakers(actor):
        raise PermissionDenied("Only an editor can merge speakers.")
    if duplicate.pk == into.pk:
        raise ValidationError("A speaker cannot be merged into itself; choose another speaker.")
    locked = {
        s.pk: s for s in Speaker.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk])
    }
    if len(locked) < 2:
        raise ValidationError("One of these speakers was deleted or merged in the meantime.")
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    spans = list(
        Annotation.objects.select_for_update().filter(speaker=duplicate).select_related("speaker")
    )
    events = []
    for span in spans:
        before = history.snapshot_annotation(span)
        span.speaker = into
        span.version += 1
        events.append(
            HistoryEvent(
                **history.event_values(
                    kind=HistoryEvent.Kind.ANNOTATION,
                    obj_id=span.pk,
                    annotation_id=span.pk,
                    article_id=span.article_id,
                    action=HistoryEvent.Action.UPDATE,
                    actor_id=history.actor_id_of(actor),
                    before=before,
                    after=history.snapshot_annotation(span),
                )
            )
        )
    Annotation.objects.bulk_update(spans, ["speaker", "version"], batch_size=500)
    HistoryEvent.objects.bulk_create(events, batch_size=500)
    before = history.snapshot_speaker(duplicate)
    duplicate.delete()
    history.record(
        kind=HistoryEvent.Kind.SPEAKER,
        obj_id=before["id"],
        annotation_id=None,
        article_id=None,
        action=HistoryEvent.Action.MERGE,
        actor=actor,
        before=before,
        after={**history.snapshot_speaker(into), "merged_spans": len(spans)},
    )
    return len(spans)


__all__ = ["clean_name", "speaker_merge", "speaker_named", "speaker_update"]


__all__ = ["clean_name", "speaker_merge", "speaker_named", "speaker_update"]


def speakers_by_name(names, *, actor) -> dict[str, Speaker]:
    """Many names at once (an import): {name as given: its speaker}, the new ones created
    in bulk with a history record each. Empty names are left out."""
    from django.db.models.functions import Lower

    wanted = {}
    for given in names:
        name = clean_name(given)
        if name:
            wanted.setdefault(name.lower(), (name, []))[1].append(given)
    if not wanted:
        return {}
    found = {
        s.lname: s
        for s in Speaker.objects.annotate(lname=Lower("name")).filter(lname__in=list(wanted))
    }
    missing = [
        Speaker(name=name, created_by_id=history.actor_id_of(actor))
        for key, (name, _) in wanted.items()
        if key not in found
    ]
    if missing:
        Speaker.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
        created = {
            s.lname: s
            for s in Speaker.objects.annotate(lname=Lower("name")).filter(
                lname__in=[s.name.lower() for s in missing]
            )
        }
        HistoryEvent.objects.bulk_create(
            [
                HistoryEvent(
                    **history.event_values(
                        kind=HistoryEvent.Kind.SPEAKER,
                        obj_id=s.pk,
                        annotation_id=None,
                        article_id=None,
                        action=HistoryEvent.Action.CREATE,
                        actor_id=history.actor_id_of(actor),
                        before=None,
                        after=history.snapshot_speaker(s),
                    )
                )
                for key, s in created.items()
                if key not in found
            ],
            batch_size=500,
        )
        found.update(created)
    return {
        given: found[key] for key, (_, givens) in wanted.items() if key in found for given in givens
    }
