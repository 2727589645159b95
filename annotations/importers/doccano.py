"""doccano sequence-labelling JSONL: one text a line with its `[start, end, label]` triples.

What the doccano export writes (exporters/formats/doccano.py) and what doccano itself
exports: {"text": ..., "label": [[start, end, "claim"], ...]} (newer doccano versions:
"entities": [{"start_offset": ..., "end_offset": ..., "label": ...}]). Offsets are UTF-16
code units, as doccano's editor counts them, unless the line says "offset_unit":
"python_code_point"; they are turned into code points exactly, and an offset that falls
inside a surrogate pair (half an emoji) or past the text refuses the line by number.

doccano carries no annotator, note, speaker or source: every span is attributed to the
person importing (accounts.py's rule for annotators without an account). "title" and the
exporter's "article_id" are read; a line's other keys are kept as import metadata.
A line that does not fit is refused with its number; the other lines still import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..exporters.base import CODE_POINTS, UTF16_CODE_UNITS
from ..offsets import SpanError, canonical_text, check_span, is_blank, utf16_to_codepoint
from . import fields, jsonl, limits, strict_json
from .base import (
    ArticleRecord,
    ImportFormat,
    LineError,
    ParseResult,
    SpanRecord,
    all_at_once,
    chunked_records,
)

NAME = "doccano"
_READ_KEYS = {"text", "label", "entities", "title", "article_id", "offset_unit"}
_UNITS = (UTF16_CODE_UNITS, CODE_POINTS)


def sniff(text: str) -> bool:
    """The first line is an object with a "text" and doccano's "label" triples (or
    "entities"), and no "spans" (a native line) nor "body" (a bulk line)."""
    first = next((line for line in jsonl.text_lines(text) if line.strip()), "")
    try:
        limits.check_json_shape(first)
        data = strict_json.peek(first)  # its shape: a value the parse refuses is no matter
    except (LineError, ValueError):
        return False
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return False
    if "spans" in data or "body" in data:
        return False
    if isinstance(data.get("entities"), list):
        return True
    labels = data.get("label")
    return isinstance(labels, list) and all(
        isinstance(item, list) and len(item) == 3 for item in labels
    )


def parse(text: str, *, name: str = "") -> ParseResult:
    return all_at_once(parse_chunks(text, name=name))


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    numbered = (
        (number, line)
        for number, line in enumerate(jsonl.text_lines(text), start=1)
        if line.strip()
    )
    return chunked_records(numbered, parse_line, size)


def parse_line(line: str) -> ArticleRecord:
    limits.check_json_shape(line)
    try:
        data = strict_json.loads(line)
    except json.JSONDecodeError as error:
        raise LineError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise LineError("each line must be a JSON object (one text)")
    return record_from_line(data)


def record_from_line(data: dict) -> ArticleRecord:
    raw = data.get("text")
    if not isinstance(raw, str) or is_blank(raw):
        raise LineError("the line has no “text”")
    body = canonical_text(raw)
    unit = data.get("offset_unit", UTF16_CODE_UNITS)
    if unit not in _UNITS:
        raise LineError(f"offsets are counted in “{unit}”; this format reads {' or '.join(_UNITS)}")
    spans = []
    for index, (start, end, label) in enumerate(_triples(data), start=1):
        try:
            spans.append(_span(body, start, end, label, unit))
        except LineError as error:
            hint = ""
            if body != raw:
                hint = (
                    " (the text was not in canonical form: NFC, \\n newlines, no control "
                    "characters; normalising it moved the offsets)"
                )
            raise LineError(f"label {index} [{start}, {end}, {label!r}]: {error}{hint}") from None
    metadata: dict = {"format": NAME}
    if data.get("article_id") is not None:
        metadata["original_id"] = fields.clean_value(data["article_id"])
    extra = {key: value for key, value in data.items() if key not in _READ_KEYS}
    if extra:
        metadata["extra_fields"] = fields.clean_value(extra)
    return ArticleRecord(
        title=" ".join(fields.text_field(data, "title").split()) or fields.first_line(body),
        body=body,
        metadata=metadata,
        spans=spans,
    )


def _triples(data: dict) -> list[tuple]:
    """(start, end, label) of each span, from "label" triples or "entities" objects."""
    if "entities" in data:
        entities = data["entities"]
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise LineError("“entities” must be a list of objects")
        return [(e.get("start_offset"), e.get("end_offset"), e.get("label")) for e in entities]
    labels = data.get("label") or []
    if not isinstance(labels, list) or not all(
        isinstance(item, list) and len(item) == 3 for item in labels
    ):
        raise LineError("“label” must be a list of [start, end, label] triples")
    return [tuple(item) for item in labels]


def _span(body: str, start, end, label, unit: str) -> SpanRecord:
    if not isinstance(label, str) or not label.strip():
        raise LineError("has no label name")
    for offset in (start, end):
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise LineError("offsets must be whole numbers")
    try:
        if unit == UTF16_CODE_UNITS:
            start, end = utf16_to_codepoint(body, start), utf16_to_codepoint(body, end)
        check_span(body, start, end)
    except SpanError as error:
        raise LineError(str(error)) from None
    return SpanRecord(start=start, end=end, label=canonical_text(label).strip())


FORMAT = ImportFormat(
    name=NAME,
    label="doccano JSONL (.jsonl)",
    description=(
        "doccano sequence labelling: a text a line with [start, end, label] triples in "
        "UTF-16 code units; spans are attributed to you."
    ),
    extensions=(".jsonl", ".json"),
    parse=parse,
    sniff=sniff,
    parse_chunks=parse_chunks,
)
