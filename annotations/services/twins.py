"""The one rule against exact twins: a reviewer marks a stretch of text with a label once.

Two spans of one author with the same offsets and label say the same thing twice: every
count, export and agreement score would weigh it double. Creating a span, relabelling
one, restoring a deleted one and placing one a revision could not place each ask
`twin_of` while they hold the article's row lock (which every writer of its spans takes
first), so two writers cannot both find no twin; each words its own refusal, since what
was refused differs. A revision, which moves all of an article's spans at once (locked),
asks `twins_among` of the places it found before writing any.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Annotation

# What two spans share when they are twins (besides their article).
TWIN_FIELDS = ("start", "end", "label_id", "author_id")


def twin_key(*, start: int, end: int, label_id: int, author_id: int) -> tuple:
    return (start, end, label_id, author_id)


def twin_of(
    *, article_id: int, start: int, end: int, label_id: int, author_id: int, excluding=None
) -> int | None:
    """The id of a live span of this author on this text with this label, or None.
    `excluding`: the span being changed, which is no twin of itself. A span waiting for
    a reviewer to place it (needs attention) is no twin: its offsets index an older text."""
    key = twin_key(start=start, end=end, label_id=label_id, author_id=author_id)
    twins = Annotation.objects.filter(
        article_id=article_id, **dict(zip(TWIN_FIELDS, key, strict=True))
    )
    if excluding is not None:
        twins = twins.exclude(pk=excluding)
    return twins.values_list("pk", flat=True).first()


def twins_among(places: Iterable[tuple[int, tuple]]) -> dict[int, int]:
    """Of an article's spans and where each would be (span id, twin_key), in the order
    they have a claim to their place (the first keeps it): span id → the id of the span
    it would be a twin of. The caller leaves those where they were."""
    holders: dict[tuple, int] = {}
    twins: dict[int, int] = {}
    for pk, key in places:
        holder = holders.setdefault(key, pk)
        if holder != pk:
            twins[pk] = holder
    return twins
