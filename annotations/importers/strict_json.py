"""JSON from an imported file, read as json.loads reads it, but refusing by a LineError
that names the field what it cannot keep, instead of crashing later.

- A whole number longer than Python converts (sys.get_int_max_str_digits(): 4,300
  digits) makes json raise a plain ValueError, not the JSONDecodeError its callers word.

Every format that reads JSON from a file reads it here (loads, or DECODER for
raw_decode), so the rule has one owner. Broken JSON still raises json.JSONDecodeError,
which each caller words in its own way (with the column, the task, ...).
"""

from __future__ import annotations

import json
import sys

from .base import LineError

# What the formats decode with (raw_decode where they read items one after the other).
DECODER = json.JSONDecoder()


class ValueRefused(LineError):
    """Valid JSON syntax holding a value we refuse; the message names where it is."""


class _Refused:
    """Stands for a refused value in peek()'s answer; says what is wrong with it."""

    __slots__ = ("problem",)

    def __init__(self, problem: str):
        self.problem = problem


def loads(text: str, *, field: str = "") -> object:
    """The JSON value of `text`. Raises json.JSONDecodeError when it is not JSON, and
    ValueRefused for a value refused here, naming its place (`field`: the name of what
    `text` is, for a JSON cell such as the CSV “spans”)."""
    try:
        return DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        # Not a syntax error, so a value: int() refusing a long integer.
        raise ValueRefused(_value_problem(text, field)) from None


def peek(text: str) -> object:
    """The JSON value of `text`, a refused value standing in where there is one: for a
    format's sniff, which looks at the shape only (the parse then refuses the value).
    Raises json.JSONDecodeError when it is not JSON."""
    return _LENIENT.decode(text)


def _long_integer(text: str):
    try:
        return int(text)
    except ValueError:  # longer than int() converts
        digits = len(text.lstrip("-"))
        return _Refused(
            f"is a whole number {digits:,} digits long, too long to read (at most "
            f"{sys.get_int_max_str_digits():,} digits)"
        )


_LENIENT = json.JSONDecoder(parse_int=_long_integer)


def _value_problem(text: str, field: str) -> str:
    """What is wrong with the first refused value of `text`, and where it is."""
    value = peek(text)
    found = _first(value, lambda item: isinstance(item, _Refused))
    if found is None:  # hidden behind a repeated key (the last one is kept)
        return f"{_where(field, ())} holds a number too long to read"
    path, refused = found
    return f"{_where(field, path)} {refused.problem}"


def _first(value, wanted, path: tuple = ()):
    """(path, item) of the first item, in the file's order, that `wanted` accepts."""
    if wanted(value):
        return path, value
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first(item, wanted, (*path, key))
        if found is not None:
            return found
    return None


def _where(field: str, path: tuple) -> str:
    """“spans[0].score” for field "spans" and path (0, "score"); “a value” for none."""
    name = field
    for step in path:
        if isinstance(step, int):
            name += f"[{step}]"
        else:
            name += f".{_shown(step)}" if name else _shown(step)
    return f"“{name}”" if name else "a value"


def _shown(key: str) -> str:
    """A key as a message may show it: escaped where it is not printable, and cut."""
    if not key.isprintable():
        key = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in key)
    return key if len(key) <= 40 else f"{key[:39]}…"
