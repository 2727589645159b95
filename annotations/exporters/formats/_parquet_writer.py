"""A Parquet file written without pyarrow: the layout and metadata readers expect.

Why not pyarrow: importing `pyarrow.parquet` alone takes ~95 MB of RSS (libarrow,
libparquet, numpy, and the S3 file system its Python wrapper loads), which put a
Parquet export over the 120 MB issue 10 allows; written here, an export costs what the
other formats cost. pyarrow stays what the tests read the files with.

What is written (apache/parquet-format, parquet.thrift):
- "PAR1", the row groups, the footer (FileMetaData, Thrift compact, formats/_thrift.py),
  its length (4 bytes little-endian) and "PAR1" again.
- A row group is one column chunk per leaf column, in schema order; a chunk is one data
  page (v1): its repetition levels (if the column is under a list) and definition levels,
  each RLE (runs of a level, `varint(run << 1)` then the level in one byte, with the
  4-byte length in front), then the values PLAIN (int64 little-endian; a string's
  4-byte length and its UTF-8), the whole GZIP-compressed (zlib, in the standard
  library; every reader has it).
- Every field is OPTIONAL (nullable, as pyarrow's defaults are); a list is the standard
  three levels (`optional group NAME (LIST) { repeated group list { optional ELEMENT
  element } }`), which pyarrow reads as list<element: ...>; strings carry the STRING
  logical type, timestamps TIMESTAMP(isAdjustedToUTC, MICROS), which pyarrow reads as
  timestamp[us, tz=UTC].
- Each chunk's statistics: its null count, and min and max (signed for int64, bytewise
  for strings, as the type-defined column order the footer declares) where the
  gatherer kept them.

The levels (Dremel's encoding of nesting): a leaf's definition level is how many of its
optional or repeated ancestors (and itself) are present for an entry; its repetition
level, at which list the entry starts a new element (0: a new row). The gatherers in
formats/parquet.py write them as the rows come.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from . import _thrift as thrift
from ._thrift import BINARY, BOOL, I16, I32, I64, LIST, STRUCT

MAGIC = b"PAR1"
CREATED_BY = "factcheck (formats/_parquet_writer.py)"

# parquet.thrift enums.
INT64, BYTE_ARRAY = 2, 6  # Type
OPTIONAL, REPEATED = 1, 2  # FieldRepetitionType
UTF8, LIST_TYPE, TIMESTAMP_MICROS = 0, 3, 10  # ConvertedType
PLAIN, RLE = 0, 3  # Encoding
GZIP = 2  # CompressionCodec
DATA_PAGE = 0  # PageType
FILE_VERSION = 2

STOP = thrift.STOP  # an empty struct: the logical types' markers (StringType, ListType)
# A run of one level in a column's levels (one byte each).
LEVEL_RUN = re.compile(rb"(.)\1*", re.DOTALL)


@dataclass(frozen=True)
class Field:
    """A node of the schema: a leaf (int64, string, timestamp), a struct of fields, or a
    list of one element."""

    name: str
    kind: str
    children: tuple[Field, ...] = ()


def int64(name: str) -> Field:
    return Field(name, "int64")


def string(name: str) -> Field:
    return Field(name, "string")


def timestamp(name: str) -> Field:
    return Field(name, "timestamp")


def struct_of(name: str, *fields: Field) -> Field:
    return Field(name, "struct", fields)


def list_of(name: str, element: Field) -> Field:
    return Field(name, "list", (Field("element", element.kind, element.children),))


@dataclass(frozen=True)
class Leaf:
    """A column: its path (as pyarrow names it, `spans.list.element.id`), its type, and
    the highest repetition and definition levels its entries have."""

    path: tuple[str, ...]
    kind: str
    max_repetition: int
    max_definition: int

    @property
    def name(self) -> str:
        return ".".join(self.path)


def leaves(fields: Sequence[Field], path=(), repetition=0, definition=0) -> Iterator[Leaf]:
    """The leaf columns under these fields, depth first (the order of the chunks)."""
    for node in fields:
        here = (*path, node.name)
        if node.kind == "struct":
            yield from leaves(node.children, here, repetition, definition + 1)
        elif node.kind == "list":  # optional group, repeated group `list`
            inner = (*here, "list")
            yield from leaves(node.children, inner, repetition + 1, definition + 2)
        else:
            yield Leaf(here, node.kind, repetition, definition + 1)


def schema_elements(fields: Sequence[Field]) -> list[bytes]:
    """The footer's flattened schema: the root, then each node depth first."""
    root = thrift.struct((4, BINARY, "schema"), (5, I32, len(fields)))
    return [root, *(element for node in fields for element in _elements(node))]


def _elements(node: Field) -> Iterator[bytes]:
    if node.kind == "list":
        yield _group(node.name, 1, OPTIONAL, converted=LIST_TYPE, logical=(3, STRUCT, STOP))
        yield _group("list", 1, REPEATED)
        yield from _elements(node.children[0])
    elif node.kind == "struct":
        yield _group(node.name, len(node.children), OPTIONAL)
        for child in node.children:
            yield from _elements(child)
    elif node.kind == "string":
        yield _leaf(node.name, BYTE_ARRAY, UTF8, (1, STRUCT, STOP))  # StringType
    elif node.kind == "timestamp":
        micros = thrift.struct((2, STRUCT, STOP))  # TimeUnit.MICROS
        timestamp_type = thrift.struct((1, BOOL, True), (2, STRUCT, micros))
        yield _leaf(node.name, INT64, TIMESTAMP_MICROS, (8, STRUCT, timestamp_type))
    else:
        yield _leaf(node.name, INT64, None, None)


def _group(name, children, repetition, converted=None, logical=None) -> bytes:
    return thrift.struct(
        (3, I32, repetition),
        (4, BINARY, name),
        (5, I32, children),
        (6, I32, converted),
        (10, STRUCT, thrift.struct(logical) if logical else None),
    )


def _leaf(name, physical, converted, logical) -> bytes:
    return thrift.struct(
        (1, I32, physical),
        (3, I32, OPTIONAL),
        (4, BINARY, name),
        (6, I32, converted),
        (10, STRUCT, thrift.struct(logical) if logical else None),
    )


@dataclass
class ColumnData:
    """One column chunk's content as gathered: PLAIN values of the entries present, one
    definition level a byte per entry (and repetition levels, under a list), the null
    count, and min and max as PLAIN-encoded bytes when kept (None: no statistics)."""

    values: bytes | bytearray
    definitions: bytes | bytearray
    repetitions: bytes | bytearray | None = None
    nulls: int = 0
    low: bytes | None = None
    high: bytes | None = None


def rle(levels: bytes | bytearray) -> bytes:
    """Levels (at most 255) in the RLE/bit-packed hybrid, all runs, with its length first."""
    out = bytearray()
    for run in LEVEL_RUN.finditer(levels):
        out += thrift.varint((run.end() - run.start()) << 1)
        out += run.group(1)
    return struct.pack("<I", len(out)) + out


@dataclass
class ParquetFileWriter:
    """Writes a Parquet file of `fields` into `sink` a row group at a time; `close()`
    writes the footer. It keeps only the footer's row group entries between groups."""

    sink: BinaryIO
    fields: Sequence[Field]
    level: int = 1  # zlib's: its fastest; the values are mostly text
    offset: int = 0
    rows: int = 0
    row_groups: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = list(leaves(self.fields))
        self._write(MAGIC)

    def _write(self, data: bytes) -> None:
        self.sink.write(data)
        self.offset += len(data)

    def write_row_group(self, rows: int, chunks: Sequence[ColumnData]) -> None:
        if len(chunks) != len(self.columns):
            raise ValueError(f"{len(chunks)} column chunks for {len(self.columns)} columns")
        start, raw_total, entries = self.offset, 0, []
        for column, chunk in zip(self.columns, chunks, strict=True):
            page_at = self.offset
            raw, stored = self._write_page(column, chunk)
            raw_total += raw
            meta = thrift.struct(
                (1, I32, INT64 if column.kind != "string" else BYTE_ARRAY),
                (2, LIST, thrift.list_of(I32, (PLAIN, RLE))),
                (3, LIST, thrift.list_of(BINARY, column.path)),
                (4, I32, GZIP),
                (5, I64, len(chunk.definitions)),
                (6, I64, raw),
                (7, I64, stored),
                (9, I64, page_at),
                (12, STRUCT, _statistics(chunk)),
            )
            entries.append(thrift.struct((2, I64, page_at), (3, STRUCT, meta)))
        self.row_groups.append(
            thrift.struct(
                (1, LIST, thrift.list_of(STRUCT, entries)),
                (2, I64, raw_total),
                (3, I64, rows),
                (5, I64, start),
                (6, I64, self.offset - start),
                (7, I16, len(self.row_groups)),
            )
        )
        self.rows += rows

    def _write_page(self, column: Leaf, chunk: ColumnData) -> tuple[int, int]:
        """Writes the chunk's one data page; returns its sizes (header included) before
        and after compression."""
        body = bytearray()
        if column.max_repetition:
            body += rle(chunk.repetitions)
        body += rle(chunk.definitions)
        body += chunk.values
        compressed = zlib.compress(body, self.level, wbits=31)  # 31: the gzip format
        page = thrift.struct(
            (1, I32, DATA_PAGE),
            (2, I32, len(body)),
            (3, I32, len(compressed)),
            (5, STRUCT, thrift.struct(
                (1, I32, len(chunk.definitions)),
                (2, I32, PLAIN),
                (3, I32, RLE),
                (4, I32, RLE),
            )),
        )  # fmt: skip
        self._write(page)
        self._write(compressed)
        return len(page) + len(body), len(page) + len(compressed)

    def close(self) -> None:
        type_order = thrift.struct((1, STRUCT, STOP))  # ColumnOrder.TYPE_ORDER
        footer = thrift.struct(
            (1, I32, FILE_VERSION),
            (2, LIST, thrift.list_of(STRUCT, schema_elements(self.fields))),
            (3, I64, self.rows),
            (4, LIST, thrift.list_of(STRUCT, self.row_groups)),
            (6, BINARY, CREATED_BY),
            (7, LIST, thrift.list_of(STRUCT, [type_order] * len(self.columns))),
        )
        self._write(footer + struct.pack("<I", len(footer)) + MAGIC)


def _statistics(chunk: ColumnData) -> bytes:
    return thrift.struct(
        (3, I64, chunk.nulls),
        (5, BINARY, chunk.high),
        (6, BINARY, chunk.low),
    )
