"""A JSONL file on disk read line by line, so that memory stays flat in the file's size.

reading.read_file() takes a file's bytes whole, which is right for a page or a CSV of a
few megabytes; a JSONL dump can be far larger (with a raised size limit). Here the
encoding is decided from the top of the file (decoding.decode_bytes on a prefix cut at a
line break: byte-order mark, strict UTF-8, else clean Windows-1252), the format is
confirmed from the same prefix, and then each line is decoded and parsed on its own
(jsonl.parse_line; a UTF-8 line is read from its bytes, jsonl.parse_utf8_line) and
handed on in chunks. A line that is not valid in the file's encoding is refused by its
number; the other lines still import.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from . import format_for, jsonl
from .base import ImportRefused, LineError, ParseResult, chunked_records
from .decoding import DecodingError, decode_bytes
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
    return ReadFile(
        name or str(path),
        format=fmt.name,
        encoding=decoded.encoding,
        how=decoded.how,
        chunks=_chunks(path, codec, size=size),
        streamed=True,
    )


def _chunks(path: Path, codec: str, *, size: int) -> Iterator[ParseResult]:
    if codec == "utf-8":  # orjson reads the bytes; decoded only if it cannot answer
        decode = partial(_decode_line, codec=codec)
        parse = partial(jsonl.parse_utf8_line, decode=decode)
    else:
        parse = lambda raw: jsonl.parse_line(_decode_line(raw, codec))  # noqa: E731
    with path.open("rb") as stream:
        for chunk in chunked_records(_numbered_lines(stream), parse, size):
            chunk.position = stream.tell()
            yield chunk


def _numbered_lines(stream) -> Iterator[tuple[int, bytes]]:
    """The file's non-blank lines with their numbers, a leading UTF-8 mark dropped."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if raw and not raw.isspace():  # (strip() would copy every line to find out)
            yield number, raw


def _decode_line(raw: bytes, codec: str) -> str:
    if b"\x00" in raw:
        # NUL bytes in the file itself (not an escaped \u0000): not a text line.
        raise LineError("the line holds NUL bytes: it is not text")
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        raise LineError(
            f"the line is not valid {codec.upper()} (byte 0x{raw[error.start]:02X} at "
            f"column {error.start + 1}); save the file as UTF-8"
        ) from None
