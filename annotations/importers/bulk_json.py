"""A JSON file holding an array of articles (or one article object), as many tools dump.

Each article is an object read like a JSONL line (jsonl.record_from_object): "title" and
"body" ("text" or "content" also), optional "author", "published_at", "source_url",
"publisher", "language" and "spans"; other fields are kept in the import metadata.

The array is read one item at a time: a scan finds where each item ends (strings
skipped, brackets counted), so an item is measured before it is parsed (one nested too
deeply, or too long, is refused by its number without a RecursionError) and a bad item
is reported while the others still import. Items are numbered from 1 and reported by
the line they start on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from . import jsonl, limits
from .base import ImportFormat, ImportRefused, LineError, ParseResult

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
        json.loads(first_line)
    except (LineError, ValueError):
        return True  # the first line is not a whole object: a pretty-printed one
    return False


def parse(text: str, *, name: str = "") -> ParseResult:
    result = ParseResult(records=[])
    for chunk in parse_chunks(text, name=name):
        result.records.extend(chunk.records)
        result.refused.extend(chunk.refused)
    return result


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    chunk = ParseResult(records=[])
    for line, item in _items(text):
        try:
            record = _record(item)
        except LineError as error:
            chunk.refused.append((line, str(error)))
        else:
            record.line = line
            chunk.records.append(record)
        if len(chunk.records) + len(chunk.refused) >= size:
            yield chunk
            chunk = ParseResult(records=[])
    if chunk.records or chunk.refused:
        yield chunk


def _record(item: str):
    limits.check_json_shape(item)
    try:
        data = json.loads(item)
    except json.JSONDecodeError as error:
        raise LineError(f"not valid JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise LineError("each item of the array must be a JSON object (one article)")
    return jsonl.record_from_object(data, format_name=NAME, keep_values=True)


def _items(text: str) -> Iterator[tuple[int, str]]:
    """(line it starts on, its JSON text) for each item of the top-level array."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        yield text[: len(text) - len(stripped)].count("\n") + 1, stripped
        return
    if not stripped.startswith("["):
        raise ImportRefused("The JSON file must hold an array of articles: [{...}, {...}].")
    opening = len(text) - len(stripped)
    depth = 0
    item_start = opening + 1
    line, counted_to = 1, 0

    def line_of(position: int) -> int:
        nonlocal line, counted_to
        line += text.count("\n", counted_to, position)
        counted_to = position
        return line

    for match in _TOKEN.finditer(text, opening):
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
                if text[match.end() :].strip():
                    raise ImportRefused(
                        "The JSON file has more after its array of articles "
                        f"(line {line_of(match.end())}); it must hold one array."
                    )
                return
        elif depth == 1:  # a comma between items
            item = text[item_start : match.start()]
            yield line_of(item_start + _leading(item)), item
            item_start = match.end()
    raise ImportRefused("The JSON file ends before its array is closed (a missing “]”).")


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
