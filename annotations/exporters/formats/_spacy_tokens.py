"""spaCy-compatible tokens for the DocBin writer (formats/_docbin.py): an article's text
to token hashes, widths and trailing spaces, with no Python object a token.

Tokens (PLAIN_TOKEN and joining_token): a run of letters and digits with their
combining marks (so a decomposed accent or a Devanagari vowel sign stays in its word);
or one other character with the marks, skin-tone modifiers and zero-width-joined
characters that belong to it (one emoji is one token); or a run of white space that is
not a single space after a token.
A single space after a token is that token's trailing space (spaCy's `whitespace_`), so
the Doc's text is the article's text exactly and character offsets are the same.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain

import numpy as np
import regex

from ._spacy_symbols import SYMBOLS

# Inside a run of text between single spaces: a word, each other character alone, or a
# run of other white space. Stdlib re, whose \w+ has a fast path (twice regex's speed).
PLAIN_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")
# Runs with combining marks, skin tones or zero-width joiners (found by JOINERS) are
# tokenised by joining_token() instead: the same, but a word keeps its marks and another
# character the marks, skin tones and zero-width-joined characters that belong to it.
JOINERS = regex.compile(r"[\p{M}\u200d\U0001F3FB-\U0001F3FF]")


# Where Unicode has combining marks: the first two planes and the variation selectors of
# plane 14 (planes 2 and 3 are ideographs; tests/test_docbin_writer.py checks this).
MARK_PLANES = (*range(0x20000), *range(0xE0000, 0xE1000))


@cache
def joining_token() -> re.Pattern:
    r"""PLAIN_TOKEN with marks joined, in stdlib re so that \w means the same in both
    (regex's \w differs, on superscript digits for one). Built once, when first needed:
    re has no \p{M}, so the class is made from unicodedata."""
    marks = _ranges(code for code in MARK_PLANES if unicodedata.category(chr(code))[0] == "M")
    joined = f"[{marks}\U0001f3fb-\U0001f3ff]"
    other = f"[^\\w\\s]{joined}*"
    return re.compile(rf"\w+(?:[{marks}]+\w*)*|[{marks}]+|{other}(?:\u200d{other})*|\s+")


def _ranges(codes: Iterable[int]) -> str:
    """A regular-expression class body for these ascending code points, as ranges."""
    spans: list[list[int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in spans
    )


# Runs of text remembered with their tokens, across bins, up to this many runs and words
# or this many tokens in them (then forgotten at the next bin): natural text repeats its
# words, so most runs are looked up, not parsed. A cached run costs ~200 bytes and ~100
# more a token: at 200,000 runs a 100,000-article export peaked at 142 MB of RSS (96 MB
# at 10,000), at 50,000 at 105 MB, as fast; the token bound holds runs of many tokens
# ("1,2,3,4...") to the same memory.
CACHE_LIMIT = 50_000
CACHE_TOKENS = 100_000
CACHED_RUN = 64  # characters: a longer run (CJK without spaces) is kept for its bin only
_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1
_BLOCKS = struct.Struct("<Q")


def hash_string(text: str) -> int:
    """spaCy's hash of a string (spacy.strings.hash_string): MurmurHash64A, seed 1."""
    data = text.encode("utf-8")
    length = len(data)
    h = (1 ^ (length * _M)) & _MASK
    if length < 8:  # no whole block (a span's id, most words): the tail alone
        if length:
            h = ((h ^ int.from_bytes(data, "little")) * _M) & _MASK
        h ^= h >> 47
        h = (h * _M) & _MASK
        return h ^ (h >> 47)
    whole = length - length % 8
    for (k,) in _BLOCKS.iter_unpack(data[:whole]):
        k = (k * _M) & _MASK
        k ^= k >> 47
        h ^= (k * _M) & _MASK
        h = (h * _M) & _MASK
    if whole < length:
        h ^= int.from_bytes(data[whole:], "little")
        h = (h * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    return h ^ (h >> 47)


def string_id(text: str) -> int:
    """The id spaCy's StringStore gives a string (spacy.strings.get_string_id): one of its
    built-in symbols ("_", "root", "ORG"... see _spacy_symbols.py) has its fixed small id,
    which is what StringStore looks up (never the symbol's hash: a bin holding that hash
    fails to load, KeyError E018); any other string its hash."""
    orth = SYMBOLS.get(text)
    return hash_string(text) if orth is None else orth


# A token as a run's cache entry holds it: its hash, its width (its length, plus one for
# the single space that ends its run) and whether that space follows it. One record a
# token, so that an article's tokens are one join of its runs' records.
TOKEN_RECORD = np.dtype([("orth", "<u8"), ("width", "<u4"), ("space", "u1")])
RECORD_SIZE = TOKEN_RECORD.itemsize


class _Runs(dict):
    """Runs of text (what lies between two single spaces) to their tokens' records
    (TOKEN_RECORD, packed). Read through map(), so a run met before costs one C-level
    dict look-up. Runs longer than CACHED_RUN (a paragraph of CJK, which has no spaces)
    are kept apart, in `long_runs`, only until the bin's end. `words` holds each run's
    tokens' strings, which only a bin's seal reads."""

    def __init__(self):
        super().__init__()
        self.long_runs: dict[str, bytes] = {}
        self.words: dict[str, tuple[str, ...]] = {}
        self.long_words: dict[str, tuple[str, ...]] = {}
        self._orths: dict[str, int] = {}
        self.tokens = 0  # in the cached runs

    def __missing__(self, run: str) -> bytes:
        found = self.long_runs.get(run)
        if found is None:
            # An empty run lies between two spaces: the second is a token of its own, as
            # spaCy makes one of any white space but a single space after a token.
            pattern = joining_token() if JOINERS.search(run) else PLAIN_TOKEN
            words = tuple(pattern.findall(run)) or (" ",)
            records = np.zeros(len(words), TOKEN_RECORD)
            records["orth"] = [*map(self._hash, words)]
            records["width"] = [*map(len, words)]
            if run:
                records["width"][-1] += 1
                records["space"][-1] = 1
            found = records.tobytes()
            if len(run) <= CACHED_RUN:
                self[run], self.words[run] = found, words
                self.tokens += len(words)
            else:
                self.long_runs[run], self.long_words[run] = found, words
        return found

    def _hash(self, word: str) -> int:
        orth = self._orths.get(word)
        if orth is None:
            orth = self._orths[word] = string_id(word)
        return orth

    def words_of(self, runs: Iterable[str]) -> set[str]:
        words, long_words = self.words, self.long_words
        return set(
            chain.from_iterable(
                words[run] if run in words else long_words[run] for run in set(runs)
            )
        )


class Tokenizer:
    """Texts to Tokens, for a whole export: its cache of runs outlives a bin, bounded by
    CACHE_LIMIT and CACHE_TOKENS (trimmed between bins, so that a bin never loses the runs
    it used)."""

    def __init__(self):
        self.runs = _Runs()

    def start_bin(self) -> None:
        self.runs.long_runs.clear()
        self.runs.long_words.clear()
        runs = self.runs
        if len(runs) + len(runs._orths) > CACHE_LIMIT or runs.tokens > CACHE_TOKENS:
            self.runs = _Runs()

    def tokenize(self, text: str) -> Tokens:
        runs = text.split(" ")
        records = b"".join(map(self.runs.__getitem__, runs))
        if not runs[-1]:
            # The text ends with a space (or is empty): that space is its last token's,
            # and the empty run after it (one " " token) is no token.
            records = records[:-RECORD_SIZE]
        tokens = np.frombuffer(records, TOKEN_RECORD)
        spaces = tokens["space"].tobytes()
        # Every token's start, and the text's length last: one C loop, no int per token.
        starts = np.zeros(len(tokens) + 1, np.int64)
        np.add.accumulate(tokens["width"], out=starts[1:], dtype=np.int64)
        if runs[-1]:  # the text's last run: no space follows it
            spaces = spaces[:-1] + b"\x00"
            starts[-1] = len(text)
        return Tokens(runs, starts, tokens["orth"], spaces)

    def words(self, runs: Iterable[str]) -> set[str]:
        """The strings of the tokens of these runs (runs this bin tokenised)."""
        return self.runs.words_of(runs)


@dataclass
class Tokens:
    """An article's tokens: the runs they came from, and for each token the character
    offset it starts at (int64, and last the text's length), its hash (uint64) and
    whether a single space follows it."""

    runs: list[str]
    starts: np.ndarray
    orths: np.ndarray
    spaces: bytes

    def __len__(self) -> int:
        return len(self.spaces)

    def length(self, index: int) -> int:
        """The token's length, without its trailing space."""
        return int(self.starts[index + 1] - self.starts[index]) - self.spaces[index]

    def char_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The tokens [first, last) that [start, end) covers exactly, or None when it
        starts or ends inside a token (spaCy's alignment_mode="strict")."""
        return self.char_spans([(start, end)])[0]

    def char_spans(self, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int] | None]:
        """char_span of each (start, end), all at once (a few array operations for an
        article's spans, rather than a few for each span)."""
        count = len(self)
        if not count:
            return [None] * len(offsets)
        bounds = np.array(offsets, np.int64).reshape(-1, 2)
        start, end = bounds[:, 0], bounds[:, 1]
        starts = self.starts
        first = starts.searchsorted(start)
        last = starts.searchsorted(end - 1, side="right") - 1
        ok = (start >= 0) & (start < end) & (first < count) & (first <= last) & (last < count)
        first_at, last_at = np.where(ok, first, 0), np.where(ok, last, 0)
        spaces = np.frombuffer(self.spaces, np.uint8)
        ok &= starts[first_at] == start
        ok &= starts[last_at + 1] - spaces[last_at] == end
        return [
            (f, e) if fits else None
            for f, e, fits in zip(first.tolist(), (last + 1).tolist(), ok.tolist(), strict=True)
        ]
