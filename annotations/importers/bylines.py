"""Bylines and datelines in plain text: "By Jane Doe", "14 March 2024", both on one line.

Pure functions on one line of text each; which lines to look at is the caller's choice.
Dates are English month names or ISO 8601, written the common ways ("14 March 2024",
"March 14, 2024", "Thu 14 Mar. 2024", "2024-03-14", optionally with a time "10:30");
numeric day/month orders ("03/04/2024") are ambiguous and left alone here.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone

from .times import range_problem

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = r"(?:,?\s*(?:at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?"
_LEAD = r"(?:(?:published|posted|updated|last\s+updated|date)\s*:?\s*(?:on\s+)?)?"

_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_FORMS = (
    # 14 March 2024
    re.compile(rf"{_LEAD}{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}{_TIME}", re.I),
    # March 14, 2024
    re.compile(rf"{_LEAD}{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}", re.I),
    # 2024-03-14, 2024-03-14T10:30
    re.compile(
        rf"{_LEAD}(?P<year>\d{{4}})-(?P<month>\d{{2}})-(?P<day>\d{{2}})"
        r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::\d{2})?)?(?P<ampm>)",
        re.I,
    ),
)

_NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "da",
        "di",
        "du",
        "dos",
        "das",
        "la",
        "le",
        "bin",
        "ibn",
        "al",
        "y",
    ]
)
_NAME = re.compile(r"^[^\W\d_][\w.'’-]*(?:\s+[\w.'’-]+){0,4}$")
_BY = re.compile(r"^\s*by\s+(?P<rest>.+?)\s*$", re.IGNORECASE)
# Between a byline's name and its date: a comma, a bar, a dash or a middle dot.
_NAME_DATE_SEPARATOR = re.compile(r"\s*(?:[,|·•]|\s[-–—])\s*")
MAX_BYLINE_CHARS = 120


def parse_date(text: str, *, keepable_only: bool = True) -> datetime | None:
    """The whole of `text` as a date (and time), aware in the default time zone, or None.

    A date that cannot be kept (times.range_problem: "31 December 9999" is in the year
    10000 in UTC) is None too, unless `keepable_only` is off: a field that names its date
    outright is refused as out of range rather than as no date at all."""
    text = text.strip().rstrip(".")
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            aware = _datetime(match)
            if aware is not None and keepable_only and range_problem(aware):
                return None
            return aware
    return None


def _datetime(match: re.Match) -> datetime | None:
    parts = match.groupdict()
    month = parts["month"]
    month = _MONTHS[month.lower()] if not month.isdigit() else int(month)
    hour = int(parts["hour"] or 0)
    minute = int(parts["minute"] or 0)
    ampm = (parts.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        naive = datetime(int(parts["year"]), month, int(parts["day"]), hour, minute)
    except ValueError:  # 31 February, 25:00
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


def person_name(text: str) -> str:
    """`text` when it reads as a person's name ("Jane van Dam", "Jim Smith Jr."), else ''."""
    name = " ".join(text.split())
    if not name or len(name) > 80 or not _NAME.match(name):
        return ""
    words = name.split()
    # Every word capitalised but particles ("van", "de"), and no sentence ending after a
    # real word ("Kirby said." is not a name; "Jim Smith Jr." is).
    if not words[0][0].isupper():
        return ""
    if any(not w[0].isupper() and w.casefold() not in _NAME_PARTICLES for w in words):
        return ""
    if name.endswith(".") and len(words[-1]) > 3:
        return ""
    return name


def parse_byline(line: str) -> tuple[str, datetime | None] | None:
    """("Jane Doe", date or None) for "By Jane Doe" or "By Jane Doe, 14 March 2024";
    None when the line is not a byline. Several authors ("By A and B") are kept as
    written."""
    if len(line) > MAX_BYLINE_CHARS:
        return None
    match = _BY.match(line)
    if not match:
        return None
    rest = match.group("rest")
    parts = _NAME_DATE_SEPARATOR.split(rest, maxsplit=1)
    if len(parts) == 2 and (when := parse_date(parts[1])) is not None:
        names, published = parts[0], when
    else:
        names, published = rest, None
    authors = re.split(r"\s+and\s+|\s*&\s*", names)
    if not all(person_name(author) for author in authors):
        return None
    return " ".join(names.split()), published
