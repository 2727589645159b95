"""Adjudication: an editor resolves an article's reviewer layers into its gold layer.

Every write here runs in one transaction that first checks the actor may adjudicate the
article, then locks the article's row. All adjudication writes on one article take that
lock, so they run one after the other: two editors accepting the same span at once make
one gold span, the second finding the first one's.

Each module holds one job:

- `rules`: the pure rules, no database: what "the same span" means between reviewers
  (SpanKey, key_of), the spans every reviewer marked alike (agreed_keys), a merge's
  bounds (union_bounds), each span's latest decision (latest_decisions).
- `records`: what adjudication writes to the history: its origin (ORIGIN), the decisions
  (ACCEPTED, REJECTED, OPEN) and the records of gold spans and decisions.
- `reading`: an article's reviewer and gold spans (reviewer_spans, gold_spans) and the
  reviewer spans it rejected (rejected_span_ids).
- `access`: the one check of who may adjudicate (NOT_AN_ADJUDICATOR), and the way into
  the writes on an open adjudication: permission, the article's lock, then its started,
  unfinished adjudication (FINISHED otherwise).
- `gold`: gold spans made from reviewer spans, found again when they exist, and reviewer
  spans taken back out of them; a gold span's checks.
- `decisions`: an editor's decisions on reviewer spans: accept_span, merge_spans,
  reject_span.
- `gold_edits`: the gold layer changed directly: edit_gold_span, remove_gold_span.
- `lifecycle`: an article's adjudication started, finished and reopened
  (adjudication_start, finish_adjudication, reopen_adjudication).

What other code uses is imported from here.
"""

from .access import FINISHED, NOT_AN_ADJUDICATOR
from .decisions import accept_span, merge_spans, reject_span
from .gold_edits import edit_gold_span, remove_gold_span
from .lifecycle import adjudication_start, finish_adjudication, reopen_adjudication
from .reading import gold_spans, rejected_span_ids, reviewer_spans
from .records import ACCEPTED, OPEN, ORIGIN, REJECTED
from .rules import SpanKey, agreed_keys, key_of, latest_decisions, union_bounds

__all__ = [
    "ACCEPTED",
    "FINISHED",
    "NOT_AN_ADJUDICATOR",
    "OPEN",
    "ORIGIN",
    "REJECTED",
    "SpanKey",
    "accept_span",
    "adjudication_start",
    "agreed_keys",
    "edit_gold_span",
    "finish_adjudication",
    "gold_spans",
    "key_of",
    "latest_decisions",
    "merge_spans",
    "reject_span",
    "rejected_span_ids",
    "remove_gold_span",
    "reopen_adjudication",
    "reviewer_spans",
    "union_bounds",
]
