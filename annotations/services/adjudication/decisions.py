"""An editor's decisions on reviewer spans: accept one (with its twins), merge several
into one gold span, or reject one.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from ... import history
from ...conflicts import Gone
from ...models import Annotation, Article, Label
from .access import _open_adjudication
from .gold import _check_gold_bounds, _detach, _gold_into, _twin
from .reading import reviewer_spans
from .records import ACCEPTED, ORIGIN, REJECTED, _record_decisions
from .rules import SpanKey, key_of, union_bounds

# --- the writes' shared steps -------------------------------------------------------------


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


# --- the writes ---------------------------------------------------------------------------


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
