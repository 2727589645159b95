"""Reading an article's adjudication: its reviewer and gold spans, the rejected ones.

A rejection is not a row: it is a decision event in the history (kind ARTICLE, origin
"adjudication", `annotation_id_ref` the reviewer span), and a span's decision is the
latest such event about it. An accepted span is one some gold span was made from; that
relation, not an event, is the truth about acceptance.
"""

from __future__ import annotations

from ...models import Annotation, HistoryEvent
from .records import ORIGIN, REJECTED
from .rules import latest_decisions

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
