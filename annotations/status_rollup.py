"""An article's review status from its assignments: the one rule, with no I/O.

- new: assigned, and no assignment started yet;
- in review: some assignment started (in progress or done);
- reviewed: in every collection the article is assigned in, at least that collection's
  reviewers_per_article assignments are done;
- adjudicated: set by adjudication only; the rollup never moves an article out of it.

An article assigned nowhere keeps the status it has (set by hand, or by a first span).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NEW, IN_REVIEW, REVIEWED, ADJUDICATED = "new", "in_review", "reviewed", "adjudicated"
TODO, IN_PROGRESS, DONE = "todo", "in_progress", "done"


@dataclass(frozen=True, slots=True)
class CollectionProgress:
    """One article's assignments in one collection."""

    reviewers_per_article: int
    statuses: tuple[str, ...]  # one per assignment: "todo", "in_progress" or "done"


def rolled_up_status(current: str, progress: Iterable[CollectionProgress]) -> str:
    progress = [p for p in progress if p.statuses]
    if current == ADJUDICATED or not progress:
        return current
    if all(p.statuses.count(DONE) >= p.reviewers_per_article for p in progress):
        return REVIEWED
    if any(status != TODO for p in progress for status in p.statuses):
        return IN_REVIEW
    return NEW
