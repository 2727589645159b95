"""What adjudication writes to the history: the origin its events carry, the decisions
on reviewer spans, and the records of gold spans and of decisions.
"""

from __future__ import annotations

from collections.abc import Iterable

from ... import history
from ...models import Annotation, HistoryEvent

ORIGIN = "adjudication"

ACCEPTED, REJECTED, OPEN = "accepted", "rejected", "open"


# --- the writes' shared steps -------------------------------------------------------------


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
