"""spaCy's DocBin (`.spacy`) written without spaCy: the bytes `DocBin().from_bytes` reads.

Why not spaCy itself: importing it costs ~70 MB before any work, and building a Doc per
article then `DocBin.add` (nine string look-ups per token) and `to_bytes` (a 14-attribute
token table compressed at zlib's default level) took 30x PostgreSQL's COPY of the same
rows. Here a bin is built from the text with one regular expression, C-level maps and
numpy, with no Python object a token: a run of text met before is one dict look-up, an
article's tokens one join of its runs' packed records, their offsets one cumulative sum.

The format (spacy/tokens/_serialize.py, version "0.1"): zlib of a msgpack map with
`attrs` (attribute ids, ORTH first), `tokens` (uint64, one row per token, one column per
attribute, C order), `spaces` (one bool per token: followed by a single space),
`lengths` (int32 tokens per doc), `strings` (every string a hash in the bin stands for),
`cats`, `flags`, `span_groups` (per doc, SpanGroups.to_bytes: a msgpack map of each
group's bytes to its keys; a group is a msgpack map of name, attrs and spans packed as
">QQQllll": id, kb_id, label, start token, end token, start char, end char) and
`user_data` (per doc, msgpack). Hashes are spaCy's: 64-bit MurmurHash64A, seed 1, of the
UTF-8 bytes, but for spaCy's built-in symbols ("_", "root", "ORG"...), which stand for
their fixed ids (_spacy_tokens.string_id); they may be in `strings` too, as in spaCy's
own bins (StringStore.add gives a symbol its id and stores nothing).
tests/test_docbin_writer.py holds all of this to spaCy's own reading.

The text is cut into tokens by formats/_spacy_tokens.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from array import array
from collections.abc import Iterable, Sequence
from typing import BinaryIO, NamedTuple

import numpy as np
from srsly.msgpack import Packer

from ._spacy_tokens import Tokenizer, Tokens, string_id

# spacy.attrs ids (tests/test_docbin_writer.py checks them against spaCy's).
ORTH, ENT_IOB, ENT_TYPE, ENT_ID = 65, 77, 78, 454
ATTRS = (ORTH, ENT_IOB, ENT_TYPE, ENT_ID)  # ORTH first, the rest sorted, as DocBin orders them
IOB_INSIDE, IOB_OUTSIDE, IOB_BEGIN = 1, 2, 3
VERSION = "0.1"
SPAN_GROUP = "sc"  # spaCy's default key for the span categorizer's spans

# Bins are compressed fast: level 1 is several times quicker than the default and the
# token table (mostly zeros and repeated hashes) compresses almost as well.
COMPRESSION_LEVEL = 1
# One packer for the main thread's small pieces: srsly.msgpack_dumps builds one per call,
# and building one looks up srsly's encoder entry points (most of the time of packing a
# small map). A packer is not thread-safe: DocBinWriter.write makes its own.
_pack = Packer(use_bin_type=True).pack


def _bin_header(size: int) -> bytes:
    """msgpack's header of a bin (raw bytes) value of `size` bytes: bin 8, 16 or 32."""
    if size < 1 << 8:
        return b"\xc4" + size.to_bytes(1, "big")
    if size < 1 << 16:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")


class Span(NamedTuple):
    """A span to place: character offsets, its label and its id (a string, as spaCy's)."""

    start: int
    end: int
    label: str
    id: str


class DocBinWriter:
    """One DocBin being filled, a doc at a time; `to_bytes` gives the file's bytes."""

    def __init__(self, tokenizer: Tokenizer | None = None):
        self.tokenizer = tokenizer or Tokenizer()
        self.tokenizer.start_bin()
        self.strings: dict[str, int] = {}  # labels and span ids; the words join at to_bytes
        self.runs: set[str] = set()
        self.tokens: list[bytes] = []
        self.spaces: list[bytes] = []
        self.lengths = array("i")
        self.token_count = 0
        self.span_groups: list[bytes] = []
        self.user_data: list[bytes] = []
        self._sealed: list[str] | None = None

    def __len__(self) -> int:
        return len(self.lengths)

    def tokenize(self, text: str) -> Tokens:
        return self.tokenizer.tokenize(text)

    def add(
        self,
        tokens: Tokens,
        spans: Sequence[tuple[int, int, Span]],
        ents: Iterable[tuple[int, int, Span]],
        user_data: dict,
    ) -> None:
        """Add a doc: its tokens, the spans of its span group (first token, end token,
        span), the non-overlapping ones that are its entities, and its user data."""
        count = len(tokens)
        # But for ORTH, the table is runs of equal rows (outside, an entity's first token,
        # its others...): each row once, with how many tokens repeat it.
        rows, repeats, done = [], [], 0
        for first, last, span in ents:
            label, ident = self._string(span.label), self._string(span.id)
            rows += ((0, IOB_OUTSIDE, 0, 0), (0, IOB_BEGIN, label, ident))
            rows.append((0, IOB_INSIDE, label, ident))
            repeats += (first - done, 1, last - first - 1)
            done = last
        rows.append((0, IOB_OUTSIDE, 0, 0))
        repeats.append(count - done)
        table = np.array(rows, np.uint64).repeat(repeats, axis=0)
        table[:, 0] = tokens.orths
        self.runs.update(tokens.runs)
        self.tokens.append(table.tobytes())
        self.spaces.append(tokens.spaces)
        self.lengths.append(count)
        self.token_count += count
        self.span_groups.append(self._span_groups(spans))
        self.user_data.append(_pack(user_data))

    def seal(self) -> None:
        """Take the strings of the bin's tokens from the tokenizer, whose cache the next
        bin may trim: after this the bin is written without it (in another thread too)."""
        if self._sealed is None:
            self._sealed = sorted(self.tokenizer.words(self.runs).union(self.strings))

    def write(self, out: BinaryIO) -> None:
        """Write the DocBin's bytes (what DocBin().from_bytes reads) to `out`, packed and
        compressed a piece at a time: the token table is never joined into one buffer
        (the message is a msgpack map, so its entries can be written one after another).
        Safe in another thread once sealed: it packs with a packer of its own."""
        self.seal()
        pack = Packer(use_bin_type=True).pack
        compressor = zlib.compressobj(COMPRESSION_LEVEL)

        def put(data: bytes) -> None:
            packed = compressor.compress(data)
            if packed:
                out.write(packed)

        docs = len(self.lengths)
        put(b"\x8a")  # a msgpack map of ten entries
        for key, value in (
            ("version", VERSION),
            ("attrs", list(ATTRS)),
            ("lengths", self.lengths.tobytes()),
            ("strings", self._sealed),
            ("cats", [{} for _ in range(docs)]),
            ("flags", [{"has_unknown_spaces": False} for _ in range(docs)]),
            ("span_groups", self.span_groups),
            ("user_data", self.user_data),
        ):
            put(pack(key))
            put(pack(value))
        for key, pieces in (("tokens", self.tokens), ("spaces", self.spaces)):
            put(pack(key))
            put(_bin_header(sum(map(len, pieces))))
            for piece in pieces:
                put(piece)
        out.write(compressor.flush())

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    def _string(self, text: str) -> int:
        orth = self.strings.get(text)
        if orth is None:
            orth = self.strings[text] = string_id(text)  # a label may be a symbol ("root")
        return orth

    def _span_groups(self, spans: Sequence[tuple[int, int, Span]]) -> bytes:
        packed = [
            struct.pack(
                ">QQQllll",
                self._string(span.id),
                0,  # kb_id
                self._string(span.label),
                first,
                last,
                span.start,
                span.end,
            )
            for first, last, span in spans
        ]
        group = _pack({"name": SPAN_GROUP, "attrs": {}, "spans": packed})
        return _pack({group: [SPAN_GROUP]})
