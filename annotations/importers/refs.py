"""What a file's import result keeps of what it did, bounded whatever the file's size.

Refs: the articles a file created, found already present, or revised: every id, and the
title and note of the first KEPT only. RefusedLines: the lines it refused, all counted,
the first KEPT_LINES kept.

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
# Refused lines kept with their reasons; reports list 200 (report.LISTED_LINES). A 10 MB
# file of five million bad lines kept them all: 1.1 GB of RSS, and as many printed lines.
KEPT_LINES = 1_000


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


class RefusedLines(list):
    """(line number, reason) of each refused line (None for a file's one article): a
    list of the KEPT_LINES with the lowest numbers, and `total`, how many were refused.

    Lines come about in order (a chunk's parse errors, then its other problems), so one
    past the highest kept is only counted, in constant time; a lower one takes the
    highest one's place."""

    def __init__(self, items: Iterable[tuple[int | None, str]] = ()) -> None:
        super().__init__()
        self.total = 0
        self._highest = -1  # the highest line number kept, once KEPT_LINES are
        self.extend(items)

    def append(self, item: tuple[int | None, str]) -> None:
        self.total += 1
        if len(self) < KEPT_LINES:
            super().append(item)
            if len(self) == KEPT_LINES:
                self._highest = max(line or 0 for line, _ in self)
            return
        if (item[0] or 0) >= self._highest:
            return
        for index, (line, _) in enumerate(self):
            if (line or 0) == self._highest:
                self[index] = item
                break
        self._highest = max(line or 0 for line, _ in self)

    def extend(self, items: Iterable[tuple[int | None, str]]) -> None:
        for item in items:
            self.append(item)

    def merge(self, other: RefusedLines, *, prefix: str = "") -> None:
        """Another file's refused lines (an archive member's), their reasons prefixed;
        those it only counted are counted here too."""
        self.extend((line, prefix + reason) for line, reason in other)
        self.total += other.total - len(other)

    def clear(self) -> None:
        super().clear()
        self.total = 0
        self._highest = -1
