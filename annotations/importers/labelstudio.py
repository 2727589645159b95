"""Label Studio tasks (JSON): an array of tasks, each a text with labelled regions.

What the Label Studio export writes (exporters/formats/labelstudio.py) and what Label
Studio's own "JSON" export holds: [{"data": {"text": ..., "title": ...},
"annotations": [{"result": [{"type": "labels", "value": {"start": 0, "end": 5,
"text": "Kirby", "labels": ["claim"]}, "meta": {"text": ["a note"]}}, ...],
"created_username": "rita"}]}]. One task is one article; each region of type "labels"
is a span per label it names (a slug), its "text" checked against the article at its
offsets, its meta text the span's note. Offsets are Unicode code points (Label Studio's
Text tag stores them so). The annotation's "created_username" (or a "completed_by" that
is a name or carries an "email"/"username") is the annotator: with no account here the
span goes to the person importing, as accounts.py does for every format. Other result
types (choices, relations, ...) and "predictions" are not spans and are not read; how
many regions were left out is kept in the import metadata.

The tasks are read one at a time (as bulk_json reads its items). A task that does not fit
(its JSON broken, a region's text not at its offsets, an unknown label) is refused by the
line it starts on, naming the task and region; the other tasks still import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ..exporters.base import CODE_POINTS
from ..offsets import SpanError, canonical_text, check_span, is_blank
from . import bulk_json, fields, limits, strict_json
from .base import (
    ArticleRecord,
    ImportFormat,
    LineError,
    ParseResult,
    SpanRecord,
    all_at_once,
    chunked_records,
)

NAME = "labelstudio"
_HEAD = 4096
_OUR_TASK = re.compile(r'\{\s*"data"\s*:\s*\{\s*"text"\s*:')


def sniff(text: str) -> bool:
    """An array whose first task has a "data" object with a "text" and an "annotations"
    (or "predictions") list; only that first task is decoded."""
    stripped = text.lstrip()
    if stripped[:1] != "[":
        return False
    rest = stripped[1:].lstrip()
    try:
        first, _ = json.JSONDecoder().raw_decode(rest)
    except (ValueError, RecursionError):
        # A broken first task still looks like one near its start: ours open with the
        # data's text, Label Studio's own list "annotations" and "data" first; parse()
        # then names the line where the JSON breaks.
        head = rest[:_HEAD]
        return bool(_OUR_TASK.match(head)) or ('"data"' in head and '"annotations"' in head)
    if not isinstance(first, dict) or not isinstance(first.get("data"), dict):
        return False
    has_results = isinstance(first.get("annotations"), list) or isinstance(
        first.get("predictions"), list
    )
    return isinstance(first["data"].get("text"), str) and has_results


def parse(text: str, *, name: str = "") -> ParseResult:
    return all_at_once(parse_chunks(text, name=name))


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    """`size` tasks at a time, read one after the other as the JSON-array format reads its
    items (bulk_json: each measured before it is decoded, a broken one refused by the line
    it starts on while the others import)."""
    numbered = (
        (line, (number, item)) for number, (line, item) in enumerate(bulk_json._items(text), 1)
    )
    return chunked_records(numbered, _task_record, size)


def _task_record(numbered_item) -> ArticleRecord:
    """One task's record; a refusal names the task by its place in the array."""
    number, item = numbered_item
    try:
        return record_from_task(_decoded(item))
    except LineError as error:
        raise LineError(f"task {number}: {error}") from None


def _decoded(item):
    """A task from bulk_json._items: decoded already, its JSON text, or why not."""
    if isinstance(item, LineError):
        raise item
    if isinstance(item, str):
        limits.check_json_shape(item)
        try:
            return strict_json.loads(item)
        except json.JSONDecodeError as error:
            raise LineError(
                f"not valid JSON ({error.msg} at line {error.lineno} of the task, "
                f"column {error.colno})"
            ) from None
    return item


def record_from_task(task) -> ArticleRecord:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise LineError("a task must be an object with a “data” object")
    data = task["data"]
    raw = data.get("text")
    if not isinstance(raw, str) or is_blank(raw):
        raise LineError("its “data” has no “text”")
    body = canonical_text(raw)
    unit = data.get("offset_unit", CODE_POINTS)
    if unit != CODE_POINTS:
        raise LineError(f"offsets are counted in “{unit}”; this format reads “{CODE_POINTS}”")
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise LineError("“annotations” must be a list")
    spans: list[SpanRecord] = []
    left_out = 0
    for a_number, annotation in enumerate(annotations, start=1):
        if not isinstance(annotation, dict):
            raise LineError(f"annotation {a_number} must be an object")
        annotator = _annotator(annotation)
        results = annotation.get("result") or []
        if not isinstance(results, list):
            raise LineError(f"annotation {a_number}: “result” must be a list")
        for r_number, region in enumerate(results, start=1):
            if not isinstance(region, dict) or region.get("type") != "labels":
                left_out += 1
                continue
            where = f"annotation {a_number}, region {r_number}"
            if region.get("id") is not None:
                where += f" ({region['id']})"
            try:
                spans.extend(_spans(region, body, annotator))
            except LineError as error:
                raise LineError(f"{where}: {error}") from None
    metadata: dict = {"format": NAME}
    if data.get("article_id") is not None:
        metadata["original_id"] = fields.clean_value(data["article_id"])
    elif task.get("id") is not None:
        metadata["original_id"] = fields.clean_value(task["id"])
    if left_out:
        metadata["regions_not_read"] = left_out
    return ArticleRecord(
        title=" ".join(fields.text_field(data, "title").split()) or fields.first_line(body),
        body=body,
        metadata=metadata,
        spans=spans,
    )


def _annotator(annotation: dict) -> str:
    name = annotation.get("created_username")
    if not isinstance(name, str):
        by = annotation.get("completed_by")
        if isinstance(by, dict):
            by = by.get("username") or by.get("email")
        name = by if isinstance(by, str) else ""
    return canonical_text(name).strip()


def _spans(region: dict, body: str, annotator: str) -> list[SpanRecord]:
    value = region.get("value")
    if not isinstance(value, dict):
        raise LineError("has no “value”")
    start, end, quote = value.get("start"), value.get("end"), value.get("text")
    if quote is not None and not isinstance(quote, str):
        raise LineError("“text” must be a string")
    try:
        check_span(body, start, end, None if quote is None else canonical_text(quote))
    except SpanError as error:
        raise LineError(f"[{start}, {end}) {error}") from None
    labels = value.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise LineError("“labels” must be a list of label names")
    note = ""
    meta = region.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("text"), list):
        note = "\n".join(t for t in meta["text"] if isinstance(t, str))
    note = canonical_text(note).strip() if note else ""
    return [
        SpanRecord(start, end, canonical_text(label).strip(), annotator=annotator, note=note)
        for label in labels
    ]


FORMAT = ImportFormat(
    name=NAME,
    label="Label Studio JSON (.json)",
    description=(
        "Label Studio tasks: each text with its reviewers' labelled regions (code-point "
        "offsets); a task that does not fit is refused by its number."
    ),
    extensions=(".json",),
    parse=parse,
    sniff=sniff,
    parse_chunks=parse_chunks,
)
