"""Restoring what was deleted. A deleted span: span.py (re-exported here); a deleted
article: below."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from ... import history
from ...conflicts import Conflict, Gone
from ...models import Annotation, Article, Evidence, HistoryEvent, Label, Rating, Relation
from .shared import (
    _existing_user,
    _existing_users,
    _parse_time,
    _restore_creation_times,
    _source_from,
    _speaker_from,
)
from .span import annotation_restore, restore_refusal

__all__ = ["annotation_restore", "restore_refusal"]


def _if_present(user_id, people: set[int]) -> int | None:
    return user_id if user_id in people else None


# --- undoing an article's deletion ----------------------------------------------------------

ARTICLE_RETURNED = "An article with this text was imported again since; nothing restored."


def article_restore_refusal(event: HistoryEvent) -> str | None:
    """Why this article deletion cannot be undone (a message), or None if it can."""
    from ...models.article import body_hash

    if event.kind != HistoryEvent.Kind.ARTICLE or event.action != HistoryEvent.Action.DELETE:
        return "Only a deleted article can be restored."
    data = event.before or {}
    if "body" not in data:
        return "This deletion was recorded without the article's text; nothing can be restored."
    if HistoryEvent.objects.filter(
        kind=HistoryEvent.Kind.ARTICLE,
        action=HistoryEvent.Action.RESTORE,
        after__restored_from=event.pk,
    ).exists():
        return "This article has already been restored."
    if Article.objects.filter(content_hash=body_hash(data["body"])).exists():
        return ARTICLE_RETURNED
    return None


@transaction.atomic
def article_restore(*, event: HistoryEvent, actor) -> Article:
    """Undo an article's deletion (services.articles.article_delete): the article with
    its id, every span with its id (a new one if the id was taken since), their sources,
    links and gold-layer origins, its collections, assignments and adjudication, in one
    transaction. Whatever cannot come back exactly is refused, and nothing is stored."""
    from ..articles import can_delete_article

    if not can_delete_article(actor):
        raise PermissionDenied("Only an admin can undo the deletion of an article.")
    locked = HistoryEvent.objects.select_for_update().filter(pk=event.pk).first()
    if locked is None:
        raise Gone("This history record no longer exists.")
    refusal = article_restore_refusal(locked)
    if refusal:
        raise Conflict(refusal)
    data = locked.before
    _refuse_missing_references(data["annotations"])
    article = _article_from(data)
    span_ids = _spans_from(data["annotations"], article, actor)
    _links_from(data["annotations"], span_ids)
    _desk_rows_from(data, article)
    _revisions_from(data, article)
    _relink_history(data, article, span_ids)
    _record_restore(locked, article, data, span_ids, actor)
    return article


def _refuse_missing_references(spans: list[dict]) -> None:
    labels = {s["label_id"] for s in spans}
    authors = {s["author_id"] for s in spans}
    if labels - set(Label.objects.filter(pk__in=labels).values_list("pk", flat=True)):
        raise Conflict("A label of this article's spans no longer exists; nothing restored.")
    if authors - _existing_users(authors):
        raise Conflict("An author of this article's spans no longer exists; nothing restored.")


def _article_from(data: dict) -> Article:
    free = not Article.objects.filter(pk=data["id"]).exists()
    article = Article(
        pk=data["id"] if free else None,
        title=data.get("title", ""),
        body=data["body"],
        author=data.get("author", ""),
        publisher=data.get("publisher", ""),
        published_at=_parse_time(data.get("published_at")),
        source_url=data.get("source_url", ""),
        status=data.get("status") or Article.Status.NEW,
        assignee_id=_existing_user(data.get("assignee_id")),
        import_metadata=data.get("import_metadata") or {},
    )
    article.save(force_insert=True)
    # auto_now(_add) stamp "now"; the article keeps when it was imported and last changed.
    Article.objects.filter(pk=article.pk).update(
        imported_at=_parse_time(data.get("imported_at")) or article.imported_at,
        updated_at=_parse_time(data.get("updated_at")) or article.updated_at,
    )
    article.refresh_from_db()
    return article


def _spans_from(spans: list[dict], article: Article, actor) -> dict[int, int]:
    """Re-create the spans and their sources; {snapshot id: id now}."""
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


def _revisions_from(data: dict, article: Article) -> None:
    """The article's earlier texts, as they were (who replaced one is kept if the account
    still exists)."""
    from ...models import ArticleRevision

    revisions = data.get("revisions") or []
    people = _existing_users([r.get("replaced_by_id") for r in revisions])
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


def _record_restore(deletion, article, data, ids: dict[int, int], actor) -> None:
    actor_id = history.actor_id_of(actor)
    spans = (
        Annotation.objects.filter(pk__in=list(ids.values()))
        .select_related("speaker")
        .prefetch_related("sources__source")
        .order_by("id")
    )
    HistoryEvent.objects.bulk_create(
        HistoryEvent(
            **history.event_values(
                kind=HistoryEvent.Kind.ANNOTATION,
                obj_id=span.pk,
                annotation_id=span.pk,
                article_id=article.pk,
                action=HistoryEvent.Action.RESTORE,
                actor_id=actor_id,
                before=None,
                after=history.snapshot_annotation(span, sources=span.sources.all()),
            )
        )
        for span in spans
    )
    history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=article.pk,
        annotation_id=None,
        article_id=article.pk,
        action=HistoryEvent.Action.RESTORE,
        actor=actor,
        after={
            **history.snapshot_article_fields(article),
            "restored_from": deletion.pk,
            "restored_spans": len(ids),
            "renumbered": {str(old): new for old, new in ids.items() if old != new},
        },
    )
