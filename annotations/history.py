"""The history's one snapshot format, and the one way an event is written.

Every create, change, delete and restore of an annotation or a source is a HistoryEvent
whose `before` / `after` are the snapshots below. The services, the admin (through the
services) and the importer all build them here, so a restore can rebuild any deleted
span, whoever deleted it and however it came in. An article's deletion keeps the whole
article (snapshot_article: its fields, every span with its sources and links, its
collections, assignments and adjudication) so an admin can undo it.

Why not django-simple-history or django-pghistory (evaluated for issue 8):
- django-simple-history records from post_save/post_delete signals, one mirror table per
  model. The importer and the speaker merge write with bulk_create / bulk_update (and
  the importer inserts its history rows with COPY/INSERT), which send no signals: each
  would need the library's *_with_history helpers, and a deleted span's restore needs the
  span *with* its sources and links as one record, which per-model mirror rows do not
  give without joining three history tables at the right instants.
- django-pghistory tracks with PostgreSQL triggers, so nothing is bypassed, but the
  development and test database here is SQLite, where it does not run; its events are
  also one table per model (no single span-with-sources snapshot to rebuild from), its
  context travels through set_config per statement (pooler pinning), and it lists
  Django up to 6.0 while this project runs 6.1.
The existing table already gives what the pages need: one snapshot format per kind that
restore rebuilds from, bulk inserts by the importer, an origin per request/command/import
and one query for an article's whole timeline. So no dependency was added.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC

from django.db.models import Q
from django.utils import timezone

from .models import Annotation, HistoryEvent

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
        # Added for the gold layer; older snapshots lack it and mean "reviewer".
        "layer": getattr(annotation, "layer", "reviewer") or "reviewer",
        "created_at": _iso(annotation.created_at),
        "version": getattr(annotation, "version", 1) or 1,
    }
    if getattr(annotation, "needs_attention", False):
        # Unplaced by a revision: its offsets index that revision's text, not the
        # article's (only such spans have these keys; older snapshots lack them).
        data["needs_attention"] = True
        data["anchored_in_id"] = annotation.anchored_in_id
    if sources is not None:
        data["sources"] = [snapshot_source(s) for s in sources]
    if relations is not None:
        data["relations"] = [snapshot_relation(r) for r in relations]
    return data


def snapshot_deleted_spans(spans) -> list[dict]:
    """Each span as its deletion keeps it (snapshot_annotation with its sources and its
    links, both directions, each by id), in three queries for any number of spans: what
    annotation_delete keeps for one span, for a whole article's spans at once. `spans`
    are Annotation rows with their speaker selected."""
    from .models import Evidence, Relation

    span_ids = [span.pk for span in spans]
    sources: dict[int, list] = {pk: [] for pk in span_ids}
    for source in (
        Evidence.objects.filter(annotation_id__in=span_ids).select_related("source").order_by("id")
    ):
        sources[source.annotation_id].append(source)
    relations: dict[int, list] = {pk: [] for pk in span_ids}
    for relation in Relation.objects.filter(
        Q(from_span_id__in=span_ids) | Q(to_span_id__in=span_ids)
    ).order_by("id"):
        for end in dict.fromkeys((relation.from_span_id, relation.to_span_id)):
            if end in relations:
                relations[end].append(relation)
    return [
        snapshot_annotation(span, sources=sources[span.pk], relations=relations[span.pk])
        for span in spans
    ]


def span_deletion_snapshot(article_span: dict) -> dict:
    """A span of an article's deletion snapshot (snapshot_article) as the span's own
    deletion event keeps it: the same snapshot, without what only the article's undo
    reads (the spans a gold span was adjudicated from, which come back with the article)."""
    return {key: value for key, value in article_span.items() if key != "adjudicated_from"}


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
    """The span as it was at `version` (what an edit form was rendered from), if known:
    the `after` of the event that made that version, or else the `before` of the event
    that moved the span on from it, or else the span itself while still at it.

    An imported span has no event of its own for its first version (the import records
    one event for its article: importers/rows._record_arrivals), so the second and
    third ways are how that version is found.
    """
    events = HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ANNOTATION, object_id=annotation_id)
    made = (
        events.filter(
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
    if made is not None:
        return made.after
    left = (
        events.filter(
            action__in=[HistoryEvent.Action.UPDATE, HistoryEvent.Action.DELETE],
            before__version=version,
        )
        .order_by("id")
        .first()
    )
    if left is not None:
        return left.before
    live = (
        Annotation.all_objects.filter(pk=annotation_id, version=version)
        .select_related("speaker")
        .first()
    )
    return snapshot_annotation(live) if live is not None else None


def latest_annotation_event(annotation_id: int) -> HistoryEvent | None:
    return (
        HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ANNOTATION, object_id=annotation_id)
        .select_related("actor")
        .order_by("-id")
        .first()
    )


# --- articles -------------------------------------------------------------------------------

# The article fields a metadata/status event compares (what services.articles may change).
ARTICLE_FIELDS = (
    "title",
    "author",
    "publisher",
    "published_at",
    "source_url",
    "status",
    "assignee_id",
    "content_hash",
)


# The key of an imported article's arrival event (kind ARTICLE, action CREATE) that says
# how many spans came with it (kept for the record, not shown: a blind reviewer sees
# the event, and the count includes others' spans).
IMPORTED_SPANS = "imported_spans"


def snapshot_article_fields(article) -> dict:
    """An article's reviewable fields (not the body, which can be megabytes): what an
    ARTICLE update event keeps before and after."""
    data = {"id": article.pk}
    for name in ARTICLE_FIELDS:
        value = getattr(article, name)
        data[name] = _iso(value) if name == "published_at" else value
    return data


def snapshot_arrival(article, *, spans: int) -> dict:
    """An article's arrival event's `after` (kind ARTICLE, action CREATE): an import's
    (importers/rows.py, for each article it creates) or one typed in the admin
    (services.articles.article_create). Its fields, the time in UTC (as the database
    gives it back), and how many spans came with it."""
    data = snapshot_article_fields(article)
    moment = article.published_at
    if moment is not None and timezone.is_aware(moment):
        data["published_at"] = _iso(moment.astimezone(UTC))
    data[IMPORTED_SPANS] = spans
    return data


def snapshot_article(article) -> dict:
    """The whole article as its deletion keeps it, for an admin's undo: its fields and
    body, every span (snapshot_annotation with sources, links and the spans a gold span
    was adjudicated from), its collections, assignments and adjudication, and its earlier
    texts (revisions; a deletion recorded before they were kept has none)."""
    from .models import Assignment

    spans = list(
        Annotation.all_objects.filter(article_id=article.pk)
        .select_related("speaker")
        .order_by("id")
    )
    span_ids = [span.pk for span in spans]
    adjudicated: dict[int, list[int]] = {}
    for gold_id, reviewer_id in Annotation.adjudicated_from.through.objects.filter(
        from_annotation_id__in=span_ids
    ).values_list("from_annotation_id", "to_annotation_id"):
        adjudicated.setdefault(gold_id, []).append(reviewer_id)
    annotations = [
        {**data, "adjudicated_from": sorted(adjudicated.get(data["id"], []))}
        for data in snapshot_deleted_spans(spans)
    ]
    adjudication = getattr(article, "adjudication", None) if article.pk else None
    return {
        **snapshot_article_fields(article),
        # The page's identity, as its undo compares it (a snapshot before this has none).
        "canonical_url": article.canonical_url,
        "body": article.body,
        "import_metadata": article.import_metadata,
        "imported_at": _iso(article.imported_at),
        "updated_at": _iso(article.updated_at),
        "annotations": annotations,
        "collection_ids": sorted(article.collections.values_list("pk", flat=True)),
        "assignments": [
            {
                "id": a.pk,
                "collection_id": a.collection_id,
                "reviewer_id": a.reviewer_id,
                "status": a.status,
                "assigned_by_id": a.assigned_by_id,
                "assigned_at": _iso(a.assigned_at),
                "started_at": _iso(a.started_at),
                "done_at": _iso(a.done_at),
            }
            for a in Assignment.objects.filter(article_id=article.pk).order_by("id")
        ],
        # Earlier texts (revisions): an undo brings them back with the article.
        "revisions": [
            {
                "id": r.pk,  # what an unplaced span's anchored_in_id names
                "number": r.number,
                "title": r.title,
                "body": r.body,
                "content_hash": r.content_hash,
                "source_url": r.source_url,
                "imported_at": _iso(r.imported_at),
                "replaced_at": _iso(r.replaced_at),
                "replaced_by_id": r.replaced_by_id,
            }
            for r in article.revisions.order_by("number")
        ]
        if article.pk
        else [],
        "adjudication": None
        if adjudication is None
        else {
            "collection_id": adjudication.collection_id,
            "adjudicator_id": adjudication.adjudicator_id,
            "started_at": _iso(adjudication.started_at),
            "finished_at": _iso(adjudication.finished_at),
        },
    }
