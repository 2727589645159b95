"""Plain text: a short first line is the title, the rest is the article, kept as written.

Near the top (the first lines after the title) or at the bottom, a "By NAME" line (with
or without a date: "By Jane Doe, 14 March 2024") gives the author, and a line that is
only a date gives the publication date. Those lines are taken out of the body (the text
is new here, so no span points into it yet) and listed in the import metadata under
"dropped_lines", as the scraped-page format does, so nothing disappears silently.

A first line that is only a `<meta charset=...>` declaration (how some tools mark the
encoding of a text file) told the decoder the encoding; it is not the title.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from ..offsets import canonical_text, is_blank
from .base import ArticleRecord, ImportFormat, ImportRefused, ParseResult
from .bylines import parse_byline, parse_date
from .decoding import is_charset_declaration

NAME = "plain-text"

# A first line longer than this is the article's opening paragraph, not its title.
MAX_TITLE_LINE = 200
# How many non-blank lines at each end of the body may be a byline or dateline.
_EDGE_LINES = 3


def parse(text: str, *, name: str = "") -> ParseResult:
    numbered = _trim(list(enumerate(canonical_text(text).split("\n"), start=1)))
    dropped: list[dict] = []
    if numbered and is_charset_declaration(numbered[0][1]):
        number, line = numbered[0]
        dropped.append({"line": number, "text": line, "reason": "character set declaration"})
        numbered = _trim(numbered[1:])
    if not numbered:
        raise ImportRefused("The file has no text (only white space).")
    first = " ".join(numbered[0][1].split())
    if len(first) < MAX_TITLE_LINE:
        # A one-line file is its own title and article.
        title, numbered = first, _trim(numbered[1:]) or numbered
    else:
        # The first line is a paragraph: the whole file is the article.
        title = title_from_name(name) or "Untitled"
    author, published_at, numbered = _take_byline(numbered, dropped)
    body = "\n".join(line for _, line in _trim(numbered))
    metadata: dict = {"format": NAME}
    if dropped:
        metadata["dropped_lines"] = sorted(dropped, key=lambda item: item["line"])
    record = ArticleRecord(
        title=title, body=body, author=author, published_at=published_at, metadata=metadata
    )
    return ParseResult([record])


def _trim(numbered: list[tuple[int, str]]) -> list[tuple[int, str]]:
    start, end = 0, len(numbered)
    while start < end and is_blank(numbered[start][1]):
        start += 1
    while end > start and is_blank(numbered[end - 1][1]):
        end -= 1
    return numbered[start:end]


def _take_byline(
    numbered: list[tuple[int, str]], dropped: list[dict]
) -> tuple[str, datetime | None, list[tuple[int, str]]]:
    """Find the byline and dateline among the first and last few lines; take them out."""
    content = [i for i, (_, line) in enumerate(numbered) if not is_blank(line)]
    edges = list(dict.fromkeys(content[:_EDGE_LINES] + content[-_EDGE_LINES:]))
    author, published_at, remove = "", None, set()
    for position in edges:
        number, line = numbered[position]
        byline = parse_byline(line) if not author else None
        if byline is not None:
            author, when = byline
            reason = "used as the author"
            if when is not None and published_at is None:
                published_at, reason = when, "used as the author and publication date"
        elif published_at is None and (when := parse_date(line)) is not None:
            published_at, reason = when, "used as the publication date"
        else:
            continue
        remove.add(position)
        dropped.append({"line": number, "text": line, "reason": reason})
    if len(remove) == len(content):
        # Nothing but a byline: that is the article, not its furniture.
        del dropped[len(dropped) - len(remove) :]
        return "", None, numbered
    return author, published_at, [item for i, item in enumerate(numbered) if i not in remove]


def trim_blank_lines(lines: list[str]) -> list[str]:
    """Drop blank lines (offsets.is_blank) at both ends; lines in between stay exactly as
    they are."""
    start, end = 0, len(lines)
    while start < end and is_blank(lines[start]):
        start += 1
    while end > start and is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def title_from_name(name: str) -> str:
    """'news/bridge_is-safe.txt' -> 'bridge is safe'."""
    stem = PurePath(name).stem if name else ""
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


FORMAT = ImportFormat(
    name=NAME,
    label="Plain text (.txt)",
    description=(
        "Any text: a short first line becomes the title (otherwise the file name does), a "
        "“By …” line and a date line near the top or bottom become the author and date, "
        "and the rest is the article, exactly as written."
    ),
    extensions=(".txt",),
    parse=parse,
)
