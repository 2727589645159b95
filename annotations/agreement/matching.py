"""Matching two reviewers' spans: exactly, or one to one by overlap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def exact_matches(a: Sequence, b: Sequence) -> Counter:
    """Per label, how many spans the two sides share with the same start, end and label
    (as multisets: a duplicate counts once per copy on both sides)."""
    shared = Counter((s.start, s.end, s.label) for s in a) & Counter(
        (s.start, s.end, s.label) for s in b
    )
    per_label: Counter = Counter()
    for (_start, _end, label), count in shared.items():
        per_label[label] += count
    return per_label


def overlap(x, y) -> int:
    return min(x.end, y.end) - max(x.start, y.start)


def overlap_matching(a: Sequence, b: Sequence) -> list[tuple[int, int]]:
    """Pairs (i, j) of a[i] and b[j] with the same label that share at least one
    character, each span in at most one pair.

    A maximum matching (Kuhn's augmenting paths), so the number of pairs is the largest
    possible: a greedy "largest overlap first" can strand a span whose only partner was
    taken by a span that had another. Which pairs, among the maximum ones, is decided by
    the order tried: a's spans by position, each trying its partners by largest overlap,
    then position.
    """
    candidates = []
    for x in a:
        partners = [j for j, y in enumerate(b) if y.label == x.label and overlap(x, y) > 0]
        partners.sort(key=lambda j: (-overlap(x, b[j]), b[j].start, b[j].end))
        candidates.append(partners)
    owner: dict[int, int] = {}  # index in b -> index in a
    for i in sorted(range(len(a)), key=lambda i: (a[i].start, a[i].end)):
        if candidates[i]:
            _augment(i, candidates, owner)
    return sorted((i, j) for j, i in owner.items())


def _augment(root: int, candidates: list[list[int]], owner: dict[int, int]) -> bool:
    """Find a path from a[root] to a free span of b, alternating free and matched pairs,
    and flip it (iteratively: no recursion limit on long chains of overlapping spans)."""
    seen: set[int] = set()
    stack = [(root, iter(candidates[root]))]
    path: list[tuple[int, int]] = []  # the (a, b) pairs that led to each stacked a
    while stack:
        i, options = stack[-1]
        for j in options:
            if j in seen:
                continue
            seen.add(j)
            path.append((i, j))
            if j not in owner:
                for pa, pb in path:
                    owner[pb] = pa
                return True
            stack.append((owner[j], iter(candidates[owner[j]])))
            break
        else:
            stack.pop()
            if path:
                path.pop()
    return False
