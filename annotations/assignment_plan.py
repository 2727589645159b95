"""Who reviews which article: the round robin behind `assign`, with no I/O.

Each article gets `per_article` reviewers (counting those it already has); each pick
goes to the chosen reviewer with the least open work, ties broken by turning round the
list, so a batch spreads evenly and a second run of the same batch adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (article id, reviewer id)
    # Articles that already had enough reviewers (or every chosen reviewer already).
    already_covered: list[int] = field(default_factory=list)


def plan_assignments(
    article_ids: Sequence[int],
    reviewer_ids: Sequence[int],
    *,
    per_article: int,
    existing: Iterable[tuple[int, int]] = (),
    open_load: Mapping[int, int] | None = None,
) -> AssignmentPlan:
    """The (article, reviewer) pairs to create.

    `existing`: the (article, reviewer) pairs already assigned in the collection (any
    reviewer, chosen or not: they count towards `per_article`). `open_load`: each
    reviewer's unfinished assignments in the collection, what "balanced" balances.
    """
    if per_article < 1:
        raise ValueError("per_article must be at least 1")
    assigned: dict[int, set[int]] = {}
    for article_id, reviewer_id in existing:
        assigned.setdefault(article_id, set()).add(reviewer_id)
    load = {reviewer: (open_load or {}).get(reviewer, 0) for reviewer in reviewer_ids}
    position = {reviewer: index for index, reviewer in enumerate(reviewer_ids)}
    turn = 0  # where the round robin stands: the reviewer after the last one picked
    plan = AssignmentPlan()
    for article_id in dict.fromkeys(article_ids):  # each article once, in the order given
        have = assigned.setdefault(article_id, set())
        candidates = [r for r in reviewer_ids if r not in have]
        needed = min(per_article - len(have), len(candidates))
        if needed <= 0:
            plan.already_covered.append(article_id)
            continue
        for _ in range(needed):
            pick = min(
                candidates,
                key=lambda r: (load[r], (position[r] - turn) % len(reviewer_ids)),
            )
            candidates.remove(pick)
            have.add(pick)
            load[pick] += 1
            turn = position[pick] + 1
            plan.pairs.append((article_id, pick))
    return plan
