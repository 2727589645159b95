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
from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone

from ..exporters.base import CODE_POINTS  # the unit our exporter states, read back here
from ..offsets import SpanError, canonical_text, check_span
from . import fast_json, limits
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
from .bylines import parse_date
from .plaintext import MAX_TITLE_LINE

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
# Schemes that run or embed instead of pointing somewhere; refused by name.
_ALLOWED_SCHEMES = ("http", "https")


def parse(text: str, *, name: str = "") -> ParseResult:
    """Every record of the file at once (the importer reads a large file by parse_chunks)."""
    return all_at_once(parse_chunks(text, name=name))


def parse_chunks(text: str, *, name: str = "", size: int = 1000) -> Iterator[ParseResult]:
    """The records of `size` lines at a time (blank lines not counted), in file order.

    Only one chunk's records are alive at once, so the memory a file costs is its text
    plus one chunk, not its text plus every article parsed from it.
    """
    numbered = ((number, line) for number, line in enumerate(_lines(text), start=1) if line.strip())
    return chunked_records(numbered, parse_line, size)


def _lines(text: str):
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
        data = json.loads(line)
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
    raw_text = _string(data, body_key)
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
        if language := _field(data, "language"):
            metadata["language"] = language
        extra = {
            clean_value(key): clean_value(value)
            for key, value in data.items()
            if key != body_key and key not in _KNOWN_BULK_KEYS
        }
        if extra:
            metadata["extra_fields"] = extra
    source_url = _field(data, "source_url")
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
        title=" ".join(_field(data, "title").split()) or _first_line(body),
        body=body,
        author=_field(data, "author"),
        published_at=_datetime(data, "published_at"),
        source_url=source_url,
        publisher=_field(data, "publisher"),
        status=_field(data, "status"),
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
    label = _field(data, "label")
    if not label:
        raise LineError("has no “label”")
    sources = data.get("sources") or []
    if not isinstance(sources, list):
        raise LineError("“sources” must be a list")
    speaker = _field(data, "speaker")
    details = data.get("speaker_details")
    if details is not None:
        if not isinstance(details, dict):
            raise LineError("“speaker_details” must be a JSON object or null")
        if not speaker:
            raise LineError("has “speaker_details” but no “speaker”")
        details = SpeakerDetails(
            kind=_field(details, "kind"), role=_field(details, "role"), url=_field(details, "url")
        )
    return SpanRecord(
        start=start,
        end=end,
        label=label,
        speaker=speaker,
        note=_field(data, "note"),
        annotator=_field(data, "annotator"),
        created_at=_datetime(data, "created_at"),
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
            scale=_field(data, "scale"),
            slug=_field(data, "slug"),
            explanation=_field(data, "explanation"),
            by=_field(data, "by"),
            at=_datetime(data, "at"),
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
            kind = _field(link, "type")
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
    url = _field(data, "url")
    if not url:
        raise LineError(f"source {number} has no “url”")
    return SourceRecord(
        url=url,
        title=_field(data, "title"),
        publisher=_field(data, "publisher"),
        stance=_field(data, "stance") or "context",
        quoted_passage=_field(data, "quoted_passage"),
        accessed_on=_date(data, "accessed_on"),
    )


def url_scheme_problem(url: str) -> str | None:
    """Why this is not a web address we keep ("javascript:", "data:", ...), or None.

    checks.py validates URLs fully when a record is stored; this refuses the dangerous
    schemes while parsing, so the line is named with the field."""
    scheme, colon, _ = url.partition(":")
    scheme = "".join(scheme.split()).lower()  # "java\tscript:" is javascript: to a browser
    if colon and scheme.isascii() and scheme.isalnum() and scheme not in _ALLOWED_SCHEMES:
        return f"is a “{scheme}:” URL; only http:// and https:// addresses are accepted"
    return None


def clean_value(value):
    """A metadata value held to the text contract: every string in it (keys too) canonical."""
    if isinstance(value, str):
        return value if value.isascii() and value.isprintable() else canonical_text(value)
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {clean_value(str(key)): clean_value(item) for key, item in value.items()}
    return value


def _field(data: dict, key: str) -> str:
    """A short text field, held to the text contract like the body (no NUL, which
    PostgreSQL refuses, nor other control characters; NFC), without surrounding space."""
    # _string inlined: this runs ten times a span (a million times for 100,000 spans).
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LineError(f"“{key}” must be a string")
    if value.isascii() and value.isprintable():
        # Already canonical (no control characters, nothing to normalise). Most short
        # fields are; skipping the regexes and NFC for them saves a fifth of the parse.
        return value.strip()
    return canonical_text(value).strip()


def _string(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LineError(f"“{key}” must be a string")
    return value


def _datetime(data: dict, key: str) -> datetime | None:
    value = _string(data, key).strip()
    if not value:
        return None
    if (parsed := _aware_iso(value)) is not None:
        return parsed
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        # Spreadsheets and other tools' dumps write dates for people ("14 March 2024").
        parsed = parse_date(value)
        if parsed is None:
            raise LineError(f"“{key}” is not an ISO 8601 date and time: {value!r}") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


@lru_cache(maxsize=1024)
def _aware_iso(value: str) -> datetime | None:
    """An ISO 8601 time with its offset, parsed once: a file repeats the same few (every
    span of an export made at one moment). Naive times are left to _datetime, since the
    zone they are read in is a setting; datetimes are immutable, so sharing one is safe."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and parsed.utcoffset() is not None else None


def _date(data: dict, key: str) -> date | None:
    value = _string(data, key).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise LineError(f"“{key}” is not an ISO 8601 date: {value!r}") from None


def _first_line(body: str) -> str:
    first = next((line for line in body.split("\n") if line.strip()), "")
    return " ".join(first.split())[:MAX_TITLE_LINE]


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
