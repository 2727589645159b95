"""CoNLL IOB2, streamed: one token a line, `token start end tag`, in four columns.

Tokenisation (also written at the top of every file):
- A token is a run of non-white-space, Python's `\\S+` on the article text (so a
  no-break space, U+00A0, separates tokens too). `start end` are the token's code-point
  offsets into the text: text[start:end] == token, but for one escape: a token that
  starts with -DOCSTART- (after any backslashes) is written with one backslash more in
  front (`\\-DOCSTART- 11 21 O`), since CoNLL readers (Hugging Face's conll2003,
  flair) end a document at any line starting with -DOCSTART-. To read the text back,
  drop one leading backslash from a token matching `\\+-DOCSTART-`; its start end are
  the text's token's, unescaped.
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

Memory and speed: the text is walked a window of about WINDOW characters at a time
(ending after a token), beside the article's spans in text order. A window is split
into its tokens and their offsets by C code (one regex split, one running sum) and
written as one string; base.coalesce joins those into chunks of about 64 KiB. No list of
an article's tokens is ever built, so a 50 MB article streams in memory bounded by a
window and a chunk (plus the text and its spans, which the export holds anyway).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate

from django.db.models import F
from django.db.models.functions import Substr

from ..base import CODE_POINTS, ExportFormat, ExportOptions
from ..query import ArticleExport, ExportArticle, ExportFilters, ExportSpan, matching_spans
from ._json import dumps

_SPLIT = re.compile(r"(\s+)")  # a window into its \S+ tokens and the white space between
WINDOW = 8192  # characters tokenised at a time (then on to the next white space)
_SPACE = re.compile(r"\s")
_TOKEN_END = re.compile(r"\S(?=\s)")  # the last character of a token
# Offsets as text, made once: most articles are shorter than this, and a lookup costs a
# fraction of formatting the number (a larger offset is formatted).
_NUMBERS = [str(number) for number in range(16384)]
QUOTE_SHOWN = 200  # characters of a misaligned span's quote in its comment line
DOCSTART = "-DOCSTART-"
# A token a reader would take for a document's first line (see the module's docstring):
# escaped with one more leading backslash (so a `\-DOCSTART-` in a text stays distinct).
_DOCSTART_TOKEN = re.compile(r"\\*-DOCSTART-")

FILE_HEADER = (
    "# Factcheck CoNLL IOB2: token start end tag. Tokens are runs of non-white-space "
    "(Python \\S+); start end are code-point offsets into the article text. Spans not on "
    "token boundaries are untagged and listed as '# misaligned span' lines. A token "
    "starting with -DOCSTART- is written with one more leading backslash.\n"
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


def _window_end(text: str, pos: int) -> int:
    """Where the window from `pos` ends: about WINDOW characters on, just after a token
    (or at the end of the text). No token is cut in two, and the white space between two
    tokens, where a paragraph may end, is always in the window of the token after it."""
    if pos + WINDOW >= len(text):
        return len(text)
    found = _TOKEN_END.search(text, pos + WINDOW - 1)
    return found.end() if found is not None else len(text)


def _tokens(text: str, pos: int, end: int) -> tuple[list[str], list[int], list[int]]:
    """The \\S+ tokens of text[pos:end] with their start and end offsets, as three lists.

    One split of the window and one running sum of its pieces' lengths, both in C: a
    match object per token (re.finditer) costs more than all the rest of a token's line.
    """
    window = text[pos:end]
    parts = _SPLIT.split(window)  # token, space, token, ..., token ("" at the ends)
    bounds = list(accumulate(map(len, parts), initial=pos))
    tokens, starts, ends = parts[0::2], bounds[0::2], bounds[1::2]
    if tokens[-1] == "":  # the window ends with white space
        del tokens[-1], starts[-1], ends[-1]
    if tokens and tokens[0] == "":  # it starts with white space
        del tokens[0], starts[0], ends[0]
    if DOCSTART in window:  # rare: one search of the window, then only its tokens
        tokens = [escaped_token(token) for token in tokens]
    return tokens, starts, ends


def escaped_token(token: str) -> str:
    """The token as its line writes it: one more leading backslash if it starts, after
    any backslashes, with -DOCSTART- (offsets are computed before: they stay the text's)."""
    return "\\" + token if _DOCSTART_TOKEN.match(token) else token


def _lines(
    tokens: list[str], starts: list[int], ends: list[int], first: int, last: int, tag: str
) -> list[str]:
    """Tokens first..last-1 as lines, all ending in `tag` (" O\\n", " I-claim\\n")."""
    rows = zip(tokens[first:last], starts[first:last], ends[first:last], strict=True)
    if ends[last - 1] < len(_NUMBERS):
        numbers = _NUMBERS
        return [f"{token} {numbers[start]} {numbers[end]}{tag}" for token, start, end in rows]
    return [f"{token} {start} {end}{tag}" for token, start, end in rows]


class _Walk:
    """The walk through one article's text, a window at a time: which span is next, and
    the one whose tokens run on past the window's end."""

    __slots__ = ("any_token", "open_end", "open_tag", "spans", "upcoming")

    def __init__(self, spans: list[ExportSpan]):
        self.spans = iter(spans)
        self.upcoming = next(self.spans, None)
        self.open_tag = ""  # " I-<label>\\n" while a span goes on into the next window
        self.open_end = 0
        self.any_token = False  # whether a token has been written (no break before the first)


def _window(text: str, pos: int, end: int, walk: _Walk) -> str:
    """The CoNLL lines of the tokens of text[pos:end] (a window: no token cut)."""
    tokens, starts, ends = _tokens(text, pos, end)
    count = len(tokens)
    if not count:
        return ""
    lines: list[str] = []  # one a token, in order
    if walk.open_tag:  # a span begun in an earlier window: its tokens here are inside it
        stop = min(bisect_left(ends, walk.open_end) + 1, count)
        lines += _lines(tokens, starts, ends, 0, stop, walk.open_tag)
        if ends[stop - 1] >= walk.open_end:
            walk.open_tag = ""
    while len(lines) < count:
        span = walk.upcoming
        done = len(lines)
        if span is None or span.start >= end:
            lines += _lines(tokens, starts, ends, done, count, " O\n")
            break
        # On token boundaries: the span starts at a token's start and ends at one's end.
        first = bisect_left(starts, span.start, done)
        if first > done:
            lines += _lines(tokens, starts, ends, done, first, " O\n")
        last = bisect_left(ends, span.end, first)  # the token it ends with, or past the window
        stop = min(last + 1, count)
        lines.append(f"{tokens[first]} {starts[first]} {ends[first]} B-{span.label}\n")
        inside = f" I-{span.label}\n"
        if stop > first + 1:
            lines += _lines(tokens, starts, ends, first + 1, stop, inside)
        walk.upcoming = next(walk.spans, None)
        if last >= count:  # it goes on into the next window
            walk.open_tag, walk.open_end = inside, span.end
    # A paragraph ends at a line break between two tokens: a blank line before the token
    # after each "\\n", unless that token is inside a span (a span is never split).
    newline = text.find("\n", pos, end)
    while newline != -1:
        after = bisect_right(starts, newline)
        if after == count:
            break
        if after > 0 or walk.any_token:
            line = lines[after]
            if line[line.rindex(" ") + 1] != "I":  # the tag: O, B-... or I-...
                lines[after] = "\n" + line
        newline = text.find("\n", starts[after], end)
    walk.any_token = True
    return "".join(lines)


def document(article: ExportArticle, options: ExportOptions) -> Iterator[str]:
    """One article as CoNLL lines, a window of about WINDOW characters at a time (coalesce
    in ExportFormat.stream joins the pieces into chunks of about 64 KiB)."""
    text = article.text
    misaligned: list[ExportSpan] = []
    spans = tagged_spans(article, misaligned)
    options.notes.misaligned += len(misaligned)
    yield f"-DOCSTART- {article.id} -X- O\n"
    for span in misaligned:
        yield misaligned_line(span)
    yield "\n"
    walk = _Walk(spans)
    pos = 0
    while pos < len(text):
        end = _window_end(text, pos)
        yield _window(text, pos, end, walk)
        pos = end
    if walk.any_token:
        yield "\n"


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    if isinstance(articles, ArticleExport):
        articles = articles.labels_only()  # no speakers, verdicts or sources to read
    yield FILE_HEADER
    for article in articles:
        yield from document(article, options)


def _quote_on_boundaries(quote: str, before: str, after: str) -> bool:
    """is_on_token_boundaries from the quote and the one character each side of it."""
    return is_on_token_boundaries(before + quote + after, len(before), len(before) + len(quote))


def misaligned_count(filters: ExportFilters, viewer=None) -> int:
    """How many matching spans (of those the viewer's export holds) are off token
    boundaries: one query reading each span's
    quote and the character on either side of it (SUBSTR counts code points on SQLite
    and PostgreSQL alike; "" before the first or after the last character)."""
    rows = (
        matching_spans(filters, viewer)
        .annotate(
            before=Substr("article__body", F("start"), 1),
            after=Substr("article__body", F("end") + 1, 1),
        )
        .values_list("quote", "before", "after")
        .iterator(chunk_size=2000)
    )
    return sum(1 for quote, before, after in rows if not _quote_on_boundaries(quote, before, after))


def preview(filters: ExportFilters, viewer=None) -> list[str]:
    count = misaligned_count(filters, viewer)
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
