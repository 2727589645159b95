"""The gold layer changed directly: a gold span's label or bounds edited, or the span
taken out of it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ... import history, offsets
from ...conflicts import Gone
from ...models import Annotation, Article, HistoryEvent, Label
from ..annotations import _check_verdict, merge_edit
from .access import _open_adjudication
from .gold import _check_gold_bounds, _twin
from .reading import gold_spans
from .records import OPEN, ORIGIN, _record_decisions, _record_span, _snapshot
from .rules import SpanKey, key_of

_BOUNDS_FIELDS = ("start", "end", "quote", "prefix", "suffix")


# --- the writes' shared steps -------------------------------------------------------------


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


# --- the writes ---------------------------------------------------------------------------


def _label_and_bounds(snapshot: dict) -> dict:
    """A gold span's editable fields as its edit form has them: the label, and the bounds
    as one field (start and end move together: two people's halves are no one's span)."""
    return {**snapshot, "bounds": (snapshot["start"], snapshot["end"])}


@transaction.atomic
def edit_gold_span(
    *,
    article: Article,
    gold_id: int,
    actor,
    label: Label | None = None,
    start: int | None = None,
    end: int | None = None,
    expected_version: int | None = None,
) -> Annotation:
    """Change a gold span's label or bounds, checked like a reviewer's edit.

    `expected_version` is the version the edit form was rendered from: when the span has
    moved on since, an edit of the other field merges and a change of the label or the
    bounds someone else changed too raises StaleEdit (as a reviewer span's edit does).
    """
    with history.recording_origin(ORIGIN):
        stored, _ = _open_adjudication(actor, article)
        gold = _gold_span_of(stored, gold_id)
        wanted = {}
        if label is not None:
            wanted["label_id"] = label.pk
        if start is not None or end is not None:
            wanted["bounds"] = (
                gold.start if start is None else start,
                gold.end if end is None else end,
            )
        changes = merge_edit(gold, wanted, expected_version, view=_label_and_bounds)
        label = label if "label_id" in changes else gold.label
        key = SpanKey(*changes.get("bounds", (gold.start, gold.end)), label.pk)
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
