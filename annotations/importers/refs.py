"""The articles a file created, found already present, or revised, as its result keeps
them: every id, and the title and note of the first KEPT only.

An import's result lives as long as the import: with an object and a title for each of
a million articles, its memory grew with the file (a 1 GB JSONL peaked at 200 MB where a
67 MB one took 149 MB). The ids are what the rest of an import needs (a collection to
add them to, the job's counts); the titles and notes are what a report shows, and it
shows a few (importers/report.py lists 20, the command 5).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass

KEPT = 100  # refs kept whole, in order; more than any report lists


@dataclass(frozen=True, slots=True)
class ArticleRef:
    id: int
    title: str
    note: str = ""  # of a revised article: what the revision did to its spans


class Refs:
    """Article refs in the order added: `ids` holds every one's id (8 bytes each),
    `shown` the first KEPT refs whole."""

    __slots__ = ("ids", "shown")

    def __init__(self, refs: Iterable[ArticleRef] = ()) -> None:
        self.ids = array("q")
        self.shown: list[ArticleRef] = []
        self.extend(refs)

    def append(self, ref: ArticleRef) -> None:
        self.ids.append(ref.id)
        if len(self.shown) < KEPT:
            self.shown.append(ref)

    def extend(self, refs: Iterable[ArticleRef] | Refs) -> None:
        if isinstance(refs, Refs):
            self.ids.extend(refs.ids)
            self.shown.extend(refs.shown[: KEPT - len(self.shown)])
            return
        for ref in refs:
            self.append(ref)

    def truncate(self, count: int) -> None:
        """Forget all but the first `count` (what a rolled-back chunk had added)."""
        del self.ids[count:], self.shown[count:]

    def __len__(self) -> int:
        return len(self.ids)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __repr__(self) -> str:
        return f"Refs({len(self)} articles, first: {self.shown[:3]!r})"
