"""A scraped news page saved as text (the seeds/ files).

Shape, as the scraper writes it:

    <div>Title with 'straight' quotes</div>
    Title with ‘curly’ quotes
    (blank)
    paragraph, blank line, paragraph, ... (the <div> title line may repeat in between)
    Author Name
    Wed, 08/30/2023 – 22:40
    (blank)
    error: Content is protected !!

Paragraph text is kept exactly as written (curly quotes, no-break spaces, trailing
spaces); only the scraper's own lines are taken out, and each one is listed in the
import metadata so nothing disappears silently.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from django.utils import timezone

from ..offsets import canonical_text, is_blank
from .base import ArticleRecord, ImportFormat, ImportRefused, ParseResult
from .bylines import person_name
from .times import range_problem

NAME = "scraped-page"

_TITLE_MARKUP = re.compile(r"^\s*<div(?:\s[^>]*)?>(?P<title>.*?)</div>\s*$", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")

# Lines that page furniture leaves in a scrape, never article text when they are the
# whole line (e.g. the "WP Content Copy Protection" plugin's alert).
_BOILERPLATE = (re.compile(r"^\s*error:\s*content is protected\s*!*\s*$", re.IGNORECASE),)

# "Wed, 08/30/2023 – 22:40": weekday optional, US month/day order as the scraped sites
# write it, any dash or just spaces before the time.
_DATELINE = re.compile(
    r"^\s*(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:\s*[-–—]\s*|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$",
    re.IGNORECASE,
)
_ISO_DATELINE = re.compile(
    r"^\s*(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[T ](?P<hour>\d{2}):(?P<minute>\d{2})\s*$"
)

# A byline is a short run of capitalised words ("Tyler Durden", "By Jane van Dam").
_BYLINE = re.compile(r"^\s*(?:by\s+)?(?P<name>[^\W\d_][\w.'’-]*(?:\s+[\w.'’-]+){0,4})\s*$", re.I)
_MAX_BYLINE = 80
# How far from the end the byline/dateline may sit: they close the article.
_TAIL_LINES = 4

# Quotes, dashes and no-break spaces, folded to ASCII to compare the two title lines.
_QUOTE_FOLD = str.maketrans("‘’‚‛“”„‟–—\u00a0", "''''\"\"\"\"-- ")


def sniff(text: str) -> bool:
    """A scrape starts with the title wrapped in a <div> line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_TITLE_MARKUP.match(first))


def parse(text: str, *, name: str = "") -> ParseResult:
    lines = canonical_text(text).split("\n")
    numbered = [(number, line) for number, line in enumerate(lines, start=1)]
    dropped: list[dict] = []

    def drop(number: int, line: str, reason: str) -> None:
        dropped.append({"line": number, "text": line, "reason": reason})

    content = [(n, line) for n, line in numbered if not is_blank(line)]
    if not content or not (match := _TITLE_MARKUP.match(content[0][1])):
        raise ImportRefused(
            "This does not look like a scraped page: the first line is not <div>Title</div>."
        )
    markup_title = _inner_title(match)
    drop(*content[0], "title markup (straight-quoted copy)")
    title = markup_title
    skip = {content[0][0]}
    # The scraper writes the title again in its original typography; prefer that one.
    if len(content) > 1 and _fold(content[1][1]) == _fold(markup_title):
        title = _clean_title(content[1][1])
        drop(*content[1], "used as the title")
        skip.add(content[1][0])

    kept = []
    for number, line in numbered:
        if number in skip:
            continue
        repeat = _TITLE_MARKUP.match(line)
        if repeat and _fold(_inner_title(repeat)) == _fold(markup_title):
            drop(number, line, "repeated title markup")
        elif any(pattern.match(line) for pattern in _BOILERPLATE):
            drop(number, line, "page boilerplate")
        else:
            kept.append((number, line))

    author, published_at, kept = _byline(kept, drop)
    body = "\n\n".join(_paragraphs(kept))
    if is_blank(body):
        raise ImportRefused("The scraped page has a title but no article text.")
    dropped.sort(key=lambda item: item["line"])
    record = ArticleRecord(
        title=title,
        body=body,
        author=author,
        published_at=published_at,
        metadata={"format": NAME, "dropped_lines": dropped},
    )
    return ParseResult([record])


def _byline(kept, drop):
    """Take the dateline and the author line just above it off the end of the article."""
    content = [i for i, (_, line) in enumerate(kept) if not is_blank(line)]
    for position in reversed(content[-_TAIL_LINES:]):
        number, line = kept[position]
        published_at = _parse_dateline(line)
        if published_at is None:
            continue
        drop(number, line, "used as the publication date")
        remove = {position}
        author = ""
        above = [i for i in content if i < position]
        if above:
            author_number, author_line = kept[above[-1]]
            name = _byline_name(author_line)
            if name:
                author = name
                drop(author_number, author_line, "used as the author")
                remove.add(above[-1])
        return author, published_at, [item for i, item in enumerate(kept) if i not in remove]
    return "", None, kept


def _parse_dateline(line: str) -> datetime | None:
    match = _DATELINE.match(line) or _ISO_DATELINE.match(line)
    if not match:
        return None
    parts = {key: int(value) for key, value in match.groupdict().items()}
    try:
        naive = datetime(**parts)
    except ValueError:
        return None
    aware = timezone.make_aware(naive, timezone.get_default_timezone())
    return None if range_problem(aware) else aware  # a date that cannot be kept is none


def _byline_name(line: str) -> str:
    match = _BYLINE.match(line)
    if not match or len(line) > _MAX_BYLINE:
        return ""
    return person_name(match.group("name"))


def _paragraphs(kept) -> list[str]:
    """Runs of non-blank lines, each kept exactly; blank lines only separate them."""
    paragraphs, current = [], []
    for _, line in kept:
        if not is_blank(line):
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _inner_title(match: re.Match) -> str:
    return _clean_title(html.unescape(_TAG.sub("", match.group("title"))))


def _clean_title(title: str) -> str:
    return " ".join(title.split())


def _fold(text: str) -> str:
    """Compare titles whatever their quotes, dashes and spacing."""
    return " ".join(text.translate(_QUOTE_FOLD).split()).casefold()


FORMAT = ImportFormat(
    name=NAME,
    label="Scraped page (.txt)",
    description=(
        "A news page saved by the scraper: the first line is <div>Title</div>. The title, "
        "author and date are read from it; the scraper's own lines are left out and listed."
    ),
    extensions=(".txt",),
    parse=parse,
    sniff=sniff,
)
