"""Spans over an article's text: pure functions on `str`, no Django.

A span is `[start, end)` in Python code points into the canonical body. Browsers count
in UTF-16 code units; the page converts before it sends, and these helpers do the same
for formats that count in UTF-16.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

CONTEXT_WIDTH = 32


class SpanError(ValueError):
    """A span that does not fit the text; the message is meant for a person."""


class TextQuote(NamedTuple):
    prefix: str
    exact: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of text covered by the same set of spans (ids in nesting order)."""

    start: int
    end: int
    span_ids: tuple


# --- canonical text -------------------------------------------------------------------

# Control characters (category Cc: U+0000-001F, U+007F-009F) except \t and \n, the
# byte-order mark, and lone surrogates. One regex pass is ~10x faster than a per-character
# loop, which matters when importing thousands of articles.
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Anything the passes below would change ("\r" is among the controls): most text has none, one
# search (or str.isprintable, which is false for every one of them) finds that out in
# one scan instead of four (the import runs this on every text, note and name it reads).
_TO_CLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")


def canonical_text(raw: str) -> str:
    """The text contract: NFC, "\\n" newlines, no control characters but "\\n" and "\\t".

    A byte-order mark left in a decoded string is dropped too. A lone surrogate (e.g. a
    JSON "\\ud800" escape) cannot be stored or encoded as UTF-8, so it becomes U+FFFD:
    the damage stays visible instead of failing later in the database.
    """
    if raw.isprintable() or not _TO_CLEAN.search(raw):
        return unicodedata.normalize("NFC", raw)
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _DROPPED.sub("", text)
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def is_blank(text: str) -> bool:
    """Nothing a reader would see: only white space (str.isspace: spaces, U+00A0, U+2003,
    line breaks) and invisible format characters (category Cf: U+200B zero-width space,
    U+200C/U+200D joiners, U+2060 word joiner, U+FEFF, soft hyphens), which str.strip()
    keeps: a "text" of them is no text. The one rule for every importer's blank test.

    Stops at the first visible character, so an ordinary text costs a character or two."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text)


# --- checking spans -------------------------------------------------------------------


def check_span(text: str, start: int, end: int, quote: str | None = None) -> None:
    """Raise SpanError unless `[start, end)` is a non-empty span of `text`
    (and, when given, `quote` is exactly the text it covers)."""
    if isinstance(start, bool) or isinstance(end, bool):
        raise SpanError("Span offsets must be whole numbers.")
    if not isinstance(start, int) or not isinstance(end, int):
        raise SpanError("Span offsets must be whole numbers.")
    if start < 0:
        raise SpanError(f"The span starts before the text (start={start}).")
    if end > len(text):
        raise SpanError(
            f"The span ends after the text (end={end}, the text has {len(text)} characters)."
        )
    if end <= start:
        raise SpanError(f"The span is empty (start={start}, end={end}).")
    if quote is not None and text[start:end] != quote:
        raise SpanError(
            "The selected text does not match the article at those offsets; "
            "reload the page and select it again."
        )
    if text[start:end].strip() == "":
        raise SpanError("The span covers only white space.")


def quote_selector(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> TextQuote:
    """The W3C TextQuoteSelector of a span: the exact text and its context."""
    return TextQuote(
        prefix=text[max(0, start - width) : start],
        exact=text[start:end],
        suffix=text[end : end + width],
    )


def find_quote(
    text: str, exact: str, prefix: str = "", suffix: str = "", near: int | None = None
) -> tuple[int, int] | None:
    """Re-anchor a quote in `text`: every occurrence is scored by how much of its
    prefix and suffix still match; ties go to the one nearest `near`. None if absent."""
    if not exact:
        return None
    best: tuple | None = None
    position = text.find(exact)
    while position != -1:
        end = position + len(exact)
        # Only the context's own width can match; slicing no more keeps long texts fast.
        before = text[max(0, position - len(prefix)) : position]
        after = text[end : end + len(suffix)]
        score = _common_suffix(before, prefix) + _common_prefix(after, suffix)
        distance = abs(position - near) if near is not None else 0
        key = (-score, distance, position)
        if best is None or key < best[0]:
            best = (key, (position, end))
        position = text.find(exact, position + 1)
    return best[1] if best else None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


# --- UTF-16 <-> code points -----------------------------------------------------------


def utf16_length(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_to_codepoint(text: str, offset: int) -> int:
    """The code-point index of a UTF-16 offset into `text`.

    Raises SpanError for an offset outside the text or inside a surrogate pair.
    """
    if offset < 0:
        raise SpanError(f"UTF-16 offset {offset} is negative.")
    units = 0
    for index, ch in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            raise SpanError(f"UTF-16 offset {offset} falls inside a surrogate pair.")
    if units == offset:
        return len(text)
    raise SpanError(f"UTF-16 offset {offset} is past the end of the text ({units} units).")


class Utf16Index:
    """Many code-point offsets into one text, converted to UTF-16 code units.

    Only characters beyond the Basic Multilingual Plane (emoji, rare CJK) take two units,
    so an offset moves by the number of them before it: found once per text, then a
    binary search per offset, where codepoint_to_utf16 walks the text every time.
    Offsets are not range-checked here; the exporters pass checked spans.
    """

    __slots__ = ("_astral",)

    def __init__(self, text: str):
        self._astral = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]

    def __call__(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset + bisect_left(self._astral, offset)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def codepoint_to_utf16(text: str, offset: int) -> int:
    if not 0 <= offset <= len(text):
        raise SpanError(f"Offset {offset} is outside the text (0..{len(text)}).")
    return utf16_length(text[:offset])


# --- highlight segments ---------------------------------------------------------------


def span_segments(length: int, spans: Iterable[tuple[object, int, int]]) -> list[Segment]:
    """Cut `[0, length)` at every span boundary.

    Each segment lists the ids of the spans covering it, outermost first (earlier start,
    then longer), so nested <mark>s can be opened in that order and overlaps stay
    visible. Segments with no span are included, so the segments tile the text.
    Spans are clipped to the text; empty ones are ignored (they would never close). The
    order is taken before clipping, so a window of a longer text (one paragraph) nests
    its spans as the whole text does.
    """
    spans = [
        (span_id, max(start, 0), min(end, length))
        for span_id, start, end in sorted(spans, key=lambda s: (s[1], -s[2], s[0]))
        if max(start, 0) < min(end, length)
    ]
    order = {span_id: rank for rank, (span_id, _, _) in enumerate(spans)}
    cuts = {0, length}
    for _, start, end in spans:
        cuts.add(start)
        cuts.add(end)
    boundaries = sorted(c for c in cuts if 0 <= c <= length)

    starting: dict[int, list] = {}
    ending: dict[int, list] = {}
    for span_id, start, end in spans:
        starting.setdefault(start, []).append(span_id)
        ending.setdefault(end, []).append(span_id)

    active: set = set()
    segments = []
    for left, right in pairwise(boundaries):
        active.difference_update(ending.get(left, ()))
        active.update(starting.get(left, ()))
        if right > left:
            ids = tuple(sorted(active, key=order.__getitem__))
            segments.append(Segment(left, right, ids))
    return segments
