"""The marks around matches: private-use characters the databases wrap matches in, and
the safe HTML they become (render_marked)."""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Private-use characters the databases wrap matches in; the text is escaped afterwards
# and only these become <mark> tags.
_START, _STOP = "\ue000", "\ue001"
# ts_headline's parser drops what looks like an HTML tag or entity from its fragments;
# "<" and "&" travel as these instead and are put back (then escaped) here.
_LT, _AMP = "\ue002", "\ue003"


# Joiners that keep the characters either side in one cluster (emoji sequences, Indic
# conjuncts), and variation selectors.
_CLUSTER_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f")


def extends_cluster(ch: str) -> bool:
    """Whether `ch` belongs to the character before it (a combining mark, a joiner)."""
    return ch in _CLUSTER_JOINERS or unicodedata.category(ch)[0] == "M"


def cluster_start(text: str, i: int) -> int:
    """`i`, moved back to the start of the grapheme cluster it falls in (an approximation
    of UAX #29: a base character with its marks and joiners)."""
    while 0 < i < len(text) and extends_cluster(text[i]):
        i -= 1
    return i


def cluster_end(text: str, i: int) -> int:
    """`i`, moved on past the marks and joiners of the cluster it falls in."""
    while 0 < i < len(text) and extends_cluster(text[i]):
        i += 1
    return i


def _mark_substrings(text: str, substrings: list[str]) -> str:
    """Each occurrence of a substring marked, widened to whole grapheme clusters: a Thai
    consonant searched for is marked with its vowel sign, never cut from it."""
    if not substrings:
        return text
    pattern = re.compile("|".join(re.escape(s) for s in sorted(substrings, key=len, reverse=True)))
    out, last = [], 0
    for match in pattern.finditer(text):
        start, end = cluster_start(text, match.start()), cluster_end(text, match.end())
        if start < last:  # inside the cluster the previous mark widened to
            continue
        out += [text[last:start], _START, text[start:end], _STOP]
        last = end
    out.append(text[last:])
    return "".join(out)


def render_marked(text: str, substrings: list[str] = ()) -> SafeString:
    """Escape `text` and turn the sentinels around matches into <mark> tags, always
    balanced and never nested (a body that contains a sentinel itself cannot break out)."""
    text = " ".join(_mark_substrings(text, list(substrings)).split())
    out, open_ = [], False
    for piece in re.split(f"([{_START}{_STOP}])", text):
        if piece == _START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == _STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(escape(piece.replace(_LT, "<").replace(_AMP, "&")))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text above was escaped
