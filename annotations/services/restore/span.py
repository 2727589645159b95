"""Restoring a deleted span: the one owner of the rule for when a restore is allowed.

A deletion can be restored when it is the latest deletion of that span (an older one
would bring back an old version and drop later edits), the span is not live, its article,
label and author still exist, and its text is still in the article: at its offsets, or
found again by its quote and context when the text was edited since, and its author has
not marked that text with that label again since (services/twins.py). The span comes back
with its id, its creation time, its sources (each citing the URL's stored record, made
again if it was removed), its speaker (by name if that row was merged away) and those of
its links whose other span still exists.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q

from ... import history, offsets, permissions
from ...anchoring import SpanText, find_in
from ...conflicts import Conflict, Gone
from ...models import Annotation, Article, Evidence, HistoryEvent, Label, Rating, Relation
from ..twins import twin_of
from .shared import (
    _existing_user,
    _existing_users,
    _parse_time,
    _restore_creation_times,
    _source_from,
    _speaker_from,
)

UNPLACED_NOT_DELETED = (
    "This span is not deleted: a new text of its article could not place it, and it waits "
    "on the article's “needs attention” page, to be placed on the new text or discarded."
)


def restore_refusal(event: HistoryEvent, *, live_ids=None, later_deletes=None) -> str | None:
    """Why this deletion cannot be restored (a message), or None if it can.

    Checks what can be known without the article text; the page uses it to decide which
    deletions to offer, and annotation_restore calls it again under its lock.
    """
    if event.kind != HistoryEvent.Kind.ANNOTATION or event.action != HistoryEvent.Action.DELETE:
        return "Only a deleted annotation can be restored."
    if (event.before or {}).get("layer") == Annotation.Layer.GOLD:
        # A gold span comes back by adjudicating again: restored here it would return as
        # a reviewer's span authored by the editor.
        return "A gold span is restored from the adjudication page, not here."
    span_id = event.object_id
    if live_ids is not None:
        is_live, waiting = span_id in live_ids, False
    else:
        # all_objects: a span a revision could not place is live, not deleted.
        found = Annotation.all_objects.filter(pk=span_id).values_list("needs_attention").first()
        is_live, waiting = found is not None, bool(found and found[0])
    if waiting:
        return UNPLACED_NOT_DELETED
    if is_live:
        return "This span has already been restored."
    has_later = (
        span_id in later_deletes
        if later_deletes is not None
        else HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ANNOTATION,
            object_id=span_id,
            action=HistoryEvent.Action.DELETE,
            pk__gt=event.pk,
        ).exists()
    )
    if has_later:
        return (
            "This span was restored and deleted again later; restore its latest deletion "
            "instead, which has its later changes."
        )
    return None


def _placed(body: str, data: dict) -> tuple[int, int]:
    """Where the span's text is in the article now: its offsets, or found again."""
    start, end, quote = data["start"], data["end"], data["quote"]
    try:
        offsets.check_span(body, start, end, quote)
        return start, end
    except offsets.SpanError:
        pass
    # Found again only where its context says it is the span's text (anchoring's rule
    # for revisions): the same words in another sentence are another claim.
    span = SpanText(start, end, quote, data.get("prefix", ""), data.get("suffix", ""))
    placed = find_in(body, span)
    found = (placed.start, placed.end) if placed is not None else None
    if found is None:
        raise Conflict(
            "The article's text has changed and this span's text is no longer in it, so "
            "the span cannot be restored. Its record stays in the history."
        )
    return found


@transaction.atomic
def annotation_restore(*, event: HistoryEvent, actor) -> Annotation:
    """Rebuild a deleted annotation, with its sources, id and creation time."""
    # Two restores of one deletion queue on this lock; the second finds the span live.
    locked = HistoryEvent.objects.select_for_update().filter(pk=event.pk).first()
    if locked is None:
        raise Gone("This history record no longer exists.")
    refusal = restore_refusal(locked)
    if refusal:
        raise Conflict(refusal)
    data = locked.before or {}
    if not permissions.can_restore_annotation(actor, data.get("author_id")):
        raise PermissionDenied("Only its author or an editor can restore this annotation.")
    article = Article.objects.select_for_update().filter(pk=data.get("article_id")).first()
    if article is None:
        raise Conflict("The article of this annotation no longer exists.")
    if not Label.objects.filter(pk=data.get("label_id")).exists():
        raise Conflict("The label of this annotation no longer exists.")
    if not get_user_model().objects.filter(pk=data.get("author_id")).exists():
        raise Conflict("The author of this annotation no longer exists.")
    start, end = _placed(article.body, data)
    # Under the article's lock, as a new span's check (services/twins.py).
    twin = twin_of(
        article_id=article.pk,
        start=start,
        end=end,
        label_id=data["label_id"],
        author_id=data["author_id"],
    )
    if twin is not None:
        raise Conflict(
            f"The same reviewer has marked this text with this label again since (span "
            f"#{twin}), so restoring this span would make a twin of it: nothing was "
            "restored. Delete that span first to bring this one back."
        )
    selector = offsets.quote_selector(article.body, start, end)
    annotation = Annotation(
        pk=data["id"],
        article=article,
        label_id=data["label_id"],
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        speaker=_speaker_from(data, actor),
        note=data.get("note", ""),
        verdict_id=data.get("verdict_id")
        if Rating.objects.filter(pk=data.get("verdict_id") or 0).exists()
        else None,
        verdict_explanation=data.get("verdict_explanation", ""),
        verdict_by_id=_existing_user(data.get("verdict_by_id")),
        verdict_at=_parse_time(data.get("verdict_at")),
        author_id=data["author_id"],
        version=int(data.get("version") or 1) + 1,
    )
    try:
        with transaction.atomic():
            annotation.save(force_insert=True)
            snapshots = data.get("sources", [])
            links = data.get("relations", [])
            people = _existing_users(s.get("created_by_id") for s in [*snapshots, *links])
            sources = {}
            for snapshot in snapshots:  # one citation per URL (older records had twins)
                link = _source_from(snapshot, annotation, people, actor)
                sources.setdefault(link.source_id, link)
            sources = list(sources.values())
            Evidence.objects.bulk_create(sources)
            Relation.objects.bulk_create(_relations_from(links, people))
    except IntegrityError:
        raise Conflict("This span has already been restored.") from None
    _restore_creation_times(annotation, data)
    annotation.refresh_from_db()
    history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=annotation.pk,
        annotation_id=annotation.pk,
        article_id=article.pk,
        action=HistoryEvent.Action.RESTORE,
        actor=actor,
        after=history.snapshot_annotation(
            annotation,
            sources=annotation.sources.select_related("source").order_by("id"),
            relations=Relation.objects.filter(
                Q(from_span=annotation) | Q(to_span=annotation)
            ).order_by("id"),
        ),
    )
    return annotation


def _relations_from(snapshots: list[dict], people: set[int]) -> list[Relation]:
    """The links whose other span is still there (and not linked again since)."""
    ends = {pk for r in snapshots for pk in (r["from_span_id"], r["to_span_id"])}
    live = set(Annotation.objects.filter(pk__in=ends).values_list("pk", flat=True))
    taken = set(
        Relation.objects.filter(from_span_id__in=ends, to_span_id__in=ends).values_list(
            "from_span_id", "to_span_id"
        )
    )
    kept = []
    for r in snapshots:
        pair = (r["from_span_id"], r["to_span_id"])
        if set(pair) <= live and pair not in taken:
            taken.add(pair)
            kept.append(
                Relation(
                    from_span_id=pair[0],
                    to_span_id=pair[1],
                    type=r.get("type", Relation.Type.RESPONDS_TO),
                    created_by_id=r.get("created_by_id")
                    if r.get("created_by_id") in people
                    else None,
                )
            )
    return kept
