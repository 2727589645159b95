"""How much an import may hold, one set of limits for the import page and the command.

The sizes are settings (factcheck/settings.py, "Import limits"); the shape bounds (JSON
depth, line length, runs without a space) are constants, since no real article comes near
them and a file that does is not an article. Everything here is a pure check that names
what is wrong in words a person can act on; the callers decide what to do with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from .base import ImportRefused, LineError

# JSON nesting: our own export goes 5 deep (article, spans, span, sources, source); the
# stdlib parser recurses per level, so 100,000 levels would be a RecursionError.
MAX_JSON_DEPTH = 64
# One JSONL line or CSV row, in characters: a long article with a thousand spans is well
# under this; more is a dump that was not split into lines.
MAX_LINE_CHARS = 5_000_000
# A run of characters without white space: the longest real "words" are URLs (tracking
# links reach a few thousand characters); a million letters without a space is not text
# a reviewer can read. Chinese, Japanese, Thai, Lao, Khmer and Myanmar text is written
# without spaces and breaks between any two characters, so their letters end a run.
MAX_WORD_CHARS = 10_000
_UNSPACED_SCRIPTS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3000-\u30ff"  # CJK punctuation, Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uff00-\uffef"  # full-width forms
)

_LONG_RUN = re.compile(rf"[^\s{_UNSPACED_SCRIPTS}]{{{MAX_WORD_CHARS + 1}}}")
_RUN_TAIL = re.compile(rf"[^\s{_UNSPACED_SCRIPTS}]*")
UNSPACED_LETTER = re.compile(rf"[{_UNSPACED_SCRIPTS}]")
_BRACKETS = re.compile(r"[\[\]{}]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_members: int
    max_total_bytes: int
    max_ratio: int


def max_file_bytes() -> int:
    return settings.FACTCHECK_IMPORT_MAX_FILE_BYTES


def max_upload_bytes() -> int:
    return settings.FACTCHECK_IMPORT_MAX_UPLOAD_BYTES


def zip_limits() -> ZipLimits:
    return ZipLimits(
        max_members=settings.FACTCHECK_IMPORT_ZIP_MAX_MEMBERS,
        max_total_bytes=settings.FACTCHECK_IMPORT_ZIP_MAX_TOTAL_BYTES,
        max_ratio=settings.FACTCHECK_IMPORT_ZIP_MAX_RATIO,
    )


def human_size(size: int) -> str:
    """10485760 -> '10 MB' (binary megabytes, as file managers show them)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value == int(value)
                else f"{value:.1f} {unit}"
            )
    return f"{size} bytes"


def file_size_problem(size: int) -> str | None:
    """Why a file of `size` bytes is refused, or None. Call it with the size on disk or the
    upload's size, before the file is read (the browser's answer is then a 413)."""
    limit = max_file_bytes()
    if size > limit:
        return (
            f"The file is {human_size(size)}; files of at most {human_size(limit)} can be "
            "imported. Split it into smaller files."
        )
    return None


def check_file_size(size: int) -> None:
    """Raise ImportRefused when a file of `size` bytes is over the limit."""
    if problem := file_size_problem(size):
        raise ImportRefused(problem)


def upload_size_problem(total: int) -> str | None:
    """Why an upload (every file of one request or one command run) is refused, or None."""
    limit = max_upload_bytes()
    if total > limit:
        return (
            f"The files add up to {human_size(total)}; at most {human_size(limit)} can be "
            "imported at once. Import them in smaller batches."
        )
    return None


# --- shape bounds -------------------------------------------------------------------------


def json_depth_exceeded(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does this JSON text nest deeper than `limit`? Answered without parsing it.

    Fast path: fewer brackets in all than the limit cannot nest past it (nearly every
    line). Otherwise strings are taken out (their brackets are text) and the rest is
    scanned bracket by bracket.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKETS.finditer(_JSON_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_json_shape(line: str) -> None:
    """Raise LineError for a JSON line too long or too deep to be an article."""
    if len(line) > MAX_LINE_CHARS:
        raise LineError(
            f"the line is {len(line):,} characters long (at most {MAX_LINE_CHARS:,}); "
            "is the file one article per line?"
        )
    if json_depth_exceeded(line):
        raise LineError(f"nested too deeply (more than {MAX_JSON_DEPTH} levels of [ and {{)")


def long_run_problem(text: str, field: str = "text") -> str | None:
    """A run of more than MAX_WORD_CHARS characters without white space, or None."""
    match = _LONG_RUN.search(text)
    if match is None:
        return None
    end = _RUN_TAIL.match(text, match.end()).end()
    return (
        f"the {field} has {end - match.start():,} characters in a row without a space "
        f"(at most {MAX_WORD_CHARS:,}): it is not text a reviewer can read"
    )
