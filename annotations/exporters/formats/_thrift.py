"""Thrift's compact protocol, the few parts a Parquet footer and page header use.

Parquet's metadata (parquet.thrift: FileMetaData, PageHeader...) is Thrift structs in the
compact protocol (thrift/doc/specs/thrift-compact-protocol.md). Writing them needs no
Thrift library: a struct is its fields in ascending id order, each a header byte (the
id's distance from the previous field and the type) and its value, then a 0 byte.
Integers are zigzag varints, strings a varint length and the bytes, lists a header with
the element type and count. tests/test_parquet_writer.py reads what this writes with
pyarrow's own Thrift reader.
"""

from __future__ import annotations

from collections.abc import Iterable

# Compact protocol type ids (in a field header; a boolean field's value is its type).
TRUE, FALSE, BYTE, I16, I32, I64, BINARY, LIST, STRUCT = 1, 2, 3, 4, 5, 6, 8, 9, 12
BOOL = -1  # a boolean field, written as TRUE or FALSE
STOP = b"\x00"


def varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def zigzag(number: int) -> int:
    """Signed to unsigned, small magnitudes small (0, -1, 1, -2... as 0, 1, 2, 3...)."""
    return (number << 1) ^ (number >> 63)


def struct(*fields: tuple[int, int, object]) -> bytes:
    """An encoded struct of (field id, type, value) in ascending id order; a field whose
    value is None is left out (an unset optional field). A STRUCT value is an encoded
    struct; a LIST value is (element type, the elements)."""
    out = bytearray()
    last = 0
    for field_id, kind, value in fields:
        if value is None:
            continue
        if kind == BOOL:
            kind = TRUE if value else FALSE
        delta = field_id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | kind)
        else:
            out.append(kind)
            out += varint(zigzag(field_id))
        last = field_id
        out += _value(kind, value)
    return bytes(out + STOP)


def list_of(kind: int, items: Iterable) -> tuple[int, list]:
    """A LIST field's value."""
    return kind, list(items)


def _value(kind: int, value) -> bytes:
    if kind in (TRUE, FALSE):
        return b""
    if kind in (I16, I32, I64):
        return varint(zigzag(value))
    if kind == BYTE:
        return bytes([value & 0xFF])
    if kind == BINARY:
        data = value.encode() if isinstance(value, str) else bytes(value)
        return varint(len(data)) + data
    if kind == STRUCT:
        return value
    if kind == LIST:
        element, items = value
        size = len(items)
        header = bytes([size << 4 | element]) if size < 15 else bytes([0xF0 | element])
        if size >= 15:
            header += varint(size)
        return header + b"".join(_value(element, item) for item in items)
    raise ValueError(f"no compact encoding for type {kind}")
