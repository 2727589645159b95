"""What hung from a deleted article, rebuilt for article_restore (article.py): its spans
with their sources, the links between them and the spans each gold span came from, its
collections, assignments and adjudication, its earlier texts, and its earlier history
events, which belong to it again."""

from __future__ import annotations

from django.db.models import Q

from ...models import Annotation, Article, Evidence, HistoryEvent, Rating, Relation
from .shared import (
    _existing_user,
    _existing_users,
    _parse_time,
    _restore_creation_times,
    _source_from,
    _speaker_from,
)


def _if_present(user_id, people: set[int]) -> int | None:
    return user_id if user_id in people else None


def _spans_from(
    spans: list[dict], article: Article, actor, *, revision_ids: dict[int, int]
) -> dict[int, int]:
    """Re-create the spans and their sources; {snapshot id: id now}. A span a revision
    left unplaced comes back unplaced, anchored in the restored revision it was made on
    (`revision_ids`: {snapshot id: id now}): its offsets index that text, not the
    article's."""
    taken = set(
        Annotation.objects.filter(pk__in=[s["id"] for s in spans]).values_list("pk", flat=True)
    )
    ratings = set(
        Rating.objects.filter(pk__in=[s.get("verdict_id") for s in spans]).values_list(
            "pk", flat=True
        )
    )
    people = _existing_users(
        [s.get("verdict_by_id") for s in spans]
        + [src.get("created_by_id") for s in spans for src in s.get("sources", [])]
    )
    ids: dict[int, int] = {}
    for data in spans:
        annotation = Annotation(
            pk=None if data["id"] in taken else data["id"],
            article=article,
            label_id=data["label_id"],
            start=data["start"],
            end=data["end"],
            quote=data["quote"],
            prefix=data.get("prefix", ""),
            suffix=data.get("suffix", ""),
            speaker=_speaker_from(data, actor),
            note=data.get("note", ""),
            verdict_id=data.get("verdict_id") if data.get("verdict_id") in ratings else None,
            verdict_explanation=data.get("verdict_explanation", ""),
            verdict_by_id=_if_present(data.get("verdict_by_id"), people),
            verdict_at=_parse_time(data.get("verdict_at")),
            author_id=data["author_id"],
            layer=data.get("layer") or Annotation.Layer.REVIEWER,
            version=int(data.get("version") or 1),
            needs_attention=bool(data.get("needs_attention")),
            anchored_in_id=revision_ids.get(data.get("anchored_in_id")),
        )
        annotation.save(force_insert=True)
        ids[data["id"]] = annotation.pk
        _restore_creation_times(annotation, {**data, "sources": []})
        _sources_again(data.get("sources", []), annotation, people, actor)
    return ids


def _sources_again(snapshots: list[dict], annotation: Annotation, people: set[int], actor):
    from ...models import Source

    records = {
        r.pk: r for r in Source.objects.filter(pk__in=[s.get("source_id") for s in snapshots])
    }
    taken = set(
        Evidence.objects.filter(pk__in=[s["id"] for s in snapshots]).values_list("pk", flat=True)
    )
    seen = set()
    for snapshot in snapshots:
        record = records.get(snapshot.get("source_id"))
        if record is None or record.url != snapshot.get("url"):
            record = _source_from(snapshot, annotation, people, actor).source
        if record.pk in seen:
            continue  # one citation per URL
        seen.add(record.pk)
        link = Evidence(
            pk=None if snapshot["id"] in taken else snapshot["id"],
            annotation=annotation,
            source=record,
            stance=snapshot.get("stance", Evidence.Stance.CONTEXT),
            quoted_passage=snapshot.get("quoted_passage", ""),
            created_by_id=_if_present(snapshot.get("created_by_id"), people),
            version=int(snapshot.get("version") or 1),
        )
        link.save(force_insert=True)
        created = _parse_time(snapshot.get("created_at"))
        if created is not None:
            Evidence.objects.filter(pk=link.pk).update(created_at=created)


def _links_from(spans: list[dict], ids: dict[int, int]) -> None:
    """The links between the restored spans, and the spans each gold span came from."""
    links = [r for s in spans for r in s.get("relations", [])]
    people = _existing_users(r.get("created_by_id") for r in links)
    link_ids = [r["id"] for r in links]
    taken = set(Relation.objects.filter(pk__in=link_ids).values_list("pk", flat=True))
    seen = set()
    for data in spans:
        for r in data.get("relations", []):
            pair = (ids.get(r["from_span_id"]), ids.get(r["to_span_id"]))
            if None in pair or pair in seen:
                continue  # a link to a span of another article, gone since
            seen.add(pair)
            relation = Relation.objects.create(
                pk=None if r["id"] in taken else r["id"],
                from_span_id=pair[0],
                to_span_id=pair[1],
                type=r.get("type", Relation.Type.RESPONDS_TO),
                created_by_id=_if_present(r.get("created_by_id"), people),
            )
            created = _parse_time(r.get("created_at"))
            if created is not None:
                Relation.objects.filter(pk=relation.pk).update(created_at=created)
    through = Annotation.adjudicated_from.through
    through.objects.bulk_create(
        through(from_annotation_id=ids[data["id"]], to_annotation_id=ids[origin])
        for data in spans
        for origin in data.get("adjudicated_from", [])
        if origin in ids
    )


def _desk_rows_from(data: dict, article: Article) -> None:
    from ...models import Adjudication, Assignment, Collection

    collections = set(
        Collection.objects.filter(pk__in=data.get("collection_ids", [])).values_list(
            "pk", flat=True
        )
    )
    article.collections.add(*sorted(collections))
    assignments = [a for a in data.get("assignments", []) if a["collection_id"] in collections]
    people = _existing_users(
        [a["reviewer_id"] for a in assignments] + [a.get("assigned_by_id") for a in assignments]
    )
    taken = set(
        Assignment.objects.filter(pk__in=[a["id"] for a in assignments]).values_list(
            "pk", flat=True
        )
    )
    for a in assignments:
        if a["reviewer_id"] not in people:
            continue
        row = Assignment.objects.create(
            pk=None if a["id"] in taken else a["id"],
            collection_id=a["collection_id"],
            article=article,
            reviewer_id=a["reviewer_id"],
            status=a.get("status") or Assignment.Status.TODO,
            assigned_by_id=_if_present(a.get("assigned_by_id"), people),
            started_at=_parse_time(a.get("started_at")),
            done_at=_parse_time(a.get("done_at")),
        )
        assigned = _parse_time(a.get("assigned_at"))
        if assigned is not None:
            Assignment.objects.filter(pk=row.pk).update(assigned_at=assigned)
    adjudication = data.get("adjudication")
    if adjudication:
        row = Adjudication.objects.create(
            article=article,
            collection_id=adjudication.get("collection_id")
            if adjudication.get("collection_id") in collections
            else None,
            adjudicator_id=_existing_user(adjudication.get("adjudicator_id")),
            finished_at=_parse_time(adjudication.get("finished_at")),
        )
        started = _parse_time(adjudication.get("started_at"))
        if started is not None:
            Adjudication.objects.filter(pk=row.pk).update(started_at=started)


def _revisions_from(data: dict, article: Article) -> dict[int, int]:
    """The article's earlier texts, as they were (who replaced one is kept if the account
    still exists); {snapshot id: id now} (a snapshot from before ids were kept has none)."""
    from ...models import ArticleRevision

    revisions = data.get("revisions") or []
    people = _existing_users([r.get("replaced_by_id") for r in revisions])
    ids: dict[int, int] = {}
    for r in revisions:
        row = ArticleRevision.objects.create(
            article=article,
            number=r["number"],
            title=r.get("title", ""),
            body=r["body"],
            content_hash=r.get("content_hash", ""),
            source_url=r.get("source_url", ""),
            imported_at=_parse_time(r.get("imported_at")) or article.imported_at,
            replaced_by_id=_if_present(r.get("replaced_by_id"), people),
        )
        if replaced_at := _parse_time(r.get("replaced_at")):  # auto_now_add stamped "now"
            ArticleRevision.objects.filter(pk=row.pk).update(replaced_at=replaced_at)
        if r.get("id") is not None:
            ids[r["id"]] = row.pk
    return ids


def _relink_history(data: dict, article: Article, ids: dict[int, int]) -> None:
    """The article's earlier events lost their article when its row was deleted (the
    column is SET_NULL); they belong to it again."""
    from ..articles import HISTORY_EVENT_IDS

    # Older deletions did not list their events: the spans' and the article's own then.
    listed = (
        Q(pk__in=data[HISTORY_EVENT_IDS])
        if HISTORY_EVENT_IDS in data
        else Q(annotation_id_ref__in=list(ids))
    )
    HistoryEvent.objects.filter(article__isnull=True).filter(
        listed | Q(kind=HistoryEvent.Kind.ARTICLE, object_id=data["id"])
    ).update(article_id=article.pk)
