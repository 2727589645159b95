"""Gold spans from reviewer spans: made once, found again when they exist, and reviewer
spans taken back out of them.

Gold spans are Annotation rows with layer="gold", author = the adjudicating editor and
`adjudicated_from` = the reviewer spans they came from: who, when (created_at, and the
history) and from what. They pass the checks a reviewer's span passes (offsets, quote,
active label, verdict only on a claim).
"""

from __future__ import annotations

from collections.abc import Sequence

from ... import offsets
from ...models import Annotation, Article, HistoryEvent, Label
from ..annotations import _check_verdict, _require_active
from .reading import gold_spans
from .records import _record_span, _snapshot
from .rules import SpanKey

# What a gold span takes from the reviewer span it is accepted from (the note stays with
# the reviewer: it is their internal remark, not part of the adjudicated data).
_COPIED_FIELDS = (
    "speaker_id",
    "verdict_id",
    "verdict_explanation",
    "verdict_by_id",
    "verdict_at",
)


# --- the writes' shared steps -------------------------------------------------------------


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
