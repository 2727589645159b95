"""Plain text: a short first line is the title, the rest is the article, kept as written."""

from __future__ import annotations

from pathlib import PurePath

from ..offsets import canonical_text
from .base import ArticleRecord, ImportFormat, ImportRefused, ParseResult

NAME = "plain-text"

# A first line longer than this is the article's opening paragraph, not its title.
MAX_TITLE_LINE = 200


def parse(text: str, *, name: str = "") -> ParseResult:
    lines = trim_blank_lines(canonical_text(text).split("\n"))
    if not lines:
        raise ImportRefused("The file has no text (only white space).")
    first = " ".join(lines[0].split())
    rest = trim_blank_lines(lines[1:])
    if len(first) < MAX_TITLE_LINE:
        # A one-line file is its own title and article.
        title, body = first, "\n".join(rest or lines)
    else:
        # The first line is a paragraph: the whole file is the article.
        title, body = title_from_name(name) or "Untitled", "\n".join(lines)
    return ParseResult([ArticleRecord(title=title, body=body, metadata={"format": NAME})])


def trim_blank_lines(lines: list[str]) -> list[str]:
    """Drop white-space-only lines at both ends; lines in between stay exactly as they are."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
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
        "Any UTF-8 text: a short first line becomes the title (otherwise the file name "
        "does) and the rest is the article, exactly as written."
    ),
    extensions=(".txt",),
    parse=parse,
)
