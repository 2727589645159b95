"""JSON from an imported file, read as json.loads reads it, but refusing by a LineError
that names the field what it cannot keep, instead of crashing later.

- A whole number longer than Python converts (sys.get_int_max_str_digits(): 4,300
  digits) makes json raise a plain ValueError, not the JSONDecodeError its callers word.
- NaN, Infinity and -Infinity are not JSON, but json.loads accepts them, and so does a
  number too large for a float (1e400 becomes inf): kept in an article's metadata, the
  database's JSON check refused the whole file later, with a message about something
  else. The hooks below cost nothing for the constants (met only where they are) and a
  call per float (rare in articles); integers, the common numbers, are read as before.
- A lone surrogate escape ("\\ud800" with no low half after it) is not a character:
  json.loads keeps it in the string, and canonical_text would have made it U+FFFD
  without a word. It is looked for only where the JSON text has such an escape (one
  regex search), so a file without one costs nothing more.

Every format that reads JSON from a file reads it here (loads, or DECODER for
raw_decode), so the rule has one owner. Broken JSON still raises json.JSONDecodeError,
which each caller words in its own way (with the column, the task, ...).
"""

from __future__ import annotations

import json
import re
import sys

from .base import LineError

_INFINITIES = (float("inf"), float("-inf"))


class ValueRefused(LineError):
    """Valid JSON syntax holding a value we refuse; the message names where it is."""


class _Stop(ValueError):
    """Raised by DECODER's hooks; loads() finds the value again to say where it is."""


def _no_constant(name: str):
    raise _Stop(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in _INFINITIES:
        raise _Stop(text)
    return value


# What the formats decode with (raw_decode where they read items one after the other).
DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


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
        value = DECODER.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        # Not a syntax error, so a value: a hook's _Stop, or int() refusing a long integer.
        raise ValueRefused(_value_problem(text, field)) from None
    if problem := lone_surrogate_problem(value, text, field=field):
        raise ValueRefused(problem)
    return value


def peek(text: str) -> object:
    """The JSON value of `text`, a refused value standing in where there is one: for a
    format's sniff, which looks at the shape only (the parse then refuses the value).
    Raises json.JSONDecodeError when it is not JSON."""
    return _LENIENT.decode(text)


# --- numbers ------------------------------------------------------------------------


def _long_integer(text: str):
    try:
        return int(text)
    except ValueError:  # longer than int() converts
        digits = len(text.lstrip("-"))
        return _Refused(
            f"is a whole number {digits:,} digits long, too long to read (at most "
            f"{sys.get_int_max_str_digits():,} digits)"
        )


def _constant(name: str) -> _Refused:
    return _Refused(f"is {name}, which is not valid JSON (write null for a missing number)")


def _large_float(text: str):
    value = float(text)
    if value not in _INFINITIES:
        return value
    shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text):,} characters)"
    return _Refused(f"is the number {shown}, too large to keep (at most about 1.8e308)")


_HOOKS = {"parse_int": _long_integer, "parse_constant": _constant, "parse_float": _large_float}
_LENIENT = json.JSONDecoder(**_HOOKS)


class _Pairs(list):
    """An object as the file gives it, its (key, value) pairs, a repeated key's too."""


# Where loads() finds a refused value again: every one is there, in the file's order,
# even behind a repeated key (a dict keeps the last value of a key).
_LOCATOR = json.JSONDecoder(**_HOOKS, object_pairs_hook=_Pairs)


def _value_problem(text: str, field: str) -> str:
    """What is wrong with the first refused value of `text`, and where it is."""
    found = _first(_LOCATOR.decode(text))
    if found is None:  # not expected: loads() met a value the hooks refuse
        return f"{_where(field, ())} holds a value that cannot be read"
    path, refused = found
    return f"{_where(field, path)} {refused.problem}"


def _first(value, path: tuple = ()):
    """(path, marker) of the first _Refused in `value`, in the file's order, or None."""
    if isinstance(value, _Refused):
        return path, value
    if isinstance(value, _Pairs):
        items = value
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first(item, (*path, key))
        if found is not None:
            return found
    return None


# --- lone surrogates ---------------------------------------------------------------

# An escape of a surrogate, high or low: where a file has none, no string holds one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# In a decoded string a pair is one character already: any surrogate left is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate_problem(
    value, text: str, start: int = 0, end: int | None = None, *, field: str = ""
) -> str | None:
    """What holds a lone surrogate in `value`, decoded from text[start:end], or None."""
    if _SURROGATE_ESCAPE.search(text, start, len(text) if end is None else end) is None:
        return None
    found = _first_lone_surrogate(value)
    if found is None:  # escapes of whole pairs only
        return None
    path, string, is_name = found
    escape = f"\\u{ord(_SURROGATE.search(string).group()):04x}"
    where = f"the field name {_where(field, path)}" if is_name else _where(field, path)
    return f"{where} holds a lone surrogate escape ({escape}), which is not a character"


def _first_lone_surrogate(value, path: tuple = ()):
    """(path, string, is it a field's name) of the first string holding one, or None."""
    if isinstance(value, str):
        return (path, value, False) if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return (*path, key), key, True
            if (found := _first_lone_surrogate(item, (*path, key))) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _first_lone_surrogate(item, (*path, index))) is not None:
                return found
    return None


# --- where, in words -----------------------------------------------------------------


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
