"""Reading the fields of a decoded record (a JSON object, a CSV row shaped like one),
shared by every format that builds ArticleRecords: short texts held to the text contract,
ISO 8601 times and dates, metadata values, a title from the body's first line, and the
URL schemes refused by name. Each raises LineError naming the field it refuses."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone

from ..offsets import canonical_text
from .base import LineError
from .bylines import parse_date
from .plaintext import MAX_TITLE_LINE
from .times import range_problem

# Schemes that run or embed instead of pointing somewhere; refused by name.
_ALLOWED_SCHEMES = ("http", "https")


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


def text_field(data: dict, key: str) -> str:
    """A short text field, held to the text contract like the body (no NUL, which
    PostgreSQL refuses, nor other control characters; NFC), without surrounding space."""
    # string_field inlined: this runs ten times a span (a million times for 100,000 spans).
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


def string_field(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LineError(f"“{key}” must be a string")
    return value


def datetime_field(data: dict, key: str) -> datetime | None:
    value = string_field(data, key).strip()
    if not value:
        return None
    if (parsed := _aware_iso(value)) is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            # Spreadsheets and other tools' dumps write dates for people ("14 March 2024").
            parsed = parse_date(value, keepable_only=False)
            if parsed is None:
                raise LineError(f"“{key}” is not an ISO 8601 date and time: {value!r}") from None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    if problem := range_problem(parsed):
        raise LineError(f"“{key}” is out of range: {value!r} {problem}")
    return parsed


@lru_cache(maxsize=1024)
def _aware_iso(value: str) -> datetime | None:
    """An ISO 8601 time with its offset, parsed once: a file repeats the same few (every
    span of an export made at one moment). Naive times are left to datetime_field, since the
    zone they are read in is a setting; datetimes are immutable, so sharing one is safe."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and parsed.utcoffset() is not None else None


def date_field(data: dict, key: str) -> date | None:
    value = string_field(data, key).strip()
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


def first_line(body: str) -> str:
    first = next((line for line in body.split("\n") if line.strip()), "")
    return " ".join(first.split())[:MAX_TITLE_LINE]
