"""What the binary formats (datapackage, spacy, parquet) share: a format whose chunks are
bytes, and the in-memory pipe their writers (zipfile, the Parquet writer) write into and the stream
drains.

The export machinery was written for text: `base.utf8_stream` and `base.gzip_stream` call
`chunk.encode("utf-8")` and `ExportFormat.stream` joins str chunks. A binary format
yields BinaryChunk, bytes whose `encode()` is the bytes themselves, so both pass them
through unchanged (and StreamingHttpResponse sends bytes as they are). Its `stream` skips
the str coalescing: the writers below already hand over large pieces.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..base import ExportFormat, ExportOptions

# How much a pipe gathers before the stream takes it: as base.CHUNK_CHARS, one TCP window.
DRAIN_BYTES = 64 * 1024


class BinaryChunk(bytes):
    """Bytes that survive the text path: `encode` returns them unchanged."""

    __slots__ = ()

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return bytes(self)


@dataclass(frozen=True, slots=True)
class BinaryExportFormat(ExportFormat):
    """A format whose `render` yields bytes (a ZIP, a DocBin, a Parquet file)."""

    binary: bool = True

    def stream(self, articles: Iterable, options: ExportOptions | None = None) -> Iterator[bytes]:
        for chunk in self.render(articles, options or ExportOptions()):
            if chunk:
                yield BinaryChunk(chunk)


class Pipe(io.RawIOBase):
    """A write-only file that keeps what was written until `drain()` takes it.

    Unseekable on purpose (zipfile then writes each member's sizes after its data, with
    no going back; the Parquet writer counts its own offsets)."""

    def __init__(self):
        super().__init__()
        self._pending: list[bytes] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        piece = bytes(data)
        self._pending.append(piece)
        self._size += len(piece)
        return len(piece)

    def tell(self) -> int:
        raise io.UnsupportedOperation("an export pipe cannot seek")

    def full(self) -> bool:
        return self._size >= DRAIN_BYTES

    def drain(self) -> bytes:
        data = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        return data
