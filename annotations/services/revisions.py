"""A new text for an article (a revision), and the spans it could not place.

`revise_article` keeps the old text as an ArticleRevision and re-anchors every span on
the new text (annotations.anchoring). A span it places gets its new offsets and quote
selector; one it cannot place is never deleted: it is marked `needs_attention`, keeps
its offsets, and `anchored_in` names the revision whose text they index. Such a span is
out of every query that reads offsets into the current text (the default manager, see
annotations.models.managers) until a reviewer places it (`place_span`) or discards it
(`discard_span`, a normal deletion, so it can be restored from the history).

Lock order, as in the other services: the article, then its spans (in id order), so a
revision and a reviewer's edit of one of its spans queue instead of overwriting. The
article is locked FOR NO KEY UPDATE and written only once every span is locked (see
revise_article), so a reviewer's edit in flight finishes first instead of deadlocking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .. import anchoring, history, offsets, permissions
from ..conflicts import Conflict, Gone
from ..models import Annotation, Article, ArticleRevision, HistoryEvent
from ..models.article import body_hash
from . import twins
from .annotations import annotation_delete

# The key of Article.import_metadata that counts the article's earlier texts.
REVISIONS_KEY = "revisions"
ALREADY_PRESENT = "This text is already the article's current text: nothing to revise."
PLACED_MEANWHILE = "This span was placed in the meantime; nothing was changed."
# The article fields a revision may bring along with its text (an import's metadata).
METADATA_FIELDS = ("author", "publisher", "published_at")
_SELECTOR_FIELDS = ("start", "end", "quote", "prefix", "suffix")


@dataclass
class RevisionResult:
    """What a revision did: the old text kept, and where each span went."""

    article: Article
    revision: ArticleRevision  # the replaced text, as stored
    placed: dict[int, anchoring.Placement] = field(default_factory=dict)  # span id → where
    moved: list[int] = field(default_factory=list)  # placed at other offsets or quote
    unplaced: list[int] = field(default_factory=list)  # marked "needs attention"
    # span id → the span it would have doubled (services/twins.py): left unplaced.
    twins: dict[int, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        text = (
            f"Revision {self.revision.number + 1} stored: {len(self.placed)} spans placed "
            f"({len(self.moved)} moved), {len(self.unplaced)} need attention."
        )
        if self.twins:
            text += (
                f" {len(self.twins)} of them would have been placed on a span of the same "
                "reviewer and label (an exact twin), so were not."
            )
        return text


def _locked_article(pk, *, fields: tuple[str, ...] = ()) -> Article:
    """The article, locked against other writers of its text (span creation, edits of
    the article, other revisions), but FOR NO KEY UPDATE: a reviewer's edit of one of its
    spans, whose history row's foreign key takes a KEY SHARE lock on the article, can
    then finish while it holds its span (the plain FOR UPDATE of _locks.locked_article
    would deadlock with it: each would wait on the other's row)."""
    query = Article.objects.select_for_update(no_key=True).filter(pk=pk)
    article = (query.only(*fields) if fields else query).first()
    if article is None:
        raise Gone("This article was deleted in the meantime; nothing was changed.")
    return article


def may_revise(user) -> bool:
    """Who may replace an article's text: whoever may import articles or change them."""
    return permissions.can_import(user) or bool(
        user.is_authenticated and user.has_perm("annotations.change_article")
    )


def _actor_or_none(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _when_text_arrived(article: Article):
    """When the current text became the article's: the last revision's replacement, or
    the article's import."""
    last = article.revisions.order_by("-number").values_list("replaced_at", flat=True).first()
    return last or article.imported_at


@transaction.atomic
def revise_article(
    *, article: Article, title: str, body: str, source_url: str | None = None, actor, **metadata
) -> RevisionResult:
    """Make `body` (and `title`, `source_url`, optional author/publisher/published_at) the
    article's text; the old text becomes revision N, every span is re-anchored.

    `actor` None is an import with no user (a command or a job); a user must be allowed
    to import or to change articles.

    Raises PermissionDenied, ValidationError (an identical or empty text, another
    article's text, unknown metadata) or Gone (the article was deleted); nothing is
    stored then.
    """
    if actor is not None and not may_revise(actor):
        raise PermissionDenied("Your account cannot bring a new text for an article.")
    unknown = set(metadata) - set(METADATA_FIELDS)
    if unknown:
        raise ValidationError(f"A revision cannot change: {', '.join(sorted(unknown))}.")
    body = offsets.canonical_text(body)
    title = offsets.canonical_text(title or "").strip()
    if not body.strip():
        raise ValidationError("The new text is empty; the article was not changed.")
    stored = _locked_article(article.pk)
    digest = body_hash(body)
    if digest == stored.content_hash:
        raise ValidationError(ALREADY_PRESENT)
    twin = Article.objects.filter(content_hash=digest).exclude(pk=stored.pk).first()
    if twin is not None:
        # Named only to who may open it: an importer may hold the text of an article
        # they may not see.
        named = actor is None or permissions.can_open_article(actor, twin)
        raise ValidationError(
            f"This text is already article #{twin.pk} (“{twin.title}”); "
            "the article was not changed."
            if named
            else "This text is already another article's; the article was not changed."
        )
    # Every span locked before the article row is written: changing its content_hash (a
    # unique, so "key", column) conflicts with the KEY SHARE lock a reviewer's history row
    # takes on the article while holding one of these spans.
    spans = _locked_spans(stored.pk)
    before = history.snapshot_article_fields(stored)
    number = (stored.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = ArticleRevision.objects.create(
        article=stored,
        number=number,
        title=stored.title,
        body=stored.body,
        content_hash=stored.content_hash,
        source_url=stored.source_url,
        imported_at=_when_text_arrived(stored),
        replaced_by=_actor_or_none(actor),
    )
    old_body = stored.body
    stored.body, stored.title = body, title or stored.title
    if source_url is not None:
        stored.source_url = source_url
    for name, value in metadata.items():
        setattr(stored, name, value)
    # How many earlier texts it has, with the article: the review page shows "Revisions
    # (N)" from the row it already read, and asks nothing of an article never revised.
    stored.import_metadata = {**(stored.import_metadata or {}), REVISIONS_KEY: number}
    stored.save(
        update_fields=[
            "body",
            "title",
            "content_hash",
            "source_url",
            "canonical_url",
            "import_metadata",
            *metadata,
            "updated_at",
        ]
    )
    history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=stored.pk,
        annotation_id=None,
        article_id=stored.pk,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=history.snapshot_article_fields(stored),
    )
    result = RevisionResult(article=stored, revision=revision)
    _reanchor_spans(spans, stored, old_body, revision, actor, result)
    return result


def _precedence(span: Annotation, placement: anchoring.Placement) -> tuple:
    """Which of two spans a revision would put on one place keeps it: one already there
    (placed, same offsets), then the surer placement, then the older span."""
    stays = not span.needs_attention and (placement.start, placement.end) == (span.start, span.end)
    return (not stays, -placement.score, span.pk)


def _locked_spans(article_id: int) -> list[Annotation]:
    """All the article's spans, unplaced ones included, locked in id order."""
    return list(
        Annotation.all_objects.select_for_update(of=("self",))
        .filter(article_id=article_id)
        .select_related("speaker", "anchored_in")
        .order_by("pk")
    )


def _reanchor_spans(spans, article, old_body, revision, actor, result: RevisionResult) -> None:
    """Every span of the article, placed on its new text or marked; one history event
    for each span that changed (bulk: an article can carry thousands)."""
    new_body = article.body
    text_maps: dict[int | None, anchoring.TextMap] = {}
    now = timezone.now()
    changed: list[Annotation] = []
    events: list[HistoryEvent] = []
    actor_id = history.actor_id_of(actor)
    placements: dict[int, anchoring.Placement | None] = {}
    for span in spans:
        # An unplaced span of an earlier revision is tried again, from its own text.
        source = span.anchored_in if span.needs_attention else None
        old_text = source.body if source is not None else old_body
        key = source.pk if source is not None else None
        if key not in text_maps:
            text_maps[key] = anchoring.TextMap(old_text, new_body)
        placements[span.pk] = anchoring.reanchor(
            old_text,
            new_body,
            anchoring.SpanText(span.start, span.end, span.quote, span.prefix, span.suffix),
            text_map=text_maps[key],
        )
    # No place makes an exact twin (services/twins.py): a span that stays where it was
    # keeps its place, then the surest placement, then the oldest span; the others are
    # left for a reviewer, as a span whose text was not found.
    doubled = twins.twins_among(
        (
            span.pk,
            twins.twin_key(
                start=placements[span.pk].start,
                end=placements[span.pk].end,
                label_id=span.label_id,
                author_id=span.author_id,
            ),
        )
        for span in sorted(
            (span for span in spans if placements[span.pk] is not None),
            key=lambda span: _precedence(span, placements[span.pk]),
        )
    )
    unplaced_before = {span.pk for span in spans if span.needs_attention}
    for pk, twin in doubled.items():
        placements[pk] = None
        if pk not in unplaced_before:  # newly unplaced (one still unplaced stays so)
            result.twins[pk] = twin
    for span in spans:
        placement = placements[span.pk]
        before = history.snapshot_annotation(span)
        if placement is None:
            if span.needs_attention:
                continue  # still unplaced, still indexing the text it was made on
            span.needs_attention, span.anchored_in = True, revision
            result.unplaced.append(span.pk)
        else:
            selector = offsets.quote_selector(new_body, placement.start, placement.end)
            wanted = {
                "start": placement.start,
                "end": placement.end,
                "quote": selector.exact,
                "prefix": selector.prefix,
                "suffix": selector.suffix,
            }
            result.placed[span.pk] = placement
            was_unplaced = span.needs_attention
            if not was_unplaced and all(getattr(span, f) == v for f, v in wanted.items()):
                continue
            if was_unplaced or (span.start, span.end, span.quote) != (
                wanted["start"],
                wanted["end"],
                wanted["quote"],
            ):
                result.moved.append(span.pk)
            for name, value in wanted.items():
                setattr(span, name, value)
            span.needs_attention, span.anchored_in = False, None
        span.version += 1
        span.updated_at = now
        changed.append(span)
        events.append(
            HistoryEvent(
                **history.event_values(
                    kind=HistoryEvent.Kind.ANNOTATION,
                    obj_id=span.pk,
                    annotation_id=span.pk,
                    article_id=article.pk,
                    action=HistoryEvent.Action.UPDATE,
                    actor_id=actor_id,
                    before=before,
                    after=history.snapshot_annotation(span),
                )
            )
        )
    Annotation.all_objects.bulk_update(
        changed,
        [*_SELECTOR_FIELDS, "needs_attention", "anchored_in", "version", "updated_at"],
        batch_size=500,
    )
    HistoryEvent.objects.bulk_create(events, batch_size=500)


# --- the spans a revision could not place ---------------------------------------------------


def _locked_unplaced(pk) -> Annotation:
    span = (
        Annotation.all_objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .select_related("speaker", "anchored_in")
        .first()
    )
    if span is None:
        raise Gone("This span was deleted in the meantime; nothing was changed.")
    if not span.needs_attention:
        raise Conflict(PLACED_MEANWHILE)
    return span


def _article_id_of(pk) -> int:
    article_id = Annotation.all_objects.filter(pk=pk).values_list("article_id", flat=True).first()
    if article_id is None:
        raise Gone("This span was deleted in the meantime; nothing was changed.")
    return article_id


@transaction.atomic
def place_span(*, annotation: Annotation, start: int, end: int, actor) -> Annotation:
    """Put a span that needs attention at [start, end) of the article's current text.

    Raises PermissionDenied, offsets.SpanError (offsets outside or blank), Conflict (it
    was placed meanwhile, or its author already marked that text with its label: a twin)
    or Gone; nothing is changed then.
    """
    # The article first, then the span: the order a revision takes them in.
    article = _locked_article(_article_id_of(annotation.pk), fields=("id", "body"))
    span = _locked_unplaced(annotation.pk)
    if not permissions.can_change_annotation(actor, span):
        raise PermissionDenied("Only its author or an editor can place this span.")
    offsets.check_span(article.body, start, end)
    # Under the article's lock, as a new span's check (services/twins.py).
    twin = twins.twin_of(
        article_id=article.pk,
        start=start,
        end=end,
        label_id=span.label_id,
        author_id=span.author_id,
        excluding=span.pk,
    )
    if twin is not None:
        raise Conflict(
            f"The same reviewer has already marked this text with this label (span "
            f"#{twin}), so placing this span there would make a twin of it: nothing was "
            "changed. Place it elsewhere, or discard it."
        )
    before = history.snapshot_annotation(span)
    selector = offsets.quote_selector(article.body, start, end)
    span.start, span.end = start, end
    span.quote, span.prefix, span.suffix = selector.exact, selector.prefix, selector.suffix
    span.needs_attention, span.anchored_in = False, None
    span.version += 1
    span.save(
        update_fields=[*_SELECTOR_FIELDS, "needs_attention", "anchored_in", "version", "updated_at"]
    )
    history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=span.pk,
        annotation_id=span.pk,
        article_id=article.pk,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=history.snapshot_annotation(span),
    )
    return span


@transaction.atomic
def discard_span(*, annotation: Annotation, actor) -> HistoryEvent:
    """Delete a span that needs attention, through the ordinary deletion (its sources and
    links kept in the history, so it can be restored where its text is found again)."""
    span = _locked_unplaced(annotation.pk)
    if not permissions.can_delete_annotation(actor, span):
        raise PermissionDenied("Only its author or an editor can discard this span.")
    # annotation_delete finds spans through the default manager, which leaves unplaced
    # ones out; the row is locked and this transaction is the only one to see it placed
    # before it is deleted a statement later.
    Annotation.all_objects.filter(pk=span.pk).update(needs_attention=False)
    return annotation_delete(annotation=span, actor=actor)


def placement_candidates(annotation: Annotation, *, limit: int = 3) -> list[anchoring.Placement]:
    """Where an unplaced span's text might be in the current text, best first (for the
    reviewer to choose from; none was confident enough to be placed automatically)."""
    if not annotation.needs_attention or annotation.anchored_in is None:
        return []
    return anchoring.candidates(
        annotation.anchored_in.body,
        annotation.article.body,
        anchoring.SpanText(
            annotation.start, annotation.end, annotation.quote, annotation.prefix, annotation.suffix
        ),
        limit=limit,
    )


__all__ = [
    "ALREADY_PRESENT",
    "PLACED_MEANWHILE",
    "REVISIONS_KEY",
    "RevisionResult",
    "discard_span",
    "may_revise",
    "place_span",
    "placement_candidates",
    "revise_article",
]
