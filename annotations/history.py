"""The history's one snapshot format, and the one way an event is written.

Every create, change, delete and restore of an annotation or a source is a HistoryEvent
whose `before` / `after` are the snapshots below. The services, the admin (through the
services) and the importer all build them here, so a restore can rebuild any deleted
span, whoever deleted it and however it came in.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from .models import HistoryEvent

# Where the changes being made come from ("review", "admin", "import", "command",
# "adjudication", ...): set around a request, a command or an import, read by every
# event written meanwhile, so the history can say from which screen a change was made.
_origin: ContextVar[str] = ContextVar("history_origin", default="")


def current_origin() -> str:
    return _origin.get()


@contextmanager
def recording_origin(origin: str):
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def snapshot_source(source) -> dict:
    """A span's source (an Evidence link, with the cited record's fields) as the history
    keeps it; works on anything with those fields (the importer's unsaved rows)."""
    return {
        "id": source.pk,
        "annotation_id": source.annotation_id,
        "source_id": source.source_id,
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "stance": source.stance,
        "quoted_passage": source.quoted_passage,
        "accessed_on": _iso(source.accessed_on),
        "created_by_id": source.created_by_id,
        "created_at": _iso(source.created_at),
        "version": getattr(source, "version", 1) or 1,
    }


def snapshot_source_record(record) -> dict:
    """A shared source record (models.Source) as the history keeps it."""
    return {
        "id": record.pk,
        "url": record.url,
        "title": record.title,
        "publisher": record.publisher,
        "accessed_on": _iso(record.accessed_on),
        "version": getattr(record, "version", 1) or 1,
    }


def snapshot_relation(relation) -> dict:
    return {
        "id": relation.pk,
        "from_span_id": relation.from_span_id,
        "to_span_id": relation.to_span_id,
        "type": relation.type,
        "created_by_id": relation.created_by_id,
        "created_at": _iso(relation.created_at),
    }


def snapshot_speaker(speaker) -> dict:
    return {
        "id": speaker.pk,
        "name": speaker.name,
        "kind": speaker.kind,
        "role": speaker.role,
        "url": speaker.url,
    }


def snapshot_annotation(annotation, *, sources=None, relations=None) -> dict:
    """A span as the history keeps it; `sources` and `relations` (lists, both directions)
    are included when given: a deletion keeps them for the restore."""
    data = {
        "id": annotation.pk,
        "article_id": annotation.article_id,
        "label_id": annotation.label_id,
        "start": annotation.start,
        "end": annotation.end,
        "quote": annotation.quote,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
        # The speaker's name too: the row may be merged away before a restore.
        "speaker_id": annotation.speaker_id,
        "speaker": annotation.speaker.name if annotation.speaker_id else "",
        "note": annotation.note,
        "verdict_id": annotation.verdict_id,
        "verdict_explanation": annotation.verdict_explanation,
        "verdict_by_id": annotation.verdict_by_id,
        "verdict_at": _iso(annotation.verdict_at),
        "author_id": annotation.author_id,
        "created_at": _iso(annotation.created_at),
        "version": getattr(annotation, "version", 1) or 1,
    }
    if sources is not None:
        data["sources"] = [snapshot_source(s) for s in sources]
    if relations is not None:
        data["relations"] = [snapshot_relation(r) for r in relations]
    return data


# The fields a reviewer edits, as named in a snapshot: what a merge compares.
EDITABLE_ANNOTATION_FIELDS = ("label_id", "speaker_id", "note", "verdict_id", "verdict_explanation")


def event_values(*, kind, obj_id, annotation_id, article_id, action, actor_id, before, after):
    """One HistoryEvent's values; `record` saves them, the importer inserts them in bulk."""
    return {
        "kind": kind,
        "object_id": obj_id,
        "annotation_id_ref": annotation_id,
        "article_id": article_id,
        "action": action,
        "actor_id": actor_id,
        "before": before,
        "after": after,
        "origin": current_origin(),
    }


def actor_id_of(actor) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def record(*, kind, obj_id, annotation_id, article_id, action, actor, before=None, after=None):
    return HistoryEvent.objects.create(
        **event_values(
            kind=kind,
            obj_id=obj_id,
            annotation_id=annotation_id,
            article_id=article_id,
            action=action,
            actor_id=actor_id_of(actor),
            before=before,
            after=after,
        )
    )


def annotation_version_snapshot(annotation_id: int, version: int) -> dict | None:
    """The span as it was at `version` (what an edit form was rendered from), if known."""
    event = (
        HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ANNOTATION,
            object_id=annotation_id,
            action__in=[
                HistoryEvent.Action.CREATE,
                HistoryEvent.Action.UPDATE,
                HistoryEvent.Action.RESTORE,
            ],
            after__version=version,
        )
        .order_by("-id")
        .first()
    )
    return event.after if event else None


def latest_annotation_event(annotation_id: int) -> HistoryEvent | None:
    return (
        HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ANNOTATION, object_id=annotation_id)
        .select_related("actor")
        .order_by("-id")
        .first()
    )
