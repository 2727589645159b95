"""The search box's text parsed into terms: words, phrases, substrings; pure functions.

- The text is put in canonical form first (offsets.canonical_text: NFC), so "Renée"
  typed decomposed finds the NFC body. Case and accents are folded ("renee" finds it).
- Words (letters, digits, marks) must all occur, as whole words, in the title, author,
  publisher or body. `"two words"` is a phrase, `-word` excludes, `a or b` is either
  (websearch syntax; every other character only separates words, so nothing a person
  types is ever query syntax to the database).
- Runs of characters from scripts written without spaces (Chinese, Japanese, Korean,
  Thai, ...) and symbols such as emoji match as substrings: 東京 finds 東京都庁.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..offsets import canonical_text

MAX_QUERY_LENGTH = 200  # the view cuts there too; longer text is shortened, with a note
MAX_TERMS = 32  # each term is one index lookup

# Scripts written without spaces between words: searched as substrings.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x9FFF),  # CJK symbols, kana, Bopomofo, Hangul compatibility, CJK ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width katakana
    (0x20000, 0x323AF),  # CJK extensions B-H
)
_EMOJI_JOINERS = {"\u200d", "\ufe0f", "\u20e3"}


def _kind(ch: str) -> str:
    """'s' substring character, 'w' word character, '' separator."""
    code, category = ord(ch), unicodedata.category(ch)
    if any(low <= code <= high for low, high in _NO_SPACE_RANGES):
        return "s" if category[0] in "LMN" or category == "So" else ""
    if category == "So" or ch in _EMOJI_JOINERS or 0x1F3FB <= code <= 0x1F3FF:
        return "s"
    if category[0] in "LMN":
        return "w"
    return ""


# --- the query -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    kind: str  # "words" (a word or a quoted phrase: words separated by spaces) or "substring"
    text: str
    negated: bool = False


@dataclass(slots=True)
class Query:
    """A search, parsed: clauses all of which must hold; a clause is one term or
    alternatives joined by "or"; a negated term is a clause of its own."""

    text: str
    clauses: list[tuple[Term, ...]] = field(default_factory=list)
    shortened: bool = False

    @property
    def empty(self) -> bool:
        return not self.clauses

    def positive(self, kind: str) -> list[str]:
        return list(
            dict.fromkeys(
                t.text for c in self.clauses for t in c if t.kind == kind and not t.negated
            )
        )


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, without the word the cut would split."""
    if len(text) <= limit:
        return text
    end = limit
    if _kind(text[limit]) == "w":
        while end > 0 and _kind(text[end - 1]) == "w":
            end -= 1
    return text[: end or limit].strip()


def _runs(text: str) -> Iterator[tuple[str, str]]:
    """(kind, run) for each run of word or substring characters; separators as ('', ch)."""
    kind, start = None, 0
    for i, ch in enumerate(text):
        k = _kind(ch)
        if k != kind:
            if kind:
                yield kind, text[start:i]
            kind, start = k, i
        if not k:
            yield "", ch
            kind = None
    if kind:
        yield kind, text[start:]


def parse(raw: str) -> Query:
    """The terms of a search box's text (websearch syntax: "phrase", -not, or)."""
    text = canonical_text(raw).strip()
    query = Query(text=shorten(text, MAX_QUERY_LENGTH), shortened=len(text) > MAX_QUERY_LENGTH)
    terms: list[Term | str] = []  # terms and "or" markers
    negate = in_phrase = False
    phrase: list[str] = []
    previous = " "

    def close_phrase():
        nonlocal negate
        if phrase:
            terms.append(Term("words", " ".join(phrase), negate))
            phrase.clear()
            negate = False

    for kind, run in _runs(query.text):
        if kind == "":
            if run == '"':
                if in_phrase:
                    close_phrase()
                in_phrase = not in_phrase
                if in_phrase and previous != "-":
                    negate = False
            elif run == "-" and not in_phrase and _kind(previous) == "":
                negate = True
            elif not in_phrase and run != "-":
                negate = False
            previous = run
            continue
        if in_phrase and kind == "w":
            phrase.append(run)
        elif kind == "w" and run.casefold() == "or" and not negate and not in_phrase:
            terms.append("or")
        else:
            terms.append(Term("words" if kind == "w" else "substring", run, negate))
            negate = False
        previous = run[-1]
    close_phrase()

    clauses: list[list[Term]] = []
    joining = False
    for item in terms:
        if item == "or":
            # "or" joins the terms either side; at either end it is just the word.
            joining = bool(clauses) and not clauses[-1][-1].negated
            continue
        if joining and not item.negated:
            clauses[-1].append(item)
        else:
            clauses.append([item])
        joining = False
    if terms and terms[-1] == "or":
        clauses.append([Term("words", "or")])
    if terms and terms[0] == "or" and not (clauses and clauses[0][0].text == "or"):
        clauses.insert(0, [Term("words", "or")])
    if len(clauses) > MAX_TERMS:
        clauses, query.shortened = clauses[:MAX_TERMS], True
    query.clauses = [tuple(dict.fromkeys(c)) for c in dict.fromkeys(map(tuple, clauses))]
    return query
