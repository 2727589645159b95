"""Business rules: every write to annotations and sources goes through here.

Views, the admin and the commands call these functions, so each rule (offset checks,
who may edit what, the history record) lives once.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import offsets
from .models import Annotation, Article, HistoryEvent, Label, Source
from .permissions import can_edit_annotation

# --- snapshots (what the history keeps) -------------------------------------------------


def snapshot_source(source: Source) -> dict:
    return {
        "id": source.pk,
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "stance": source.stance,
        "quoted_passage": source.quoted_passage,
        "accessed_on": source.accessed_on.isoformat() if source.accessed_on else None,
        "created_by_id": source.created_by_id,
        "created_at": source.created_at.isoformat() if source.created_at else None,
    }


def snapshot_annotation(annotation: Annotation, *, with_sources: bool = True) -> dict:
    data = {
        "id": annotation.pk,
        "article_id": annotation.article_id,
        "label_id": annotation.label_id,
        "start": annotation.start,
        "end": annotation.end,
        "quote": annotation.quote,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
        "speaker": annotation.speaker,
        "note": annotation.note,
        "author_id": annotation.author_id,
        "created_at": annotation.created_at.isoformat() if annotation.created_at else None,
    }
    if with_sources:
        data["sources"] = [snapshot_source(s) for s in annotation.sources.all()]
    return data


def _record(*, kind, obj_id, annotation_id, article_id, action, actor, before=None, after=None):
    HistoryEvent.objects.create(
        kind=kind,
        object_id=obj_id,
        annotation_id_ref=annotation_id,
        article_id=article_id,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        before=before,
        after=after,
    )


def _require_edit(actor, annotation: Annotation) -> None:
    if not can_edit_annotation(actor, annotation):
        raise PermissionDenied("Only its author or an editor can change this annotation.")


# --- annotations -----------------------------------------------------------------------


@transaction.atomic
def annotation_create(
    *,
    article: Article,
    label: Label,
    start: int,
    end: int,
    quote: str | None,
    author,
    speaker: str = "",
    note: str = "",
) -> Annotation:
    """Store a span after checking it against the article body.

    Raises offsets.SpanError (nothing stored) when the offsets are out of range or empty,
    or when `quote` is not exactly `body[start:end]`.
    """
    if not label.active:
        raise ValidationError(f"The label “{label.name}” is no longer in use.")
    offsets.check_span(article.body, start, end, quote)
    selector = offsets.quote_selector(article.body, start, end)
    annotation = Annotation.objects.create(
        article=article,
        label=label,
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        speaker=speaker.strip(),
        note=note.strip(),
        author=author,
    )
    if article.status == Article.Status.NEW:
        Article.objects.filter(pk=article.pk).update(status=Article.Status.IN_REVIEW)
        article.status = Article.Status.IN_REVIEW
    _record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=annotation.pk,
        annotation_id=annotation.pk,
        article_id=article.pk,
        action=HistoryEvent.Action.CREATE,
        actor=author,
        after=snapshot_annotation(annotation, with_sources=False),
    )
    return annotation


@transaction.atomic
def annotation_update(
    *,
    annotation: Annotation,
    actor,
    label: Label | None = None,
    speaker: str | None = None,
    note: str | None = None,
) -> Annotation:
    _require_edit(actor, annotation)
    before = snapshot_annotation(annotation, with_sources=False)
    if label is not None:
        if not label.active and label.pk != annotation.label_id:
            raise ValidationError(f"The label “{label.name}” is no longer in use.")
        annotation.label = label
    if speaker is not None:
        annotation.speaker = speaker.strip()
    if note is not None:
        annotation.note = note.strip()
    after = snapshot_annotation(annotation, with_sources=False)
    if after == before:
        return annotation
    annotation.save()
    _record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=annotation.pk,
        annotation_id=annotation.pk,
        article_id=annotation.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=after,
    )
    return annotation


@transaction.atomic
def annotation_delete(*, annotation: Annotation, actor) -> HistoryEvent:
    """Delete a span and its sources; the history keeps all of it for a restore."""
    _require_edit(actor, annotation)
    before = snapshot_annotation(annotation)
    pk, article_id = annotation.pk, annotation.article_id
    annotation.delete()
    _record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=pk,
        annotation_id=pk,
        article_id=article_id,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )
    return HistoryEvent.objects.filter(kind="annotation", object_id=pk).first()


@transaction.atomic
def annotation_restore(*, event: HistoryEvent, actor) -> Annotation:
    """Rebuild a deleted annotation, with its sources and its original id."""
    if event.kind != HistoryEvent.Kind.ANNOTATION or event.action != HistoryEvent.Action.DELETE:
        raise ValidationError("Only a deleted annotation can be restored.")
    data = event.before or {}
    if Annotation.objects.filter(pk=data.get("id")).exists():
        raise ValidationError("This annotation has already been restored.")
    article = Article.objects.filter(pk=data.get("article_id")).first()
    if article is None:
        raise ValidationError("The article of this annotation no longer exists.")
    # Without these checks a deleted label or user surfaces as an IntegrityError (a 500).
    if not Label.objects.filter(pk=data.get("label_id")).exists():
        raise ValidationError("The label of this annotation no longer exists.")
    if not get_user_model().objects.filter(pk=data.get("author_id")).exists():
        raise ValidationError("The author of this annotation no longer exists.")
    annotation = Annotation(
        pk=data["id"],
        article=article,
        label_id=data["label_id"],
        start=data["start"],
        end=data["end"],
        quote=data["quote"],
        prefix=data["prefix"],
        suffix=data["suffix"],
        speaker=data["speaker"],
        note=data["note"],
        author_id=data["author_id"],
    )
    _require_edit(actor, annotation)
    offsets.check_span(article.body, annotation.start, annotation.end, annotation.quote)
    annotation.save(force_insert=True)
    for source in data.get("sources", []):
        Source.objects.create(
            pk=source["id"],
            annotation=annotation,
            url=source["url"],
            title=source["title"],
            publisher=source["publisher"],
            stance=source["stance"],
            quoted_passage=source["quoted_passage"],
            accessed_on=date.fromisoformat(source["accessed_on"])
            if source["accessed_on"]
            else None,
            created_by_id=source["created_by_id"],
        )
    _record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=annotation.pk,
        annotation_id=annotation.pk,
        article_id=article.pk,
        action=HistoryEvent.Action.RESTORE,
        actor=actor,
        after=snapshot_annotation(annotation),
    )
    return annotation


# --- sources -----------------------------------------------------------------------------


@transaction.atomic
def source_create(
    *,
    annotation: Annotation,
    actor,
    url: str,
    stance: str = Source.Stance.CONTEXT,
    title: str = "",
    publisher: str = "",
    quoted_passage: str = "",
    accessed_on: date | None = None,
) -> Source:
    _require_edit(actor, annotation)
    source = Source(
        annotation=annotation,
        url=url.strip(),
        stance=stance,
        title=title.strip(),
        publisher=publisher.strip(),
        quoted_passage=quoted_passage.strip(),
        accessed_on=accessed_on or timezone.localdate(),
        created_by=actor,
    )
    source.full_clean(exclude=["annotation", "created_by"])
    source.save()
    _record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=source.pk,
        annotation_id=annotation.pk,
        article_id=annotation.article_id,
        action=HistoryEvent.Action.CREATE,
        actor=actor,
        after=snapshot_source(source),
    )
    return source


@transaction.atomic
def source_update(*, source: Source, actor) -> Source:
    """Save an edited source (its fields already set) and record before and after."""
    _require_edit(actor, source.annotation)
    before = snapshot_source(Source.objects.get(pk=source.pk))
    source.full_clean(exclude=["annotation", "created_by"])
    after = snapshot_source(source)
    if before == after:
        return source
    source.save()
    _record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=source.pk,
        annotation_id=source.annotation_id,
        article_id=source.annotation.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=after,
    )
    return source


@transaction.atomic
def source_delete(*, source: Source, actor) -> None:
    annotation = source.annotation
    _require_edit(actor, annotation)
    before = snapshot_source(source)
    pk = source.pk
    source.delete()
    _record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=pk,
        annotation_id=annotation.pk,
        article_id=annotation.article_id,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )


# --- articles ----------------------------------------------------------------------------


def article_set_status(*, article: Article, status: str) -> Article:
    if status not in Article.Status.values:
        raise ValidationError(f"Unknown status “{status}”.")
    article.status = status
    article.save(update_fields=["status", "updated_at"])
    return article
