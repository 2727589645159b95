"""Native JSONL: one article a line, with its spans and everything on them.

This is what the native exporter writes (annotations/exporters/formats/jsonl.py describes
each field), so an export imports back as it was. A line:

    {"id": 7, "title": "...", "text": "...", "author": "...", "published_at": "ISO 8601",
     "source_url": "...", "publisher": "...", "status": "in_review",
     "offset_unit": "python_code_point",
     "spans": [{"id": 3, "start": 0, "end": 5, "label": "claim", "text": "Kirby",
                "speaker": "John Kirby",
                "speaker_details": {"kind": "person", "role": "spokesman", "url": ""},
                "note": "", "annotator": "rita", "created_at": "ISO 8601",
                "verdict": {"scale": "Default", "slug": "false", "explanation": "...",
                            "by": "edith", "at": "ISO 8601"},
                "sources": [{"url": "https://...", "title": "", "publisher": "",
                             "stance": "supports", "quoted_passage": "",
                             "accessed_on": "2024-05-01"}],
                "relations": [{"to": 4, "type": "denies"}]}]}

Only "text" is required, and "start", "end" and "label" for each span: files written
before speakers had details, verdicts or links still import. Offsets are Python code
points into "text", checked against the span's "text". A relation's "to" is the "id" of
another span of the same line (a link never leaves its article). A verdict without a
"scale" is on the default scale; its "name" and "value" are for readers and not read.

Bulk files from elsewhere use the same reader: a line may give its article as "body" or
"content" instead of "text", with "language" beside the fields above; the values of
fields this format does not know are then kept in the import metadata ("extra_fields"),
while a native line (with "text") lists their names only ("ignored_fields"), as before.
The JSON-array and CSV formats (bulk_json.py, tabular.py) build their records with
record_from_object() too.

A line that does not fit is refused with its number and the reason (here, for its shape;
service.py and checks.py for what needs the database: labels, verdicts, URLs); the other
lines still import. A line is measured before it is parsed (limits.check_json_shape), so
one nested 100,000 deep is refused by its number, never a RecursionError.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from ..exporters.base import CODE_POINTS  # the unit our exporter states, read back here
from ..offsets import SpanError, canonical_text, check_span
from . import fast_json, limits, strict_json
from .base import (
    ArticleRecord,
    ImportFormat,
    LineError,
    ParseResult,
    RelationRecord,
    SourceRecord,
    SpanRecord,
    SpeakerDetails,
    VerdictRecord,
    all_at_once,
    chunked_records,
)
from .fields import (
    clean_value,
    date_field,
    datetime_field,
    first_line,
    string_field,
    text_field,
    url_scheme_problem,
)

NAME = "native-jsonl"

_ARTICLE_KEYS = {
    "id",
    "title",
    "text",
    "author",
    "published_at",
    "source_url",
    "publisher",
    "status",
    "offset_unit",
    "spans",
}
# Where a bulk file may keep the article's text, in the order they are looked for.
BODY_KEYS = ("text", "body", "content")
# Fields a bulk line (or CSV row) may have that are read, not kept as extra metadata; of
# "text", "body" and "content", the one that is not the body is kept.
_KNOWN_BULK_KEYS = (_ARTICLE_KEYS - {"text"}) | {"language"}


def parse(text: str, *, name: str = "") -> ParseResult:
    """Every record of the file at once (the importer reads a large file by parse_chunks)."""
    return all_at_once(parse_chunks(text, name=name))


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    """The records of `size` lines at a time (blank lines not counted), in file order.

    Only one chunk's records are alive at once, so the memory a file costs is its text
    plus one chunk, not its text plus every article parsed from it.
    """
    numbered = (
        (number, line) for number, line in enumerate(text_lines(text), start=1) if line.strip()
    )
    return chunked_records(numbered, parse_line, size)


def text_lines(text: str):
    """The lines of `text`, one at a time (a list of them all would be a second copy of a
    large file). Split on "\n" only: JSON strings may hold U+2028 and other characters
    that str.splitlines() also breaks on; json.loads ignores a trailing "\r"."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        yield text[start:end]
        start = end + 1


def parse_line(line: str) -> ArticleRecord:
    return _read_fast(line) or _read_exactly(line)


def parse_utf8_line(raw: bytes, decode: Callable[[bytes], str]) -> ArticleRecord:
    """A line of a UTF-8 file as read: orjson reads the bytes themselves; `decode` (which
    refuses what is not UTF-8, by its byte) only where it cannot answer."""
    return _read_fast(raw) or _read_exactly(decode(raw))


def _read_fast(line: str | bytes) -> ArticleRecord | None:
    """The record orjson's reading gives, where it is the one json.loads would give; None
    where the line must be read by _read_exactly instead (fast_json.py). A line refused
    here is read again there, so that its refusal is worded as it always was."""
    data = fast_json.loads(line)
    if not isinstance(data, dict):
        return None
    try:
        record = record_from_object(data)
    except LineError:
        return None
    # What a record keeps of the line's numbers is in its metadata (the id, the extra
    # fields); offsets and span ids that are not exact integers are refused above.
    return None if fast_json.inexact(record.metadata) else record


def _read_exactly(line: str) -> ArticleRecord:
    limits.check_json_shape(line)
    try:
        data = strict_json.loads(line)
    except json.JSONDecodeError as error:
        raise LineError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise LineError("each line must be a JSON object (one article)")
    return record_from_object(data)


def record_from_object(
    data: dict, *, format_name: str = NAME, keep_values: bool | None = None
) -> ArticleRecord:
    """One article from a decoded JSON object (or a CSV row shaped like one).

    `keep_values`: keep the values of unknown fields in the metadata ("extra_fields");
    None: only for bulk lines (body/content), a native line lists their names as before.
    """
    body_key = next((key for key in BODY_KEYS if key in data), None)
    if body_key is None:
        raise LineError("the article has no “text” (nor “body” or “content”)")
    raw_text = string_field(data, body_key)
    if not raw_text.strip():
        raise LineError(f"the article has no “{body_key}”")
    body = canonical_text(raw_text)
    metadata: dict = {"format": format_name}
    if data.get("id") is not None:
        metadata["original_id"] = clean_value(data["id"])
    if keep_values is None:
        keep_values = body_key != "text"
    if not keep_values:
        ignored = sorted(set(data) - _ARTICLE_KEYS)
        if ignored:
            metadata["ignored_fields"] = ignored
    else:
        if language := text_field(data, "language"):
            metadata["language"] = language
        extra = {
            clean_value(key): clean_value(value)
            for key, value in data.items()
            if key != body_key and key not in _KNOWN_BULK_KEYS
        }
        if extra:
            metadata["extra_fields"] = extra
    source_url = text_field(data, "source_url")
    if source_url and (problem := url_scheme_problem(source_url)):
        raise LineError(f"“source_url” {problem}")

    spans = data.get("spans") or []
    if not isinstance(spans, list):
        raise LineError("“spans” must be a list")
    unit = data.get("offset_unit", CODE_POINTS)
    if spans and unit != CODE_POINTS:
        raise LineError(f"offsets are counted in “{unit}”; this format counts “{CODE_POINTS}”")
    records = []
    for index, span in enumerate(spans, start=1):
        try:
            records.append(_span(span, body))
        except LineError as error:
            hint = ""
            if body != raw_text:
                hint = (
                    " (the text was not in canonical form: NFC, \\n newlines, no control "
                    "characters; normalising it moved the offsets)"
                )
            raise LineError(f"span {index}: {error}{hint}") from None
    if any("relations" in span for span in spans):
        _link(spans, records)

    return ArticleRecord(
        title=" ".join(text_field(data, "title").split()) or first_line(body),
        body=body,
        author=text_field(data, "author"),
        published_at=datetime_field(data, "published_at"),
        source_url=source_url,
        publisher=text_field(data, "publisher"),
        status=text_field(data, "status"),
        metadata=metadata,
        spans=records,
    )


def _span(data, body: str) -> SpanRecord:
    if not isinstance(data, dict):
        raise LineError("must be a JSON object")
    start, end = data.get("start"), data.get("end")
    quote = data.get("text")
    if quote is not None and not isinstance(quote, str):
        raise LineError("“text” must be a string")
    try:
        check_span(body, start, end, quote)
    except SpanError as error:
        raise LineError(f"[{start}, {end}) {error}") from None
    label = text_field(data, "label")
    if not label:
        raise LineError("has no “label”")
    sources = data.get("sources") or []
    if not isinstance(sources, list):
        raise LineError("“sources” must be a list")
    speaker = text_field(data, "speaker")
    details = data.get("speaker_details")
    if details is not None:
        if not isinstance(details, dict):
            raise LineError("“speaker_details” must be a JSON object or null")
        if not speaker:
            raise LineError("has “speaker_details” but no “speaker”")
        details = SpeakerDetails(
            kind=text_field(details, "kind"),
            role=text_field(details, "role"),
            url=text_field(details, "url"),
        )
    return SpanRecord(
        start=start,
        end=end,
        label=label,
        speaker=speaker,
        note=text_field(data, "note"),
        annotator=text_field(data, "annotator"),
        created_at=datetime_field(data, "created_at"),
        sources=[_source(source, n) for n, source in enumerate(sources, start=1)],
        speaker_details=details,
        verdict=_verdict(data.get("verdict")),
    )


def _verdict(data) -> VerdictRecord | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise LineError("“verdict” must be a JSON object or null")
    try:
        verdict = VerdictRecord(
            scale=text_field(data, "scale"),
            slug=text_field(data, "slug"),
            explanation=text_field(data, "explanation"),
            by=text_field(data, "by"),
            at=datetime_field(data, "at"),
        )
    except LineError as error:
        raise LineError(f"verdict: {error}") from None
    if verdict.scale and not verdict.slug:
        raise LineError(f"verdict: names the scale “{verdict.scale}” but no “slug”")
    return verdict


def _link(spans: list[dict], records: list[SpanRecord]) -> None:
    """Resolve each relation's "to" (a span id of this line) to that span's position."""
    positions: dict = {}
    for position, span in enumerate(spans):
        key = _span_id(span.get("id"))
        if key is not None:
            positions.setdefault(key, []).append(position)
    for index, (span, record) in enumerate(zip(spans, records, strict=True), start=1):
        links = span.get("relations") or []
        if not isinstance(links, list):
            raise LineError(f"span {index}: “relations” must be a list")
        seen = set()
        for number, link in enumerate(links, start=1):
            where = f"span {index}, relation {number}"
            if not isinstance(link, dict):
                raise LineError(f"{where}: must be a JSON object")
            to = link.get("to")
            key = _span_id(to)
            if key is None:
                raise LineError(f"{where}: “to” must be the “id” of another span of this article")
            found = positions.get(key, [])
            if not found:
                raise LineError(
                    f"{where}: “to” is {to!r}, and no span of this article has that “id”"
                    " (a link joins two spans of one article)"
                )
            if len(found) > 1:
                raise LineError(f"{where}: “to” is {to!r}, and several spans have that “id”")
            if found[0] == index - 1:
                raise LineError(f"{where}: a span cannot be linked to itself")
            if found[0] in seen:
                raise LineError(f"{where}: links to the span {to!r} a second time")
            seen.add(found[0])
            kind = text_field(link, "type")
            if not kind:
                raise LineError(f"{where}: has no “type”")
            record.relations.append(RelationRecord(to=found[0], type=kind, to_id=to))


def _span_id(value):
    """A span id as a key (ints and strings, as a file may give them), or None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return value


def _source(data, number: int) -> SourceRecord:
    if not isinstance(data, dict):
        raise LineError(f"source {number} must be a JSON object")
    url = text_field(data, "url")
    if not url:
        raise LineError(f"source {number} has no “url”")
    return SourceRecord(
        url=url,
        title=text_field(data, "title"),
        publisher=text_field(data, "publisher"),
        stance=text_field(data, "stance") or "context",
        quoted_passage=text_field(data, "quoted_passage"),
        accessed_on=date_field(data, "accessed_on"),
    )


FORMAT = ImportFormat(
    name=NAME,
    label="Factcheck JSONL (.jsonl)",
    description=(
        "One article a line with its spans and sources, as the native export writes it; "
        "a line that does not fit is refused with its number, the others still import."
    ),
    # A .json whose first line is a whole object is JSONL too (bulk_json.sniff says no).
    extensions=(".jsonl", ".ndjson", ".json"),
    parse=parse,
    parse_chunks=parse_chunks,
)
