"""Adjudication's pure rules, with no database: what "the same span" means between
reviewers, the spans they all marked alike, a merge's bounds, each span's latest decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
