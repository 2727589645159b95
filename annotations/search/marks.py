"""The marks around matches: private-use characters the databases wrap matches in, and
the safe HTML they become (render_marked)."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Private-use characters the databases wrap matches in; the text is escaped afterwards
# and only these become <mark> tags.
_START, _STOP = "\ue000", "\ue001"
# ts_headline's parser drops what looks like an HTML tag or entity from its fragments;
# "<" and "&" travel as these instead and are put back (then escaped) here.
_LT, _AMP = "\ue002", "\ue003"


def _mark_substrings(text: str, substrings: list[str]) -> str:
    if not substrings:
        return text
    pattern = re.compile("|".join(re.escape(s) for s in sorted(substrings, key=len, reverse=True)))
    return pattern.sub(lambda m: f"{_START}{m.group()}{_STOP}", text)


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
