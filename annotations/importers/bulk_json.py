"""A JSON file holding an array of articles (or one article object), as many tools dump.

Each article is an object read like a JSONL line (jsonl.record_from_object): "title" and
"body" ("text" or "content" also), optional "author", "published_at", "source_url",
"publisher", "language" and "spans"; other fields are kept in the import metadata.

The array is read one item at a time. First the whole file's nesting is measured
(limits.json_depth_exceeded, without parsing); when nothing is too deep, the C decoder
takes the items one after the other (raw_decode). Otherwise, and from an item the decoder
cannot read, a scan finds where each item ends (strings skipped, brackets counted), so
that item is measured before it is parsed (one nested too deeply is refused by its
number, never a RecursionError) and a bad item is reported while the others import.
Items are reported by the line they start on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from . import jsonl, limits, strict_json
from .base import ImportFormat, ImportRefused, LineError, ParseResult, all_at_once, chunked_records

NAME = "json-array"

# A string (skipped whole: its brackets and commas are text) or one structural character.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)


def sniff(text: str) -> bool:
    """An array, or one object spread over several lines (JSONL puts one on each line)."""
    start = text.lstrip()[:1]
    if start == "[":
        return True
    if start != "{":
        return False
    first_line = text.lstrip().split("\n", 1)[0]
    try:
        limits.check_json_shape(first_line)
        # peek: a whole object holding a value the parse refuses (a number too long) is
        # still a whole object, so the file is JSONL and only that line is refused.
        strict_json.peek(first_line)
    except (LineError, ValueError):
        return True  # the first line is not a whole object: a pretty-printed one
    return False


def parse(text: str, *, name: str = "") -> ParseResult:
    return all_at_once(parse_chunks(text, name=name))


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    return chunked_records(_items(text), _record, size)


def _record(item):
    """A record from an item: its JSON text (measured, then parsed) or, from the fast
    path, the object already decoded."""
    if isinstance(item, str):
        limits.check_json_shape(item)
        try:
            item = strict_json.loads(item)
        except json.JSONDecodeError as error:
            raise LineError(f"not valid JSON ({error.msg})") from None
    elif isinstance(item, LineError):
        raise item
    if not isinstance(item, dict):
        raise LineError("each item of the array must be a JSON object (one article)")
    return jsonl.record_from_object(item, format_name=NAME, keep_values=True)


def _items(text: str) -> Iterator[tuple[int, object]]:
    """(line it starts on, the item) for each item of the top-level array: its JSON text,
    or the decoded object when the fast path could decode it."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        yield text[: len(text) - len(stripped)].count("\n") + 1, stripped
        return
    if not stripped.startswith("["):
        raise ImportRefused("The JSON file must hold an array of articles: [{...}, {...}].")
    lines = _LineCounter(text)
    start = len(text) - len(stripped) + 1
    # Nothing in the file nests too deeply (the array is one level): the C decoder may
    # take the items one after the other. Otherwise find each item's end first.
    if not limits.json_depth_exceeded(text, limits.MAX_JSON_DEPTH + 1):
        start = yield from _decoded(text, start, lines)
        if start is None:
            return
    yield from _scanned(text, start, lines)


class _LineCounter:
    """Line numbers of increasing positions, counting each stretch of text once."""

    def __init__(self, text: str):
        self.text, self.line, self.counted_to = text, 1, 0

    def __call__(self, position: int) -> int:
        self.line += self.text.count("\n", self.counted_to, position)
        self.counted_to = position
        return self.line


_SPACE = re.compile(r"[ \t\n\r]*")
_UNCLOSED = "The JSON file ends before its array is closed (a missing “]”)."


def _decoded(text: str, position: int, line_of: _LineCounter):
    """Decode items in place with raw_decode. Returns None at the end of the array, or
    the position of an item it could not decode, for _scanned to go on from."""
    decoder = strict_json.DECODER
    position = _SPACE.match(text, position).end()
    if text.startswith("]", position):
        _check_end(text, position + 1, line_of)
        return None
    while True:
        try:
            item, end = decoder.raw_decode(text, position)
        except ValueError:  # JSONDecodeError, or a value strict_json refuses
            return position  # _scanned finds where this item ends and names the error
        if end - position > limits.MAX_LINE_CHARS:
            item = LineError(
                f"the item is {end - position:,} characters long (at most "
                f"{limits.MAX_LINE_CHARS:,})"
            )
        elif problem := strict_json.lone_surrogate_problem(item, text, position, end):
            item = LineError(problem)
        yield line_of(position), item
        position = _SPACE.match(text, end).end()
        if text.startswith(",", position):
            position = _SPACE.match(text, position + 1).end()
        elif text.startswith("]", position):
            _check_end(text, position + 1, line_of)
            return None
        elif position >= len(text):
            raise ImportRefused(_UNCLOSED)
        else:
            raise ImportRefused(
                f"The JSON array is broken at line {line_of(position)}: a “,” or “]” was "
                "expected after an article."
            )


def _scanned(text: str, item_start: int, line_of: _LineCounter) -> Iterator[tuple[int, str]]:
    """From `item_start` (just inside the array or after a comma), each item's text, its
    end found by counting brackets outside strings."""
    depth = 1
    for match in _TOKEN.finditer(text, item_start):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:  # the end of the array
                item = text[item_start : match.start()]
                if item.strip():
                    yield line_of(item_start + _leading(item)), item
                _check_end(text, match.end(), line_of)
                return
        elif depth == 1:  # a comma between items
            item = text[item_start : match.start()]
            yield line_of(item_start + _leading(item)), item
            item_start = match.end()
    raise ImportRefused(_UNCLOSED)


def _check_end(text: str, position: int, line_of: _LineCounter) -> None:
    if text[position:].strip():
        raise ImportRefused(
            "The JSON file has more after its array of articles "
            f"(line {line_of(position + _leading(text[position : position + 1000]))}); "
            "it must hold one array."
        )


def _leading(item: str) -> int:
    return len(item) - len(item.lstrip())


FORMAT = ImportFormat(
    name=NAME,
    label="JSON array (.json)",
    description=(
        "An array of articles, each with “title” and “body” (or “text”/“content”) and "
        "optionally author, date, address, publisher, language and spans; other fields "
        "are kept."
    ),
    extensions=(".json",),
    parse=parse,
    sniff=sniff,
    parse_chunks=parse_chunks,
)
