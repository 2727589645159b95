"""Re-anchoring a span on a new text of its article (pure: no database, no I/O).

A span is stored as code-point offsets plus its W3C TextQuoteSelector (quote, and up to
32 code points of prefix and suffix). When the article's text is replaced by a new
revision, each span is looked for in the new text, in this order:

1. **Diff mapping** (the fast path, method "exact"). One character diff of old → new
   (diff-match-patch, line mode first for long texts) is computed per revision, not per
   span. A span whose old range lies inside one unchanged stretch of that diff is at the
   mapped offsets; its quote is checked there. Most spans of a lightly edited article end
   here, in O(log n) each.
2. **Exact quote** ("exact" when the quote occurs once in the new text, "exact-context"
   when it occurs several times): every occurrence is scored by how much of the prefix
   and suffix match around it, ties going to the occurrence nearest the expected position
   (the old start mapped through the diff). The same words elsewhere are not the span's
   text by themselves: a journalist's "taxes will rise" deleted from the minister's
   sentence is not the mayor's "taxes will rise" two paragraphs on, nor is a quote of
   Biden's the same quote of Trump's. So an occurrence is taken only where its context
   corroborates it (see **Context** below) and it does not cut a word the span did not
   cut ("no" is not the start of "noting"). Only an occurrence whose whole context is
   unchanged scores 1.0; the others are scored like a fuzzy candidate with a quote
   similarity of 1.
3. **Fuzzy** ("fuzzy"): diff-match-patch's Bitap `match_main` looks for the quote near
   the expected position, as Hypothesis's dom-anchor-text-quote does. Bitap patterns are
   limited to `Match_MaxBits` (32) characters, so a longer quote is found by its first 32
   characters (its start) and its last 32 (its end) separately. The candidate is scored:

       score = 0.6 · quote similarity + 0.25 · context similarity + 0.15 · position

   where similarities are 1 − Levenshtein distance / length, and position falls from 1
   (at the expected place) to 0 (a tenth of the text away, at least 1,000 and at most
   10,000 code points). A candidate under FUZZY_THRESHOLD, or whose quote similarity is
   under QUOTE_THRESHOLD, is not placed: the caller marks the span "needs attention"
   (it is never deleted). Bitap finds the region; each edge is then set where the
   quote's first (last) characters and the prefix (suffix) match best, within a few
   characters, the quote counting double and an edge inside a word costing one more,
   so an insertion next to the span or inside it does not cut a word in two.

**Context** (the one rule for both searches): a place is taken only when

- at least one side of the span's context, prefix or suffix, is still next to it with at
  most a fifth of its NEAR (16) code points nearest the quote changed (edit distance,
  an insertion counted once: similarity >= CONTEXT_THRESHOLD, the quote's own bar); or
- (exact quote only) the diff kept the span's own characters where they were, as one
  unchanged run of at least NEAR code points with the context still touching them: the
  text was edited on both sides of a quote that did not move ("said" → "said on Monday
  that", "in June." → "in July.").

One intact side is what every edit that should move a span leaves: text inserted before
or after it, its paragraph moved (the side inside the paragraph stays), a word or a mark
changed next to it. The same words in another sentence score far lower (the 16 code
points before the mayor's "taxes will rise" are 0.6 like the minister's, before Trump's
quote 0.56 like Biden's; unrelated news text about a third). The near half decides, not
the whole 32: "Biden said: " and "Trump said: " differ in five code points of 16, only in
five of 32. A side under SHORT (8) code points is no evidence (by chance too likely),
unless it is all the span has (a text of a few words): then it must be there exactly.
Hypothesis's client also scores quote, prefix, suffix and position (50/20/20/2) but takes
the best match whatever its context; here a quote with no corroborating context goes to
"needs attention", where the reviewer is offered its occurrences (`candidates`) and
decides. A span with no context at all (its quote was the whole text) is taken. Known
limit: a sentence rewritten in place around an unchanged quote of 16 code points or more
("The minister said taxes will rise" → "The mayor said taxes will rise", where it was)
keeps the span, as the diff says those characters stayed.

Offsets are Python code points throughout, like Annotation.start/end (diff-match-patch
works on Python strings, so emoji, CJK and combining marks count one per code point).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import NamedTuple

from diff_match_patch import diff_match_patch

# diff-match-patch's operation codes.
_EQUAL, _INSERT, _DELETE = 0, 1, -1
# Bitap's pattern limit (diff_match_patch.Match_MaxBits).
MAX_PATTERN = 32
# Under this a fuzzy candidate is not placed (see the module docstring for the score).
FUZZY_THRESHOLD = 0.75
# ...nor when the text it covers differs from the quote by more than a fifth.
QUOTE_THRESHOLD = 0.8
# No place (exact or fuzzy) is taken unless one side of its context, prefix or suffix,
# differs from the span's by at most a fifth (see **Context** in the module docstring).
CONTEXT_THRESHOLD = 0.8
# How far from the expected place Bitap searches, and position scoring fades: a tenth of
# the text, within these bounds (the expected place comes from the diff, so it is near;
# a passage moved further is found by the exact search when its quote is unchanged).
_MIN_DISTANCE = 1000
_MAX_DISTANCE = 10_000


class SpanText(NamedTuple):
    """What a span knows of itself: old offsets and its quote selector."""

    start: int
    end: int
    quote: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a span goes in the new text, how sure we are (0..1), and how it was found."""

    start: int
    end: int
    score: float
    method: str  # "exact", "exact-context" or "fuzzy"


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 2.0  # a long article's diff is still valid when cut short, just coarser
    dmp.Match_Threshold = 0.5
    return dmp


class TextMap:
    """old text → new text, from one diff: positions mapped, unchanged ranges known.

    Build it once per revision and pass it to `reanchor` for every span of the article.
    """

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self._dmp = _dmp()
        diffs = self._dmp.diff_main(old, new) if old != new else [(_EQUAL, old)]
        # An edit next to a span shifted to a word boundary ("said th|at th|e bridge"
        # → "said |that |the bridge"): the span's words stay one unchanged piece.
        self._dmp.diff_cleanupSemanticLossless(diffs)
        # Per diff piece: where it starts in old and in new; equal pieces kept apart.
        self._old_starts: list[int] = []
        self._pieces: list[tuple[int, int, int, int]] = []  # (op, old_at, new_at, length)
        old_at = new_at = 0
        for op, text in diffs:
            self._old_starts.append(old_at)
            self._pieces.append((op, old_at, new_at, len(text)))
            if op != _INSERT:
                old_at += len(text)
            if op != _DELETE:
                new_at += len(text)

    def position(self, old_position: int) -> int:
        """Where an old position went: inside a deletion, to where the deletion was."""
        if not self._pieces:
            return 0
        index = bisect.bisect_right(self._old_starts, old_position) - 1
        # Several pieces can start at one old position (an insertion, then what follows):
        # take the last, which is the one that holds old_position itself.
        index = max(index, 0)
        op, old_at, new_at, length = self._pieces[index]
        if op == _EQUAL:
            return new_at + min(old_position - old_at, length)
        if op == _DELETE:
            return new_at
        return new_at + length  # an insertion holds no old text: after it

    def unchanged(self, start: int, end: int) -> tuple[int, int] | None:
        """The new range of an old range inside one unchanged piece, else None."""
        index = bisect.bisect_right(self._old_starts, start) - 1
        if index < 0:
            return None
        op, old_at, new_at, length = self._pieces[index]
        if op != _EQUAL or end > old_at + length:
            return None
        return new_at + (start - old_at), new_at + (end - old_at)


def reanchor(
    old_text: str, new_text: str, span: SpanText, *, text_map: TextMap | None = None
) -> Placement | None:
    """The span's place in `new_text`, or None when it cannot be placed confidently."""
    if not span.quote:
        return None
    text_map = text_map or TextMap(old_text, new_text)
    mapped = text_map.unchanged(span.start, span.end)
    if (
        mapped is not None
        and new_text[mapped[0] : mapped[1]] == span.quote
        # A diff can align a repeated passage with the other copy: the context decides.
        and _context_match(new_text, span, mapped[0]) == len(span.prefix) + len(span.suffix)
    ):
        return Placement(mapped[0], mapped[1], 1.0, "exact")
    expected = text_map.position(span.start)
    kept = mapped[0] if mapped is not None else None
    found = _exact(new_text, span, expected, text_map._dmp, kept)
    if found is not None:
        return found
    candidate = _fuzzy(new_text, span, expected, text_map._dmp, grown=_growth(text_map, span))
    if (
        candidate is None
        or candidate.score < FUZZY_THRESHOLD
        or not _corroborated(span, _sides(new_text, span, candidate.start, candidate.end))
    ):
        return None
    return candidate


def find_in(text: str, span: SpanText) -> Placement | None:
    """The span's exact quote in `text` where its context corroborates it (see
    **Context**), with no older text to map from: a deleted span's restore, whose article
    may have been revised since. The same words in another sentence are not the span."""
    if not span.quote:
        return None
    return _exact(text, span, span.start, _dmp())


def candidates(old_text: str, new_text: str, span: SpanText, *, limit: int = 3) -> list[Placement]:
    """The best few places a reviewer could choose from, confident or not (for a span
    `reanchor` could not place): exact occurrences, then the best fuzzy match."""
    if not span.quote:
        return []
    text_map = TextMap(old_text, new_text)
    expected = text_map.position(span.start)
    found = [
        Placement(start, start + len(span.quote), _context_score(new_text, span, start), "exact")
        for start in _occurrences(new_text, span.quote)
    ]
    found.sort(key=lambda p: (-p.score, abs(p.start - expected)))
    fuzzy = _fuzzy(
        new_text, span, expected, text_map._dmp, grown=_growth(text_map, span), strict=False
    )
    if fuzzy is not None and all((p.start, p.end) != (fuzzy.start, fuzzy.end) for p in found):
        found.append(fuzzy)
    return found[:limit]


# --- exact ----------------------------------------------------------------------------------


def _occurrences(text: str, quote: str, cap: int = 1000) -> list[int]:
    found, at = [], text.find(quote)
    while at != -1 and len(found) < cap:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def _exact(
    text: str, span: SpanText, expected: int, dmp: diff_match_patch, kept: int | None = None
) -> Placement | None:
    """The occurrence of the quote whose context is the span's, or None (see **Context**:
    the same words with other words around them are not the span's text). `kept`: where
    the diff kept the span's own characters, unchanged, if it did."""
    starts = _occurrences(text, span.quote)
    length = len(span.quote)
    corroborated = []
    for at in starts:
        if _cuts_a_word(text, span, at):
            continue
        sides = _sides(text, span, at, at + length)
        if _corroborated(span, sides) or (
            at == kept and length + _context_match(text, span, at) >= NEAR
        ):
            corroborated.append((at, sides))
    if not corroborated:
        return None
    best, sides = min(
        corroborated,
        key=lambda item: (
            -_context_match(text, span, item[0]),
            -_mean(item[1]),
            abs(item[0] - expected),
            item[0],
        ),
    )
    method = "exact" if len(starts) == 1 else "exact-context"
    if _context_score(text, span, best) == 1.0:
        return Placement(best, best + length, 1.0, method)
    dmp.Match_Distance = min(_MAX_DISTANCE, max(_MIN_DISTANCE, len(text) // 10))
    position = max(0.0, 1.0 - abs(best - expected) / dmp.Match_Distance)
    score = 0.6 + 0.25 * _mean(sides) + 0.15 * position
    return Placement(best, best + length, round(score, 3), method)


def _sides(text: str, span: SpanText, start: int, end: int) -> list[float | None]:
    """How alike each side of the span's context (prefix, suffix: the ones it has) is to
    the text around [start, end) (see _side_similarity); None for a side the new text has
    no room for."""
    sides = []
    if span.prefix:
        before = text[max(0, start - 2 * len(span.prefix)) : start]
        sides.append(_side_similarity(span.prefix[::-1], before[::-1]))
    if span.suffix:
        sides.append(_side_similarity(span.suffix, text[end : end + 2 * len(span.suffix)]))
    return sides


# A side of context is compared on its NEAR code points next to the quote (who said it is
# there, the rest is the sentence before), and is no evidence under SHORT code points,
# where a chance match is likely, unless it is all the span has (see _corroborated).
NEAR = 16
SHORT = 8


def _side_similarity(side: str, text: str) -> float | None:
    """1 − the edit distance of the side's NEAR code points next to the quote (read
    outwards) to the closest start of `text` (the new text, read the same way), over
    their length: an insertion next to the quote costs its length once, not again for
    the context it pushes away. A short side (its old text began or ended there) counts
    only when it is all there, exactly; a long one the new text has no room for is
    None."""
    if len(side) < SHORT:
        return 1.0 if text.startswith(side) else 0.0
    near = side[:NEAR][: len(text)]
    if len(near) < SHORT:
        return None
    return 1.0 - _edit_distance_to_a_start(near, text) / len(near)


def _edit_distance_to_a_start(a: str, b: str) -> int:
    """The Levenshtein distance of `a` to the closest prefix of `b` (any length)."""
    return min(_last_levenshtein_row(a, b))


def _last_levenshtein_row(a: str, b: str) -> list[int]:
    """The Levenshtein table's last row: the distance of `a` to each prefix of `b`."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous


def _corroborated(span: SpanText, sides: list[float | None]) -> bool:
    """The context rule: one side's nearest code points at most a fifth changed. Only a
    long side (SHORT or more) is evidence; a span whose every side is short (a text of a
    few words) is taken when one of them is there exactly, and one with no context at
    all (its quote was its whole text) has nothing to contradict it."""
    stored = [side for side in (span.prefix, span.suffix) if side]
    if not stored:
        return True
    long_sides = [v for side, v in zip(stored, sides, strict=True) if len(side) >= SHORT]
    if any(len(side) >= SHORT for side in stored):
        return any(v is not None and v >= CONTEXT_THRESHOLD for v in long_sides)
    return any(v == 1.0 for v in sides)


def _mean(sides: list[float | None]) -> float:
    known = [v for v in sides if v is not None]
    return sum(known) / len(known) if known else 1.0


def _cuts_a_word(text: str, span: SpanText, at: int) -> bool:
    """An occurrence inside a longer word ("no" in "noting") where the span's own edge was
    between words: other text, whatever its context."""
    end = at + len(span.quote)
    # A side the span does not have (it began or ended its text) says nothing.
    return (
        bool(span.prefix) and _splits_word(text, at) and not _was_split(span, at_start=True)
    ) or (bool(span.suffix) and _splits_word(text, end) and not _was_split(span, at_start=False))


def _context_match(text: str, span: SpanText, at: int) -> int:
    """Code points of prefix and suffix that still surround an occurrence at `at`."""
    before = text[max(0, at - len(span.prefix)) : at]
    end = at + len(span.quote)
    after = text[end : end + len(span.suffix)]
    return _common_suffix(before, span.prefix) + _common_prefix(after, span.suffix)


def _context_score(text: str, span: SpanText, at: int) -> float:
    width = len(span.prefix) + len(span.suffix)
    return 1.0 if width == 0 else round(_context_match(text, span, at) / width, 3)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


# --- fuzzy ----------------------------------------------------------------------------------


def _growth(text_map: TextMap, span: SpanText) -> int:
    """How much longer (or shorter) the diff says the span's text became; 0 when the
    diff's guess is implausible (a passage rewritten around it)."""
    mapped = text_map.position(span.end) - text_map.position(span.start)
    grown = mapped - (span.end - span.start)
    return grown if abs(grown) <= (span.end - span.start) // 2 else 0


def _fuzzy(
    text: str,
    span: SpanText,
    expected: int,
    dmp: diff_match_patch,
    *,
    grown: int = 0,
    strict: bool = True,
) -> Placement | None:
    """The best fuzzy candidate; with `strict`, only one whose quote is similar enough.
    `grown` is how much longer the diff says the quote's text became (where to look for
    its end)."""
    quote = span.quote
    if not text.strip():
        return None
    dmp.Match_Distance = min(_MAX_DISTANCE, max(_MIN_DISTANCE, len(text) // 10))
    expected = min(max(expected, 0), len(text))
    head = quote[:MAX_PATTERN]
    start = _bitap(dmp, text, head, expected)
    if start < 0:
        return None
    tail = quote[-MAX_PATTERN:]
    tail_at = start + len(quote) + grown - len(tail)
    if len(quote) > MAX_PATTERN:
        # Bitap cannot take the whole quote: its end is looked for on its own.
        tail_at = _bitap(dmp, text, tail, tail_at)
        if tail_at < start:
            return None
    slack = min(40, max(8, len(quote) // 4))
    start = _best_edge(dmp, text, span, start, slack, at_start=True)
    end = _best_edge(dmp, text, span, tail_at + len(tail), slack, at_start=False)
    start, end = _trim(text, start, end)
    if end <= start or not (0.5 <= (end - start) / len(quote) <= 2.0):
        return None
    quote_similarity = _similarity(dmp, quote, text[start:end])
    if strict and quote_similarity < QUOTE_THRESHOLD:
        return None
    context = _fuzzy_context(dmp, text, span, start, end)
    position = max(0.0, 1.0 - abs(start - expected) / dmp.Match_Distance)
    score = 0.6 * quote_similarity + 0.25 * context + 0.15 * position
    return Placement(start, end, round(score, 3), "fuzzy")


def _bitap(dmp: diff_match_patch, text: str, pattern: str, near: int) -> int:
    near = min(max(near, 0), len(text))
    if len(pattern) > len(text):
        return -1
    return dmp.match_main(text, pattern, near)


# How much of the quote and of its context decide where an edge goes.
_EDGE_WIDTH = 24


def _best_edge(dmp, text: str, span: SpanText, near: int, slack: int, *, at_start: bool) -> int:
    """The start (or end) near `near` where the quote's first (last) characters and the
    prefix (suffix) around it match best: Bitap finds the region, this the boundary,
    which an edit next to it would otherwise shift."""
    quote, k = span.quote, min(_EDGE_WIDTH, len(span.quote))
    best, best_cost = near, None
    for edge in range(max(0, near - slack), min(len(text), near + slack) + 1):
        if at_start:
            inside = _edit_distance(quote[:k], text[edge : edge + k])
            context = span.prefix[-k:]
            outside = _edit_distance(context, text[max(0, edge - len(context)) : edge])
        else:
            inside = _edit_distance(quote[-k:], text[max(0, edge - k) : edge])
            context = span.suffix[:k]
            outside = _edit_distance(context, text[edge : edge + len(context)])
        # The quote's own text counts double: where an insertion sits at the boundary,
        # the span keeps its words rather than taking the new ones next to its context.
        # An edge inside a word, where the original edge was between words, costs one.
        splits = _splits_word(text, edge) and not _was_split(span, at_start=at_start)
        cost = (2 * inside + outside + splits, abs(edge - near))
        if best_cost is None or cost < best_cost:
            best, best_cost = edge, cost
    return best


def _splits_word(text: str, edge: int) -> bool:
    return 0 < edge < len(text) and text[edge - 1].isalnum() and text[edge].isalnum()


def _was_split(span: SpanText, *, at_start: bool) -> bool:
    if at_start:
        return bool(span.prefix) and span.prefix[-1].isalnum() and span.quote[0].isalnum()
    return bool(span.suffix) and span.suffix[0].isalnum() and span.quote[-1].isalnum()


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance of two short strings (the edges' few dozen characters: a
    plain table is faster here than a diff)."""
    if a == b:
        return 0
    return _last_levenshtein_row(a, b)[-1]


def _distance(dmp: diff_match_patch, a: str, b: str) -> int:
    if a == b:
        return 0
    return dmp.diff_levenshtein(dmp.diff_main(a, b, False))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    end = min(end, len(text))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _similarity(dmp: diff_match_patch, a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    # diff-match-patch's Levenshtein (from a diff) can exceed the longer length.
    return max(0.0, 1.0 - _distance(dmp, a, b) / max(len(a), len(b)))


def _fuzzy_context(dmp, text: str, span: SpanText, start: int, end: int) -> float:
    scores = []
    if span.prefix:
        scores.append(_similarity(dmp, span.prefix, text[max(0, start - len(span.prefix)) : start]))
    if span.suffix:
        scores.append(_similarity(dmp, span.suffix, text[end : end + len(span.suffix)]))
    return sum(scores) / len(scores) if scores else 1.0
