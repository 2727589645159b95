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

Memory: the text is walked with `re.finditer` beside the article's spans in text order,
between spans a line of the text at a time; tokens are formatted TOKEN_BATCH at a time and
the pieces joined into chunks of about 64 KiB (base.coalesce). No list of an article's
tokens is ever built, so a 50 MB article streams in memory bounded by a chunk (plus the
text and its spans, which the export holds anyway).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from django.db.models import F
from django.db.models.functions import Substr

from ..base import CODE_POINTS, ExportFormat, ExportOptions
from ..query import ExportArticle, ExportFilters, ExportSpan, matching_spans
from ._json import dumps

TOKEN = re.compile(r"\S+")
LINE = re.compile(r"[^\n]+")  # a line of the text: its tokens form one paragraph's run
TOKEN_BATCH = 512  # tokens formatted and joined at a time
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


class _Cursor:
    """Where the walk through one article's text has got to."""

    __slots__ = ("any_token", "previous_end")

    def __init__(self):
        self.previous_end = 0  # the end of the last token written
        self.any_token = False


def _break_before(text: str, start: int, cursor: _Cursor) -> bool:
    """A paragraph ends at a line break between the last token and this one."""
    return cursor.any_token and text.find("\n", cursor.previous_end, start) != -1


def _untagged(text: str, pos: int, endpos: int, cursor: _Cursor) -> Iterator[str]:
    """The tokens of text[pos:endpos], where no span is, tagged O, a line of the text at a
    time (in batches of TOKEN_BATCH tokens, so a long line is no large string either)."""
    for piece in LINE.finditer(text, pos, endpos):
        tokens = TOKEN.finditer(text, piece.start(), piece.end())
        first = next(tokens, None)
        if first is None:
            continue  # white space only
        if _break_before(text, first.start(), cursor):
            yield "\n"
        cursor.any_token = True
        last = first
        yield f"{first.group()} {first.start()} {first.end()} O\n"
        for batch in itertools.batched(tokens, TOKEN_BATCH):
            yield "".join([f"{m.group()} {m.start()} {m.end()} O\n" for m in batch])
            last = batch[-1]
        cursor.previous_end = last.end()


def _tagged(text: str, span: ExportSpan, cursor: _Cursor) -> Iterator[str]:
    """The tokens of one span (on token boundaries): B- then I-, never split by a break."""
    tokens = TOKEN.finditer(text, span.start, span.end)
    first = next(tokens)  # on token boundaries: text[span.start] starts a token
    if _break_before(text, first.start(), cursor):
        yield "\n"
    cursor.any_token = True
    last = first
    yield f"{first.group()} {first.start()} {first.end()} B-{span.label}\n"
    inside = f" I-{span.label}\n"
    for batch in itertools.batched(tokens, TOKEN_BATCH):
        yield "".join([f"{m.group()} {m.start()} {m.end()}{inside}" for m in batch])
        last = batch[-1]
    cursor.previous_end = last.end()


def document(article: ExportArticle, options: ExportOptions) -> Iterator[str]:
    """One article as CoNLL lines, in pieces of at most TOKEN_BATCH tokens (coalesce in
    ExportFormat.stream joins them into chunks of about 64 KiB)."""
    text = article.text
    misaligned: list[ExportSpan] = []
    spans = tagged_spans(article, misaligned)
    options.notes.misaligned += len(misaligned)
    yield f"-DOCSTART- {article.id} -X- O\n"
    for span in misaligned:
        yield misaligned_line(span)
    yield "\n"
    cursor = _Cursor()
    pos = 0
    for span in spans:
        yield from _untagged(text, pos, span.start, cursor)
        yield from _tagged(text, span, cursor)
        pos = span.end
    yield from _untagged(text, pos, len(text), cursor)
    if cursor.any_token:
        yield "\n"


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
