"""A JSON line read by orjson where that gives exactly what json.loads gives.

orjson reads an import's lines twice as fast as json.loads, and reads the bytes of a UTF-8
file itself (checking them as it goes), so a line need not be decoded into a str first:
a tenth of a bulk import's time. It differs from json.loads in what it refuses (NaN,
Infinity, a lone surrogate escape: json.loads accepts them, and strict_json then refuses
them by name) and in one thing it accepts:
an integer beyond 64 bits becomes a float. So `loads` answers None, for the caller to
read the line with json.loads as before, when orjson refuses it or when the line is too
long or may nest too deep for our own bounds (limits.check_json_shape says which, in its
words); and `inexact` finds a float that may have been such an integer, in the values a
record keeps, so that the caller reads that line again too.
"""

from __future__ import annotations

import orjson

from . import limits

# orjson reads integers in [-2**63, 2**64) exactly; any other becomes a float this large.
_EXACT_INTEGERS = 2**63


def loads(line: str | bytes) -> object | None:
    """The JSON value of `line`, or None where json.loads (after the shape check) must
    answer instead. Bytes are UTF-8 (a file's line as read)."""
    # A UTF-8 line has at least as many bytes as characters, and the brackets are ASCII:
    # within these bounds as bytes, it is within them as text.
    if len(line) > limits.MAX_LINE_CHARS:
        return None
    if isinstance(line, bytes):
        if line.count(b"[") + line.count(b"{") > limits.MAX_JSON_DEPTH or b"\x00" in line:
            return None
    elif line.count("[") + line.count("{") > limits.MAX_JSON_DEPTH:
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def inexact(value) -> bool:
    """Does `value` (a kept piece of a line orjson read) hold a float that an integer
    beyond 64 bits may have become?"""
    if isinstance(value, float):
        return abs(value) >= _EXACT_INTEGERS
    if isinstance(value, dict):
        return any(inexact(item) for item in value.values())
    if isinstance(value, list):
        return any(inexact(item) for item in value)
    return False
