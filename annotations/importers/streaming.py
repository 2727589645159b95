"""A JSONL file on disk read line by line, so that memory stays flat in the file's size.

reading.read_file() takes a file's bytes whole, which is right for a page or a CSV of a
few megabytes; a JSONL dump can be far larger (with a raised size limit). Here the
encoding is decided from the top of the file (decoding.decode_bytes on a prefix cut at a
line break: byte-order mark, strict UTF-8, else clean Windows-1252), the format is
confirmed from the same prefix, and then each line is decoded and parsed on its own
(jsonl.parse_line; a UTF-8 line is read from its bytes, jsonl.parse_utf8_line) and
handed on in chunks. A line that is not valid in the file's encoding is refused by its
number; the other lines still import.

A top that is ASCII says UTF-8 and Windows-1252 alike, so such a file may turn out to be
Windows-1252 further down: as decoding.py reads a whole file (strict UTF-8, else clean
Windows-1252), the first line that is not UTF-8 but clean Windows-1252 turns the rest of
the file to Windows-1252 (the ASCII lines before read the same in it), and the report
says so from that chunk on (ParseResult.encoding). Once a line held UTF-8 beyond ASCII,
the file is UTF-8 and a Windows-1252 line is refused: the file mixes encodings.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from . import format_for, jsonl
from .base import ArticleRecord, ImportRefused, LineError, ParseResult, chunked_records
from .decoding import DecodingError, NotCleanCp1252, clean_cp1252, cp1252_if_clean, decode_bytes
from .reading import CHUNK, ReadFile

# Enough of the top of a file to decide its encoding and its format.
_PREFIX_BYTES = 256 * 1024


def open_streamed(path: Path, *, name: str = "", size: int = CHUNK) -> ReadFile | None:
    """A ReadFile whose chunks come from the file line by line, when the file is JSONL
    in UTF-8 or Windows-1252; None for every other file (read whole instead)."""
    if path.suffix.lower() not in jsonl.FORMAT.extensions:
        return None
    try:
        with path.open("rb") as stream:
            prefix = stream.read(_PREFIX_BYTES)
            complete = not stream.read(1)
    except OSError:
        return None  # read whole, which reports the error
    if not prefix:
        return None
    head = prefix if complete else prefix[: prefix.rfind(b"\n") + 1]
    if not head:
        return None  # one line longer than the prefix: read whole (its bound is checked there)
    try:
        decoded = decode_bytes(head)
        fmt = format_for(name or path.name, decoded.text)
    except (ImportRefused, DecodingError):
        return None  # read whole, which gives the refusal for the whole file
    codec = codecs.lookup(decoded.encoding).name
    if fmt.name != jsonl.NAME or codec not in ("utf-8", "cp1252"):
        return None
    # Only a top read as UTF-8 without a mark, and all ASCII, leaves the encoding open.
    undecided = decoded.how == "UTF-8" and decoded.text.isascii()
    return ReadFile(
        name or str(path),
        format=fmt.name,
        encoding=decoded.encoding,
        how=decoded.how,
        chunks=_chunks(path, _Lines(codec, ascii_so_far=undecided), size=size),
        streamed=True,
    )


def _chunks(path: Path, lines: _Lines, *, size: int) -> Iterator[ParseResult]:
    reported = False
    with path.open("rb") as stream:
        numbered = ((number, (number, raw)) for number, raw in _numbered_lines(stream))
        for chunk in chunked_records(numbered, lines.parse, size):
            chunk.position = stream.tell()
            if lines.turned_at is not None and not reported:
                chunk.encoding, chunk.how = "cp1252", lines.how_turned()
                reported = True
            yield chunk


class _Lines:
    """Each line decoded in the file's encoding and parsed; see the module's docstring for
    when a file read as UTF-8 turns to Windows-1252."""

    def __init__(self, codec: str, *, ascii_so_far: bool):
        self.codec = codec
        self.ascii_so_far = ascii_so_far  # every line so far was ASCII (only read as UTF-8)
        self.turned_at: int | None = None  # the line that turned it to Windows-1252

    def parse(self, item: tuple[int, bytes]) -> ArticleRecord:
        number, raw = item
        if self.ascii_so_far and not raw.isascii():
            self._first_beyond_ascii(number, raw)
        # An ASCII line is the same bytes in both encodings: orjson reads them itself, and
        # they are decoded only where it cannot answer.
        if self.codec == "utf-8" or raw.isascii():
            return jsonl.parse_utf8_line(raw, _decode_utf8)
        return jsonl.parse_line(_decode_cp1252(raw))

    def _first_beyond_ascii(self, number: int, raw: bytes) -> None:
        self.ascii_so_far = False
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            if cp1252_if_clean(raw) is not None:
                self.codec, self.turned_at = "cp1252", number
            else:  # neither: refused (by _decode_utf8); a later line may still decide
                self.ascii_so_far = True

    def how_turned(self) -> str:
        return (
            f"undeclared Windows-1252 from line {self.turned_at} on; the lines before it "
            "are ASCII, which reads the same"
        )


def _numbered_lines(stream) -> Iterator[tuple[int, bytes]]:
    """The file's non-blank lines with their numbers, a leading UTF-8 mark dropped."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if raw and not raw.isspace():  # (strip() would copy every line to find out)
            yield number, raw


def _decode_utf8(raw: bytes) -> str:
    _refuse_nul(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LineError(
            f"the line is not valid UTF-8 (byte 0x{raw[error.start]:02X} at "
            f"column {error.start + 1}); save the file as UTF-8"
        ) from None


def _decode_cp1252(raw: bytes) -> str:
    """As decoding.py reads a whole file in Windows-1252: clean text or refused, so that a
    line of UTF-8 in it is refused rather than read as mojibake ("cafÃ©")."""
    _refuse_nul(raw)
    try:
        return clean_cp1252(raw)
    except NotCleanCp1252 as error:
        raise LineError(
            f"the line is not valid Windows-1252 (at column {error.position + 1}: "
            f"{error.what}); save the file as UTF-8"
        ) from None


def _refuse_nul(raw: bytes) -> None:
    if b"\x00" in raw:
        # NUL bytes in the file itself (not an escaped \u0000): not a text line.
        raise LineError("the line holds NUL bytes: it is not text")
