"""CoNLL IOB2: one token a line, `token start end tag`, in the four columns of CoNLL-2003.

- Tokens are runs of non-white-space (Python's `\\S+`, so NBSP separates tokens too);
  `start end` are the token's code-point offsets into the article text.
- Tags are B-<label slug>, I-<label slug> or O. A span tags every token it touches, so a
  span that starts or ends inside a token takes the whole token.
- Overlaps: IOB2 cannot nest, so among spans sharing a token the one starting first wins
  (the longer one on a tie) and the others are left out of this format.
- Each article opens with `-DOCSTART- <article id> -X- O` and a blank line; a blank line
  ends each paragraph (a line of the text), except inside a span, which is never split.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

from ..base import CODE_POINTS, ExportFormat, ExportOptions
from ..query import ExportArticle

TOKEN = re.compile(r"\S+")


def _token_ranges(starts: list[int], ends: list[int], spans) -> list[tuple[int, int, str]]:
    """The spans as inclusive token ranges, overlaps resolved (first start, then longest)."""
    ranges = []
    for span in spans:
        first = bisect_right(ends, span.start)  # first token ending after the span starts
        last = bisect_left(starts, span.end) - 1  # last token starting before it ends
        if first <= last:
            ranges.append((first, last, span.label))
    ranges.sort(key=lambda r: (r[0], -r[1]))
    kept = []
    taken_until = -1
    for first, last, label in ranges:
        if first > taken_until:
            kept.append((first, last, label))
            taken_until = last
    return kept


def document(article: ExportArticle) -> str:
    text = article.text
    tokens = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
    starts = [start for start, _ in tokens]
    ends = [end for _, end in tokens]
    tags = ["O"] * len(tokens)
    inside = [False] * len(tokens)  # continues the span of the token before it
    for first, last, label in _token_ranges(starts, ends, article.spans):
        tags[first] = f"B-{label}"
        for index in range(first + 1, last + 1):
            tags[index] = f"I-{label}"
            inside[index] = True

    lines = [f"-DOCSTART- {article.id} -X- O", ""]
    for index, (start, end) in enumerate(tokens):
        if index and not inside[index] and "\n" in text[ends[index - 1] : start]:
            lines.append("")
        lines.append(f"{text[start:end]} {start} {end} {tags[index]}")
    if tokens:
        lines.append("")
    return "\n".join(lines) + "\n"


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    for article in articles:
        yield document(article)


FORMAT = ExportFormat(
    name="conll",
    label="CoNLL IOB2",
    description="Whitespace tokens with offsets and B-/I-/O tags, for sequence-labelling models.",
    extension="conll",
    media_type="text/plain; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=70,
)
