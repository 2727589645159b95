"""Undoing an article's deletion: the one owner of the rule for when it can be undone
(article_restore_refusal), and article_restore, which asks it again under its lock, brings
the article's row back, has article_rows.py rebuild what hung from it and records the
restore (the article's event and one per span)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BigIntegerField, Exists, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from ... import history
from ...conflicts import Conflict, Gone
from ...models import Annotation, Article, HistoryEvent, Label
from .article_rows import (
    _desk_rows_from,
    _links_from,
    _relink_history,
    _revisions_from,
    _spans_from,
)
from .shared import _existing_user, _existing_users, _parse_time

# --- undoing an article's deletion ----------------------------------------------------------

ARTICLE_RETURNED = "An article with this text was imported again since; nothing restored."
ADDRESS_RETURNED = (
    "Another article from this address ({address}) was added since: the same page is one "
    "article, so nothing was restored."
)


def article_restore_refusal(
    event: HistoryEvent, *, restored=None, returned=None, addressed=None
) -> str | None:
    """Why this article deletion cannot be undone (a message), or None if it can.

    `restored`, `returned` and `addressed`: what a list of deletions already knows
    (with_restorability says it for a whole queryset, in its own query): the ids of those
    among them already undone, of those whose text is a live article's again, and of
    those whose address (canonical URL) is. None: asked here.
    """
    if event.kind != HistoryEvent.Kind.ARTICLE or event.action != HistoryEvent.Action.DELETE:
        return "Only a deleted article can be restored."
    data = event.before or {}
    if "body" not in data:
        return "This deletion was recorded without the article's text; nothing can be restored."
    if (
        event.pk in restored
        if restored is not None
        else HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ARTICLE,
            action=HistoryEvent.Action.RESTORE,
            after__restored_from=event.pk,
        ).exists()
    ):
        return "This article has already been restored."
    # The text's identity, as the deletion recorded it (every deletion keeps the
    # article's content_hash): what with_restorability compares in the database.
    recorded = data.get("content_hash")
    if (
        event.pk in returned
        if returned is not None and recorded
        else Article.objects.filter(content_hash=recorded or _body_hash(data["body"])).exists()
    ):
        return ARTICLE_RETURNED
    # The page's identity (the importers' rule, and the admin's "Add article"): a deletion
    # recorded before snapshots kept the canonical URL has it worked out from its source.
    address = _recorded_address(data)
    if address and (
        event.pk in addressed
        if addressed is not None and "canonical_url" in data
        else Article.objects.filter(canonical_url=address).exists()
    ):
        return ADDRESS_RETURNED.format(address=address)
    return None


def _recorded_address(data: dict) -> str:
    if "canonical_url" in data:
        return data["canonical_url"] or ""
    from ...weburl import canonical_url

    source = data.get("source_url") or ""
    return canonical_url(source) if source else ""


def with_restorability(events: QuerySet) -> QuerySet:
    """`events` with what article_restore_refusal looks up, for every row in the list's
    own query: `article_restored` (an undo of it was recorded) and `article_returned`
    (its text is a live article's again). For a page of deletions, asking the rule row
    by row was two queries per row, and a hash of each row's whole article."""
    undone = (
        HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ARTICLE, action=HistoryEvent.Action.RESTORE
        )
        # A number on both sides: PostgreSQL compares no jsonb with an id.
        .annotate(restored_from=Cast(KT("after__restored_from"), BigIntegerField()))
        .filter(restored_from=OuterRef("pk"))
    )
    return events.annotate(
        deleted_text_hash=KT("before__content_hash"),
        deleted_address=KT("before__canonical_url"),
        article_restored=Exists(undone),
        article_returned=Exists(Article.objects.filter(content_hash=OuterRef("deleted_text_hash"))),
        article_addressed=Exists(
            Article.objects.exclude(canonical_url="").filter(
                canonical_url=OuterRef("deleted_address")
            )
        ),
    )


def known_restorability(event) -> dict:
    """article_restore_refusal's `restored` and `returned` for one row of
    with_restorability."""
    return {
        "restored": {event.pk} if event.article_restored else set(),
        "returned": {event.pk} if event.article_returned else set(),
        "addressed": {event.pk} if event.article_addressed else set(),
    }


def _body_hash(body: str) -> str:
    from ...models.article import body_hash

    return body_hash(body)


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
    # The earlier texts first: an unplaced span is anchored in one of them.
    revision_ids = _revisions_from(data, article)
    span_ids = _spans_from(data["annotations"], article, actor, revision_ids=revision_ids)
    _links_from(data["annotations"], span_ids)
    _desk_rows_from(data, article)
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
