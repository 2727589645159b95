"""Who said it: the speaker a span's own sentence names (pure functions, no Django).

`suggest_speaker(body, start, end, known_names)` reads the sentence (or sentences) the
span `[start, end)` sits in, in code points like every span, and returns a name or None:

1. a known speaker (one already attributed on this article, say) whom an attribution
   names: "“…,” Kirby said." gives "John Kirby" when John Kirby is known;
2. else a known speaker's full name, or their unambiguous surname, anywhere in the
   sentence, outside the span before inside it;
3. else the name of an attribution: "NAME said / says / told / added / denied / claimed /
   insisted …" (also "NAME, the ministry's spokesman, said" and "NAME also said"),
   "said NAME" and "according to NAME".

A NAME is a run of capitalised words, with particles inside it ("Ursula von der Leyen",
"Charles de Gaulle"), initials ("J. R. Smith") and a title in front ("Dr. Anthony
Fauci"; the suggestion drops the title when a first and a last name remain). Pronouns
and words that only look like names at the start of a sentence ("He", "The",
"Officials") never are one. A span inside a quotation is read together with the end of
that quotation, where the attribution usually stands ("“A. B,” she said.").

The words it reads by (reporting verbs, titles, particles...) are in speaker_words.py. It
guesses, so it is only ever offered, never applied: the reviewer presses a key to
take it. Nothing here knows a language beyond English news style.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .sentences import sentence_spans, sentences_covering
from .speaker_words import (
    BETWEEN,
    CLOSING,
    NOT_NAMES,
    OPENING,
    PARTICLES,
    QUOTES,
    REPORTING_VERBS,
    STOPS,
    TITLES,
    VERBS_BEFORE_NAME,
)

_TOKEN = re.compile(r"[^\W\d_](?:\w|['’\-‐](?=\w))*|\S")
_POSSESSIVE = re.compile(r"['’]s(?!\w)", re.I)
# Sentences are local (sentences.py): a window this wide around a span is enough.
_WINDOW = 2000


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True, slots=True)
class _Name:
    text: str
    start: int
    end: int


def suggest_speaker(body: str, start: int, end: int, known_names: Iterable[str]) -> str | None:
    """The speaker named in the sentence of the span `[start, end)` of `body`, or None."""
    if not body or not 0 <= start < end <= len(body):
        return None
    region_start, region_end = _region(body, start, end)
    text = body[region_start:region_end]
    span = (start - region_start, end - region_start)
    tokens = [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    known = _known(known_names)
    attributed = _attributions(tokens)

    def nearest(found):
        return min(found, key=lambda n: (_distance(n, span), n.start)) if found else None

    # 1. An attribution that names a known speaker.
    for name in sorted(attributed, key=lambda n: _distance(n, span)):
        match = _as_known(name.text, known)
        if match:
            return match
    # 2. A known speaker named anywhere in the sentence, outside the span first.
    mentions = _known_mentions(text, known)
    outside = [m for m in mentions if _distance(m, span) > 0]
    if outside:
        return nearest(outside).text
    # 3. The name of an attribution, a bare surname completed from earlier in the text
    # ("Kirby said" after "spokesman John Kirby" in the paragraph before).
    if attributed:
        name = _tidy(nearest(attributed).text)
        return _full_name_before(body[max(0, region_start - _WINDOW) : region_start], name)
    # 4. A known speaker inside the span itself ("Kirby referenced new intelligence").
    if mentions:
        return nearest(mentions).text
    return None


# --- the sentence -------------------------------------------------------------------------


def _region(body: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of the sentences the span touches, and, for a span inside a quotation,
    of the sentence where that quotation closes."""
    line_start = max(body.rfind("\n", max(0, start - _WINDOW), start) + 1, start - _WINDOW, 0)
    line_end = body.find("\n", end, end + _WINDOW)
    line_end = min(len(body), end + _WINDOW) if line_end < 0 else line_end
    line = body[line_start:line_end]
    spans = sentence_spans(line)
    if not spans:
        return start, end
    local_start, local_end = start - line_start, end - line_start
    closing = _quotation_end(line, local_start, local_end)
    if closing is not None:
        local_end = max(local_end, closing)
    covering = sentences_covering(spans, local_start, local_end)
    if not covering:
        return start, end
    first, last = spans[covering[0]], spans[covering[-1]]
    return line_start + min(first[0], local_start), line_start + max(last[1], local_end)


def _quotation_end(line: str, start: int, end: int) -> int | None:
    """Where the quotation the span sits in closes (past its closing mark), or None."""
    before = line[:start]
    opened = max((before.rfind(q) for q in OPENING), default=-1)
    closed = max((before.rfind(q) for q in CLOSING), default=-1)
    straight = before.count('"') % 2 == 1
    if opened <= closed and not straight:
        return None
    marks = CLOSING if opened > closed else '"'
    after = [i for i in (line.find(q, end) for q in marks) if i >= 0]
    return min(after) + 1 if after else None


# --- names -------------------------------------------------------------------------------


def _is_capitalised(token: _Token) -> bool:
    return token.is_word and token.text[0].isupper() and token.lower not in NOT_NAMES


def _is_title(tokens: list[_Token], i: int) -> bool:
    return tokens[i].is_word and tokens[i].lower in TITLES and tokens[i].text[0].isupper()


def _is_initial(tokens: list[_Token], i: int) -> bool:
    token = tokens[i]
    return (
        len(token.text) == 1
        and token.text.isupper()
        and i + 1 < len(tokens)
        and tokens[i + 1].text == "."
    )


def _name_at(tokens: list[_Token], i: int) -> int | None:
    """The index past the name that starts at token i, or None if none starts there."""
    j, words = i, 0
    while j < len(tokens):
        token = tokens[j]
        if _is_title(tokens, j) or _is_initial(tokens, j):
            j += 2 if j + 1 < len(tokens) and tokens[j + 1].text == "." else 1
            continue
        if _is_capitalised(token):
            words += 1
            j += 1
            if _POSSESSIVE.search(token.text[-2:]):
                return None  # "Putin's spokesman": the name is not the speaker
            continue
        if words and token.lower in PARTICLES and token.text.islower():
            # "von der Leyen": particles count only when a capitalised word follows them.
            k = j
            while k < len(tokens) and tokens[k].lower in PARTICLES and tokens[k].text.islower():
                k += 1
            if k < len(tokens) and _is_capitalised(tokens[k]):
                j = k
                continue
        break
    # A name ends on a capitalised word, not on a title or an initial alone.
    while j > i and not _is_capitalised(tokens[j - 1]):
        j -= 1
    return j if words and j > i else None


def _names(tokens: list[_Token], lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """(first, past-last) token indexes of every name in tokens[lo:hi]."""
    hi = len(tokens) if hi is None else hi
    found, i = [], lo
    while i < hi:
        past = _name_at(tokens, i)
        if past is not None and past <= hi:
            found.append((i, past))
            i = past
        else:
            # Skip the rest of a possessive or a rejected run: "Putin's" is no name.
            i += 1
    return found


def _attributions(tokens: list[_Token]) -> list[_Name]:
    """Names that an attribution says spoke: "X said", "said X", "according to X"."""
    found = []
    for first, past in _names(tokens):
        if _verb_follows(tokens, past):
            found.append(_name_from(tokens, first, past))
    for i, token in enumerate(tokens):
        after = None
        if token.lower in VERBS_BEFORE_NAME and token.text.islower():
            after = i + 1
        elif token.lower == "according" and i + 1 < len(tokens) and tokens[i + 1].lower == "to":
            after = i + 2
        if after is None:
            continue
        name = _name_in_window(tokens, after)
        if name is not None:
            found.append(_name_from(tokens, *name))
    return found


def _name_from(tokens: list[_Token], first: int, past: int) -> _Name:
    parts = [tokens[first].text]
    for token in tokens[first + 1 : past]:
        parts.append(("" if token.text == "." else " ") + token.text)
    return _Name("".join(parts), tokens[first].start, tokens[past - 1].end)


def _verb_follows(tokens: list[_Token], i: int) -> bool:
    """Whether a reporting verb comes at token i, after an appositive (", the minister,")
    or a word such as "also"."""
    if i < len(tokens) and tokens[i].text == ",":
        # ", the ministry's spokesman, said": up to a dozen words to the next comma.
        for j in range(i + 1, min(len(tokens), i + 14)):
            text = tokens[j].text
            if text in QUOTES or text in ".!?;:":
                return False
            if text == ",":
                i = j + 1
                break
        else:
            return False
    while i < len(tokens) and tokens[i].lower in BETWEEN:
        i += 1
    return i < len(tokens) and tokens[i].lower in REPORTING_VERBS and tokens[i].text.islower()


def _name_in_window(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """The last name in the words after "said" or "according to", up to a preposition or
    punctuation: "said White House spokesman John Kirby on Wednesday" → John Kirby."""
    hi = i
    while hi < len(tokens) and hi - i < 10:
        token = tokens[hi]
        if token.lower in STOPS and token.text.islower():
            break
        if not token.is_word and token.text != ".":
            break
        if token.text == "." and not (
            hi > i and (_is_title(tokens, hi - 1) or _is_initial(tokens, hi - 1))
        ):
            break
        hi += 1
    names = _names(tokens, i, hi)
    # The name ends the phrase: in "said France would not yield", France is not the speaker.
    return names[-1] if names and names[-1][1] == hi else None


# --- known speakers ---------------------------------------------------------------------


def _known(names: Iterable[str]) -> dict[str, str]:
    """{casefolded name: name}, and each surname that only one known speaker has."""
    full: dict[str, str] = {}
    surnames: dict[str, set[str]] = {}
    for name in names:
        name = " ".join((name or "").split())
        if not name:
            continue
        full.setdefault(name.casefold(), name)
        words = name.split()
        if len(words) > 1 and len(words[-1]) > 2 and words[-1][0].isupper():
            surnames.setdefault(words[-1].casefold(), set()).add(name)
    return {
        **{
            key: value.pop()
            for key, value in surnames.items()
            if len(value) == 1 and key not in full
        },
        **full,
    }


def _as_known(name: str, known: dict[str, str]) -> str | None:
    """The known speaker this name is: the same name (any case), or their surname alone,
    or the name with its title dropped ("Mr Kirby")."""
    if name.casefold() in known:
        return known[name.casefold()]
    words = _without_titles(name).split()
    for candidate in (" ".join(words), words[-1] if len(words) == 1 else ""):
        if candidate and candidate.casefold() in known:
            return known[candidate.casefold()]
    return None


def _known_mentions(text: str, known: dict[str, str]) -> list[_Name]:
    """Where a known speaker's full name or unique surname stands, as whole words that
    start with a capital."""
    found: list[_Name] = []
    # Longest first, so "John Kirby" is taken before its surname "Kirby" inside it.
    for key in sorted(known, key=len, reverse=True):
        for match in re.finditer(rf"(?<!\w){re.escape(key)}(?!\w)", text, re.IGNORECASE):
            at, past = match.span()
            if not text[at].isupper() or any(n.start < past and at < n.end for n in found):
                continue
            if _POSSESSIVE.match(text, past, past + 2):
                continue  # "Kirby's claims": about Kirby, not said by him
            found.append(_Name(known[key], at, past))
    return found


def _full_name_before(text: str, name: str) -> str:
    """The latest longer name in `text` that ends with the one-word `name`, else `name`."""
    if " " in name:
        return name
    tokens = [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    longer = [
        _tidy(_name_from(tokens, first, past).text)
        for first, past in _names(tokens)
        if past - first > 1 and tokens[past - 1].text == name
    ]
    return longer[-1] if longer else name


def _without_titles(name: str) -> str:
    words = name.split()
    while words and words[0].rstrip(".").lower() in TITLES:
        words = words[1:]
    return " ".join(words)


def _tidy(name: str) -> str:
    """The title dropped when a first and a last name remain: "Dr. Anthony Fauci"."""
    bare = _without_titles(name)
    return bare if len(bare.split()) >= 2 else name


def _distance(name: _Name, span: tuple[int, int]) -> int:
    start, end = span
    if name.end <= start:
        return start - name.end + 1
    if name.start >= end:
        return name.start - end + 1
    return 0


__all__ = ["suggest_speaker"]
