"""What the adjudication page shows, computed from rows without touching the database:
the reviewers (each a letter and a line style, so colour is never the only cue), every
reviewer span as a candidate (accepted, rejected or open; disputed unless every reviewer
marked it exactly alike), the gold spans, and the article text with all of them marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe

from ..offsets import span_segments
from ..services.adjudication import ACCEPTED, OPEN, REJECTED, SpanKey, key_of

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Distinct underline styles, one a reviewer, repeated past four (letters still differ).
LINE_STYLES = ("solid", "dashed", "dotted", "double")


@dataclass(frozen=True, slots=True)
class Reviewer:
    pk: int
    name: str
    index: int

    @property
    def letter(self) -> str:
        return LETTERS[self.index % len(LETTERS)]

    @property
    def lane(self) -> int:
        """Which of the page's four line styles (and tints) marks this reviewer's spans."""
        return self.index % len(LINE_STYLES)

    @property
    def line_style(self) -> str:
        return LINE_STYLES[self.lane]


@dataclass(slots=True)
class Candidate:
    span: object  # an Annotation (reviewer layer), label and author loaded
    reviewer: Reviewer
    state: str  # ACCEPTED, REJECTED or OPEN
    disputed: bool
    gold_id: int | None
    # The other reviewers who marked exactly this (same bounds, same label).
    agreeing: list[Reviewer] = field(default_factory=list)


@dataclass(slots=True)
class GoldRow:
    span: object  # an Annotation (gold layer)
    sources: list[Candidate]


@dataclass(slots=True)
class Board:
    reviewers: list[Reviewer]
    candidates: list[Candidate]
    gold: list[GoldRow]

    @property
    def counts(self) -> dict[str, int]:
        counted = {ACCEPTED: 0, REJECTED: 0, OPEN: 0}
        for candidate in self.candidates:
            counted[candidate.state] += 1
        counted["disputed"] = sum(c.disputed for c in self.candidates)
        return counted


def build_board(
    spans: Sequence, gold: Sequence, links: Sequence[tuple[int, int]], rejected: set[int]
) -> Board:
    """`spans`: the reviewer spans; `gold`: the gold spans; `links`: (gold id, reviewer
    span id) pairs; `rejected`: ids of the rejected reviewer spans."""
    names = sorted({(span.author.get_username(), span.author_id) for span in spans})
    reviewers = {pk: Reviewer(pk, name, i) for i, (name, pk) in enumerate(names)}
    gold_of: dict[int, int] = {}
    for gold_id, span_id in links:
        gold_of.setdefault(span_id, gold_id)
    by_key: dict[SpanKey, set[int]] = {}
    for span in spans:
        by_key.setdefault(key_of(span), set()).add(span.author_id)
    everyone = set(reviewers)
    candidates = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, reviewers[s.author_id].index, s.pk)):
        markers = by_key[key_of(span)]
        state = ACCEPTED if span.pk in gold_of else REJECTED if span.pk in rejected else OPEN
        candidates.append(
            Candidate(
                span=span,
                reviewer=reviewers[span.author_id],
                state=state,
                disputed=len(everyone) > 1 and markers != everyone,
                gold_id=gold_of.get(span.pk),
                agreeing=sorted(
                    (reviewers[pk] for pk in markers if pk != span.author_id),
                    key=lambda r: r.index,
                ),
            )
        )
    by_id = {c.span.pk: c for c in candidates}
    sources: dict[int, list[Candidate]] = {}
    for gold_id, span_id in links:
        if span_id in by_id:
            sources.setdefault(gold_id, []).append(by_id[span_id])
    gold_rows = [
        GoldRow(g, sorted(sources.get(g.pk, []), key=lambda c: c.reviewer.index))
        for g in sorted(gold, key=lambda g: (g.start, -g.end, g.pk))
    ]
    return Board(sorted(reviewers.values(), key=lambda r: r.index), candidates, gold_rows)


def marked_text(body: str, board: Board) -> SafeString:
    """The article text with one <mark> per reviewer span (its reviewer's letter and line
    style) and per gold span, nested where they overlap. Only the body's characters are
    text: badges are drawn by CSS from data attributes."""
    tags: dict[object, tuple[str, str]] = {}
    spans: list[tuple[object, int, int]] = []
    for candidate in board.candidates:
        span, reviewer = candidate.span, candidate.reviewer
        ref = ("c", span.pk)
        common = (
            f'<mark class="adj-mark" data-candidate="{span.pk}" data-lane="{reviewer.lane}"'
            f' data-label="{escape(span.label.slug)}" data-state="{candidate.state}"'
            f"{' data-disputed' if candidate.disputed else ''}"
            f' title="{reviewer.letter} · {escape(reviewer.name)}: {escape(span.label.name)}'
            f'{" (disputed)" if candidate.disputed else ""}"'
        )
        tags[ref] = (f'{common} data-badge="{reviewer.letter}">', f"{common}>")
        spans.append((ref, span.start, span.end))
    for row in board.gold:
        span = row.span
        ref = ("g", span.pk)
        common = (
            f'<mark class="adj-mark adj-gold" data-gold="{span.pk}"'
            f' data-label="{escape(span.label.slug)}" title="Gold: {escape(span.label.name)}"'
        )
        tags[ref] = (f'{common} data-badge="★">', f"{common}>")
        spans.append((ref, span.start, span.end))
    order = {ref: i for i, (ref, _, _) in enumerate(spans)}
    parts: list[str] = []
    opened: set = set()
    # span_segments sorts by (start, -end, id): ids must compare, so use their rank.
    ranked = [(order[ref], start, end) for ref, start, end in spans]
    refs = [ref for ref, _, _ in spans]
    for segment in span_segments(len(body), ranked):
        text = escape(body[segment.start : segment.end], quote=False)
        for rank in segment.span_ids:
            first, rest = tags[refs[rank]]
            parts.append(rest if rank in opened else first)
            opened.add(rank)
        parts.append(text)
        parts.append("</mark>" * len(segment.span_ids))
    return mark_safe("".join(parts))
