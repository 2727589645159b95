"""The one rule against exact twins: a reviewer marks a stretch of text with a label once.

Two spans of one author with the same offsets and label say the same thing twice: every
count, export and agreement score would weigh it double. Creating a span, relabelling
one and restoring a deleted one each ask `twin_of` while they hold the article's row
lock (which every writer of its spans takes first), so two writers cannot both find no
twin; each words its own refusal, since what was refused differs.
"""

from __future__ import annotations

from ..models import Annotation


def twin_of(
    *, article_id: int, start: int, end: int, label_id: int, author_id: int, excluding=None
) -> int | None:
    """The id of a live span of this author on this text with this label, or None.
    `excluding`: the span being changed, which is no twin of itself."""
    twins = Annotation.objects.filter(
        article_id=article_id, start=start, end=end, label_id=label_id, author_id=author_id
    )
    if excluding is not None:
        twins = twins.exclude(pk=excluding)
    return twins.values_list("pk", flat=True).first()
