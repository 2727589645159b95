"""Adjudication: an editor resolves an article's reviewer layers into its gold layer.

Every write here runs in one transaction that first checks the actor may adjudicate the
article, then locks the article's row. All adjudication writes on one article take that
lock, so they run one after the other: two editors accepting the same span at once make
one gold span, the second finding the first one's.

Gold spans are Annotation rows with layer="gold", author = the adjudicating editor and
`adjudicated_from` = the reviewer spans they came from: who, when (created_at, and the
history) and from what. They pass the checks a reviewer's span passes (offsets, quote,
active label, verdict only on a claim).

A rejection is not a row: it is a decision event in the history (kind ARTICLE, origin
"adjudication", `annotation_id_ref` the reviewer span), and a span's decision is the
latest such event about it. An accepted span is one some gold span was made from; that
relation, not an event, is the truth about acceptance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import history, offsets, permissions
from ..conflicts import Conflict, Gone
from ..models import Adjudication, Annotation, Article, HistoryEvent, Label
from ._locks import locked_article
from .annotations import _check_verdict, _require_active

ORIGIN = "adjudication"
NOT_AN_ADJUDICATOR = "Only an editor of this article's collection can adjudicate it."
FINISHED = "This adjudication is finished; reopen it to change the gold layer."

ACCEPTED, REJECTED, OPEN = "accepted", "rejected", "open"
_BOUNDS_FIELDS = ("start", "end", "quote", "prefix", "suffix")

# What a gold span takes from the reviewer span it is accepted from (the note stays with
# the reviewer: it is their internal remark, not part of the adjudicated data).
_COPIED_FIELDS = (
    "speaker_id",
    "verdict_id",
    "verdict_explanation",
    "verdict_by_id",
    "verdict_at",
)


# --- pure rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpanKey:
    """What "the same span" means between reviewers: same bounds, same label."""

    start: int
    end: int
    label_id: int


def key_of(span) -> SpanKey:
    return SpanKey(span.start, span.end, span.label_id)


def agreed_keys(spans: Iterable) -> set[SpanKey]:
    """The spans every reviewer marked exactly alike (at least two reviewers)."""
    spans = list(spans)
    reviewers = {span.author_id for span in spans}
    if len(reviewers) < 2:
        return set()
    by_key: dict[SpanKey, set] = {}
    for span in spans:
        by_key.setdefault(key_of(span), set()).add(span.author_id)
    return {key for key, authors in by_key.items() if authors == reviewers}


def union_bounds(spans: Sequence) -> tuple[int, int]:
    return min(span.start for span in spans), max(span.end for span in spans)


def latest_decisions(events: Iterable[tuple[int, str]]) -> dict[int, str]:
    """Each span's latest decision, from (span id, decision) pairs in the order made."""
    decided: dict[int, str] = {}
    for span_id, decision in events:
        decided[span_id] = decision
    return decided


# --- reading ------------------------------------------------------------------------------


def reviewer_spans(article_id: int):
    return Annotation.objects.filter(article_id=article_id, layer=Annotation.Layer.REVIEWER)


def gold_spans(article_id: int):
    return Annotation.objects.filter(article_id=article_id, layer=Annotation.Layer.GOLD)


def rejected_span_ids(article_id: int) -> set[int]:
    """The reviewer spans whose latest decision is a rejection (and that no gold span was
    made from since)."""
    events = (
        HistoryEvent.objects.filter(
            article_id=article_id,
            kind=HistoryEvent.Kind.ARTICLE,
            origin=ORIGIN,
            annotation_id_ref__isnull=False,
        )
        .order_by("id")
        .values_list("annotation_id_ref", "after")
    )
    decided = latest_decisions((pk, (after or {}).get("decision")) for pk, after in events)
    accepted = set(
        Annotation.adjudicated_from.through.objects.filter(
            from_annotation__article_id=article_id
        ).values_list("to_annotation_id", flat=True)
    )
    return {pk for pk, decision in decided.items() if decision == REJECTED and pk not in accepted}


# --- the writes' shared steps -------------------------------------------------------------


def _check_may_adjudicate(actor, article: Article) -> None:
    if not permissions.can_adjudicate(actor, article):
        raise PermissionDenied(NOT_AN_ADJUDICATOR)


def _open_adjudication(actor, article: Article) -> tuple[Article, Adjudication]:
    """Permission, then the article's lock, then its unfinished adjudication."""
    _check_may_adjudicate(actor, article)
    stored = locked_article(article.pk, fields=("body", "status"))
    adjudication = Adjudication.objects.filter(article_id=stored.pk).first()
    if adjudication is None:
        raise Conflict("Start the adjudication of this article first.")
    if adjudication.finished_at is not None:
        raise Conflict(FINISHED)
    return stored, adjudication


def _reviewer_spans_of(article: Article, span_ids: Sequence[int]) -> list[Annotation]:
    if not span_ids:
        raise ValidationError("Choose at least one reviewer span.")
    found = {
        span.pk: span
        for span in reviewer_spans(article.pk).filter(pk__in=span_ids).select_related("label")
    }
    missing = [pk for pk in span_ids if pk not in found]
    if missing:
        if Annotation.objects.filter(pk__in=missing, article_id=article.pk).exists():
            raise ValidationError("Only reviewers' spans can be accepted into the gold layer.")
        raise Gone("This span was deleted in the meantime, or is not in this article; reload.")
    return [found[pk] for pk in dict.fromkeys(span_ids)]


def _gold_span_of(article: Article, gold_id: int) -> Annotation:
    gold = (
        gold_spans(article.pk)
        .select_for_update(of=("self",))
        .filter(pk=gold_id)
        .select_related("label")
        .first()
    )
    if gold is None:
        raise Gone("This gold span was removed in the meantime; reload the page.")
    return gold


def _snapshot(gold: Annotation) -> dict:
    data = history.snapshot_annotation(gold)
    data["layer"] = gold.layer
    data["adjudicated_from"] = sorted(gold.adjudicated_from.values_list("pk", flat=True))
    return data


def _record_span(action, gold_id, article_id, actor, *, before=None, after=None) -> None:
    history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=gold_id,
        annotation_id=gold_id,
        article_id=article_id,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )


def _record_decisions(adjudication, span_ids: Iterable[int], decision: str, actor) -> None:
    for span_id in span_ids:
        history.record(
            kind=HistoryEvent.Kind.ARTICLE,
            obj_id=adjudication.article_id,
            annotation_id=span_id,
            article_id=adjudication.article_id,
            action=HistoryEvent.Action.UPDATE,
            actor=actor,
            after={"adjudication": adjudication.pk, "span": span_id, "decision": decision},
        )


def _record_article(adjudication, actor, event: str, before: dict, after: dict) -> None:
    history.record(
        kind=HistoryEvent.Kind.ARTICLE,
        obj_id=adjudication.article_id,
        annotation_id=None,
        article_id=adjudication.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after={"adjudication": adjudication.pk, "event": event, **after},
    )


def _check_gold_bounds(body: str, start: int, end: int, label: Label, *, current=None) -> None:
    """A gold span passes a reviewer span's checks."""
    offsets.check_span(body, start, end)
    _require_active(label, current_label_id=current.label_id if current else None)


def _twin(article_id: int, key: SpanKey, *, exclude: int | None = None) -> Annotation | None:
    twins = gold_spans(article_id).filter(start=key.start, end=key.end, label_id=key.label_id)
    if exclude is not None:
        twins = twins.exclude(pk=exclude)
    return twins.select_for_update().first()


def _new_gold(
    article: Article, sources: Sequence[Annotation], key: SpanKey, label: Label, actor
) -> Annotation:
    _check_gold_bounds(article.body, key.start, key.end, label)
    selector = offsets.quote_selector(article.body, key.start, key.end)
    first = min(sources, key=lambda span: span.pk)
    gold = Annotation(
        article_id=article.pk,
        label=label,
        start=key.start,
        end=key.end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        author=actor,
        layer=Annotation.Layer.GOLD,
        **{field: getattr(first, field) for field in _COPIED_FIELDS},
    )
    if not label.takes_verdict:
        # A merge may relabel claims: the verdict goes with the claim label.
        gold.verdict_id, gold.verdict_explanation = None, ""
        gold.verdict_by_id, gold.verdict_at = None, None
    _check_verdict(gold, label)
    gold.save()
    gold.adjudicated_from.set(sources)
    _record_span(HistoryEvent.Action.CREATE, gold.pk, article.pk, actor, after=_snapshot(gold))
    return gold


def _attach(gold: Annotation, sources: Sequence[Annotation], actor) -> Annotation:
    already = set(gold.adjudicated_from.values_list("pk", flat=True))
    added = [span for span in sources if span.pk not in already]
    if not added:
        return gold
    before = _snapshot(gold)
    gold.adjudicated_from.add(*added)
    gold.version += 1
    gold.save(update_fields=["version", "updated_at"])
    _record_span(
        HistoryEvent.Action.UPDATE,
        gold.pk,
        gold.article_id,
        actor,
        before=before,
        after=_snapshot(gold),
    )
    return gold


def _gold_into(article, sources, key: SpanKey, label: Label, actor) -> Annotation:
    """The gold span for `key`: the one already there (now also from `sources`), or new."""
    twin = _twin(article.pk, key)
    if twin is not None:
        return _attach(twin, sources, actor)
    return _new_gold(article, sources, key, label, actor)


def _detach(sources: Sequence[Annotation], actor, *, keep: int | None = None) -> None:
    """Take these reviewer spans out of the gold spans made from them (but `keep`); a gold
    span left with no reviewer span behind it is removed."""
    links = Annotation.adjudicated_from.through.objects.filter(
        to_annotation_id__in=[span.pk for span in sources]
    ).exclude(from_annotation_id=keep)
    for gold_id in sorted(set(links.values_list("from_annotation_id", flat=True))):
        gold = Annotation.objects.select_for_update().get(pk=gold_id)
        before = _snapshot(gold)
        gold.adjudicated_from.remove(*sources)
        if gold.adjudicated_from.exists():
            gold.version += 1
            gold.save(update_fields=["version", "updated_at"])
            after = _snapshot(gold)
            _record_span("update", gold_id, gold.article_id, actor, before=before, after=after)
        else:
            gold.delete()
            _record_span("delete", gold_id, before["article_id"], actor, before=before)


# --- the writes ---------------------------------------------------------------------------


@transaction.atomic
def adjudication_start(*, article: Article, actor) -> Adjudication:
    """The article's adjudication, started if need be: spans every reviewer marked alike
    become gold at once (from all of them). Starting again returns the same one."""
    _check_may_adjudicate(actor, article)
    with history.recording_origin(ORIGIN):
        stored = locked_article(article.pk, fields=("body", "status"))
        adjudication = Adjudication.objects.filter(article_id=stored.pk).first()
        if adjudication is not None:
            return adjudication
        adjudication = Adjudication.objects.create(
            article_id=stored.pk,
            collection=_collection_for(actor, stored),
            adjudicator=actor,
        )
        _record_article(adjudication, actor, "started", {}, {})
        _pre_accept(stored, actor)
        return adjudication


def _collection_for(actor, article: Article):
    collections = article.collections.order_by("pk")
    mine = collections.filter(id__in=permissions.editor_collection_ids(actor)).first()
    return mine or collections.first()


def _pre_accept(article: Article, actor) -> None:
    spans = list(reviewer_spans(article.pk).select_related("label").order_by("pk"))
    agreed = agreed_keys(spans)
    for key in sorted(agreed, key=lambda k: (k.start, -k.end, k.label_id)):
        sources = [span for span in spans if key_of(span) == key]
        label = sources[0].label
        if not label.active:
            continue  # a retired label is left for the editor to decide
        _gold_into(article, sources, key, label, actor)


@transaction.atomic
def accept_span(*, article: Article, span_id: int, actor) -> Annotation:
    """A reviewer span into the gold layer, with every reviewer span identical to it.

    The gold span of that text and label is made once: accepting its twin from another
    reviewer (or the same span twice, at the same moment) finds it instead.
    """
    with history.recording_origin(ORIGIN):
        stored, adjudication = _open_adjudication(actor, article)
        (span,) = _reviewer_spans_of(stored, [span_id])
        key = key_of(span)
        current = span.gold_spans.filter(start=key.start, end=key.end, label_id=key.label_id)
        if (gold := current.first()) is not None:
            return gold  # accepted already (by someone a moment ago, perhaps)
        # Accepting means "gold has exactly this span": out of any merge it was part of.
        _detach([span], actor)
        undecided_twins = (
            reviewer_spans(stored.pk)
            .filter(start=key.start, end=key.end, label_id=key.label_id, gold_spans=None)
            .exclude(pk=span.pk)
            .order_by("pk")
        )
        twins = [span, *undecided_twins]
        gold = _gold_into(stored, twins, key, span.label, actor)
        _record_decisions(adjudication, [t.pk for t in twins], ACCEPTED, actor)
        return gold


@transaction.atomic
def reject_span(*, article: Article, span_id: int, actor) -> None:
    """Keep a reviewer span out of the gold layer (taking it out if it was accepted)."""
    with history.recording_origin(ORIGIN):
        stored, adjudication = _open_adjudication(actor, article)
        spans = _reviewer_spans_of(stored, [span_id])
        _detach(spans, actor)
        _record_decisions(adjudication, [span_id], REJECTED, actor)


@transaction.atomic
def merge_spans(
    *,
    article: Article,
    span_ids: Sequence[int],
    actor,
    label: Label | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Annotation:
    """Several reviewer spans into one gold span: the union of their bounds unless others
    are chosen, their label unless they differ (then `label` must be chosen)."""
    with history.recording_origin(ORIGIN):
        stored, adjudication = _open_adjudication(actor, article)
        sources = _reviewer_spans_of(stored, list(span_ids))
        if label is None:
            labels = {span.label_id for span in sources}
            if len(labels) > 1:
                raise ValidationError(
                    "These spans have different labels; choose the label of the merged span."
                )
            label = sources[0].label
        union = union_bounds(sources)
        key = SpanKey(
            union[0] if start is None else start, union[1] if end is None else end, label.pk
        )
        _check_gold_bounds(stored.body, key.start, key.end, label)
        twin = _twin(stored.pk, key)
        _detach(sources, actor, keep=twin.pk if twin else None)
        gold = _gold_into(stored, sources, key, label, actor)
        _record_decisions(adjudication, [s.pk for s in sources], ACCEPTED, actor)
        return gold


@transaction.atomic
def edit_gold_span(
    *,
    article: Article,
    gold_id: int,
    actor,
    label: Label | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Annotation:
    """Change a gold span's label or bounds, checked like a reviewer's edit."""
    with history.recording_origin(ORIGIN):
        stored, _ = _open_adjudication(actor, article)
        gold = _gold_span_of(stored, gold_id)
        label = label or gold.label
        key = SpanKey(
            gold.start if start is None else start, gold.end if end is None else end, label.pk
        )
        if key == key_of(gold):
            return gold
        _check_gold_bounds(stored.body, key.start, key.end, label, current=gold)
        twin = _twin(stored.pk, key, exclude=gold.pk)
        if twin is not None:
            raise ValidationError(
                f"The gold layer already has exactly this text as “{label.name}” "
                f"(gold span #{twin.pk}); nothing was changed. Merge the spans instead."
            )
        before = _snapshot(gold)
        selector = offsets.quote_selector(stored.body, key.start, key.end)
        gold.label, gold.start, gold.end = label, key.start, key.end
        gold.quote, gold.prefix, gold.suffix = selector.exact, selector.prefix, selector.suffix
        _check_verdict(gold, label)
        gold.version += 1
        gold.save(update_fields=[*_BOUNDS_FIELDS, "label", "version", "updated_at"])
        after = _snapshot(gold)
        _record_span("update", gold.pk, stored.pk, actor, before=before, after=after)
        return gold


@transaction.atomic
def remove_gold_span(*, article: Article, gold_id: int, actor) -> None:
    """Take a span out of the gold layer; its reviewer spans are undecided again."""
    with history.recording_origin(ORIGIN):
        stored, adjudication = _open_adjudication(actor, article)
        gold = _gold_span_of(stored, gold_id)
        before = _snapshot(gold)
        gold.delete()
        _record_span(HistoryEvent.Action.DELETE, gold_id, stored.pk, actor, before=before)
        _record_decisions(adjudication, before["adjudicated_from"], OPEN, actor)


@transaction.atomic
def finish_adjudication(*, article: Article, actor) -> Adjudication:
    """The gold layer is final: the article becomes "adjudicated" (blind collections then
    show every reviewer's spans). Spans neither accepted nor rejected stay out of it."""
    with history.recording_origin(ORIGIN):
        stored, adjudication = _open_adjudication(actor, article)
        adjudication.finished_at = timezone.now()
        adjudication.adjudicator = actor
        adjudication.save(update_fields=["finished_at", "adjudicator"])
        Article.objects.filter(pk=stored.pk).update(
            status=Article.Status.ADJUDICATED, updated_at=adjudication.finished_at
        )
        _record_article(
            adjudication,
            actor,
            "finished",
            {"status": stored.status},
            {"status": Article.Status.ADJUDICATED},
        )
        article.status = Article.Status.ADJUDICATED
        return adjudication


@transaction.atomic
def reopen_adjudication(*, article: Article, actor) -> Adjudication:
    """A finished adjudication open again; the article goes back to "reviewed"."""
    _check_may_adjudicate(actor, article)
    with history.recording_origin(ORIGIN):
        stored = locked_article(article.pk, fields=("body", "status"))
        adjudication = Adjudication.objects.filter(article_id=stored.pk).first()
        if adjudication is None:
            raise Conflict("This article has not been adjudicated yet.")
        if adjudication.finished_at is None:
            return adjudication
        adjudication.finished_at = None
        adjudication.save(update_fields=["finished_at"])
        Article.objects.filter(pk=stored.pk).update(
            status=Article.Status.REVIEWED, updated_at=timezone.now()
        )
        _record_article(
            adjudication,
            actor,
            "reopened",
            {"status": stored.status},
            {"status": Article.Status.REVIEWED},
        )
        article.status = Article.Status.REVIEWED
        return adjudication
