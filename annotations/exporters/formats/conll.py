"""CoNLL IOB2, streamed: one token a line, `token start end tag`, in four columns.

Tokenisation (also written at the top of every file):
- A token is a run of non-white-space, Python's `\\S+` on the article text (so a
  no-break space, U+00A0, separates tokens too). `start end` are the token's code-point
  offsets into the text: text[start:end] == token.
- Tags are B-<label slug>, I-<label slug> or O.
- A span is tagged only when it falls on token boundaries: it starts where a token
  starts and ends where a token ends. Any other span (one that starts or ends inside a
  token, or holds only white space) is never shifted to the tokens around it: it is
  left untagged and reported as a comment line after its article's -DOCSTART- line,
  `# misaligned span <id> [<start>, <end>) "<quote>"` (the quote JSON-escaped, cut at
  200 characters), and counted (options.notes.misaligned, printed by the command).
  A comment line starts with "# " and its second field is not a number; a token line
  for the token "#" reads `# 10 11 O`.
- Overlaps: IOB2 cannot nest, so among spans that overlap the one starting first wins
  (the longer one on a tie) and the others are left out of this format.
- Each article opens with `-DOCSTART- <article id> -X- O` and a blank line; a blank line
  ends each paragraph (a line of the text), except inside a span, which is never split.

Memory: the text is walked with `re.finditer`, one token at a time, beside the article's
spans in text order; lines are gathered into chunks of about 64 KiB and yielded. No list
of an article's tokens is ever built, so a 50 MB article streams in memory bounded by a
chunk (plus the text and its spans, which the export holds anyway).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.db.models import F
from django.db.models.functions import Substr

from ..base import CHUNK_CHARS, CODE_POINTS, ExportFormat, ExportOptions
from ..query import ExportArticle, ExportFilters, ExportSpan, matching_spans
from ._json import dumps

TOKEN = re.compile(r"\S+")
_SPACE = re.compile(r"\s")
QUOTE_SHOWN = 200  # characters of a misaligned span's quote in its comment line

FILE_HEADER = (
    "# Factcheck CoNLL IOB2: token start end tag. Tokens are runs of non-white-space "
    "(Python \\S+); start end are code-point offsets into the article text. Spans not on "
    "token boundaries are untagged and listed as '# misaligned span' lines.\n"
)


def is_on_token_boundaries(text: str, start: int, end: int) -> bool:
    """Whether [start, end) starts where a \\S+ token starts and ends where one ends."""
    if not 0 <= start < end <= len(text):
        return False
    space = _SPACE.match
    return (
        not space(text, start)
        and not space(text, end - 1)
        and (start == 0 or space(text, start - 1) is not None)
        and (end == len(text) or space(text, end) is not None)
    )


def misaligned_line(span: ExportSpan) -> str:
    quote = span.text if len(span.text) <= QUOTE_SHOWN else span.text[: QUOTE_SHOWN - 1] + "…"
    shown = dumps(quote).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    shown = shown.replace("\x85", "\\u0085")
    return f"# misaligned span {span.id} [{span.start}, {span.end}) {shown}\n"


def tagged_spans(article: ExportArticle, misaligned: list[ExportSpan]) -> list[ExportSpan]:
    """The spans to tag, in text order, none overlapping; the misaligned ones go to
    `misaligned`. Spans arrive in text order (start, then the longer first)."""
    kept = []
    taken_until = -1
    for span in sorted(article.spans, key=lambda s: (s.start, -s.end)):
        if not is_on_token_boundaries(article.text, span.start, span.end):
            misaligned.append(span)
        elif span.start >= taken_until:
            kept.append(span)
            taken_until = span.end
    return kept


def document(article: ExportArticle, options: ExportOptions) -> Iterator[str]:
    """One article as CoNLL lines, in chunks of about CHUNK_CHARS characters."""
    text = article.text
    misaligned: list[ExportSpan] = []
    spans = iter(tagged_spans(article, misaligned))
    options.notes.misaligned += len(misaligned)
    lines = [f"-DOCSTART- {article.id} -X- O\n"]
    lines.extend(misaligned_line(span) for span in misaligned)
    lines.append("\n")
    size = 0
    upcoming = next(spans, None)
    label = None  # the label of the span being tagged
    span_end = -1
    previous_end = 0
    any_token = False
    for match in TOKEN.finditer(text):
        start, end = match.span()
        if label is not None and start >= span_end:
            label = None
        if label is None and upcoming is not None and upcoming.start == start:
            label, span_end = upcoming.label, upcoming.end
            upcoming = next(spans, None)
            tag = f"B-{label}"
        elif label is not None:
            tag = f"I-{label}"
        else:
            tag = "O"
        # A paragraph ends at a line break between tokens, never inside a span.
        if any_token and tag[0] != "I" and text.find("\n", previous_end, start) != -1:
            lines.append("\n")
        line = f"{match.group()} {start} {end} {tag}\n"
        lines.append(line)
        size += len(line)
        previous_end = end
        any_token = True
        if size >= CHUNK_CHARS:
            yield "".join(lines)
            lines.clear()
            size = 0
    if any_token:
        lines.append("\n")
    yield "".join(lines)


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    yield FILE_HEADER
    for article in articles:
        yield from document(article, options)


def _quote_on_boundaries(quote: str, before: str, after: str) -> bool:
    """is_on_token_boundaries from the quote and the one character each side of it."""
    return is_on_token_boundaries(before + quote + after, len(before), len(before) + len(quote))


def misaligned_count(filters: ExportFilters) -> int:
    """How many matching spans are off token boundaries: one query reading each span's
    quote and the character on either side of it (SUBSTR counts code points on SQLite
    and PostgreSQL alike; "" before the first or after the last character)."""
    rows = (
        matching_spans(filters)
        .annotate(
            before=Substr("article__body", F("start"), 1),
            after=Substr("article__body", F("end") + 1, 1),
        )
        .values_list("quote", "before", "after")
        .iterator(chunk_size=2000)
    )
    return sum(1 for quote, before, after in rows if not _quote_on_boundaries(quote, before, after))


def preview(filters: ExportFilters) -> list[str]:
    count = misaligned_count(filters)
    if not count:
        return []
    return [
        f"{count:,} span{'s' if count != 1 else ''} not on token boundaries will be left "
        "untagged and listed in '# misaligned span' comment lines."
    ]


FORMAT = ExportFormat(
    name="conll",
    label="CoNLL IOB2",
    description=(
        "Whitespace tokens with offsets and B-/I-/O tags, for sequence-labelling models; "
        "spans off token boundaries are listed, not shifted."
    ),
    extension="conll",
    media_type="text/plain; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=70,
    uses_relations=False,
    preview=preview,
)
