"""The JSON encoding every format uses: compact, UTF-8 kept readable (no \\uXXXX escapes)."""

from __future__ import annotations

import json

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# json leaves these raw with ensure_ascii=False, and str.splitlines() (and some JSON Lines
# readers) break lines at them; escaped, one record is one line for every reader. In JSON
# output they can only occur inside strings, so replacing them is always safe.
_LINE_BREAKS = (("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def escape_line_breaks(line: str) -> str:
    """`line` (JSON text) with U+0085, U+2028 and U+2029 escaped."""
    if not line.isascii():
        for raw, escaped in _LINE_BREAKS:
            if raw in line:
                line = line.replace(raw, escaped)
    return line


def json_line(record) -> str:
    """One JSON Lines record, "\\n" terminated."""
    return escape_line_breaks(dumps(record)) + "\n"
