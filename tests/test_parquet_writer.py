"""The Parquet writer (formats/_parquet_writer.py) and its Thrift encoding (_thrift.py),
held to the compact protocol's specification and to pyarrow's reading of the files."""

from __future__ import annotations

import io
import struct

import pytest

from annotations.exporters.formats import _thrift as thrift
from annotations.exporters.formats._parquet_writer import (
    ColumnData,
    ParquetFileWriter,
    int64,
    leaves,
    list_of,
    rle,
    string,
    struct_of,
)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.mark.parametrize(
    ("number", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")],
)
def test_varints_are_little_endian_groups_of_seven_bits(number, encoded):
    assert thrift.varint(number) == encoded


@pytest.mark.parametrize(("signed", "unsigned"), [(0, 0), (-1, 1), (1, 2), (-2, 3), (2, 4)])
def test_zigzag_interleaves_signs(signed, unsigned):
    assert thrift.zigzag(signed) == unsigned


def test_a_struct_writes_short_and_long_field_deltas_bools_and_lists():
    """The compact protocol's field header: the id's distance from the last one in the
    high nibble when it is 1..15, else the type alone and the id as a zigzag varint."""
    encoded = thrift.struct(
        (1, thrift.I32, 5),
        (2, thrift.BOOL, True),
        (3, thrift.STRUCT, None),  # unset: left out
        (20, thrift.I64, -1),
        (21, thrift.LIST, thrift.list_of(thrift.BINARY, ["ab"])),
    )
    assert (
        encoded == bytes([0x15, 0x0A, 0x11, 0x06, 0x28, 0x01, 0x19, 0x18, 0x02]) + b"ab" + b"\x00"
    )


def test_a_list_of_fifteen_or_more_gives_its_size_after_the_header():
    encoded = thrift._value(thrift.LIST, thrift.list_of(thrift.I32, [1] * 20))
    assert encoded[:2] == bytes([0xF0 | thrift.I32, 20]) and encoded[2:] == b"\x02" * 20


def test_levels_are_written_as_runs_with_their_length_first():
    levels = b"\x01" * 3 + b"\x00" + b"\x02" * 100
    runs = b"\x06\x01" + b"\x02\x00" + b"\xc8\x01\x02"  # 3 << 1, 1 << 1, 100 << 1
    assert rle(levels) == struct.pack("<I", len(runs)) + runs


def test_levels_count_the_optional_and_repeated_fields_above_each_column():
    fields = (int64("id"), list_of("tags", string("element")), struct_of("who", string("name")))
    assert [(leaf.name, leaf.max_repetition, leaf.max_definition) for leaf in leaves(fields)] == [
        ("id", 0, 1),
        ("tags.list.element", 1, 3),
        ("who.name", 0, 2),
    ]


def plain_strings(values: list[str]) -> bytes:
    return b"".join(len(v.encode()).to_bytes(4, "little") + v.encode() for v in values)


def test_pyarrow_reads_nulls_empty_lists_and_many_row_groups():
    """Rows of an id (null in one), a list of strings (empty, with a null element, and
    twenty long) and a struct: one row group a row, twenty of them, so the footer's
    lists take the long header too."""
    fields = (int64("id"), list_of("tags", string("element")), struct_of("who", string("name")))
    rows = [
        {"id": 1, "tags": ["a", "é"], "who": {"name": "Rita"}},
        {"id": None, "tags": [], "who": {"name": None}},
        {"id": 3, "tags": ["x", None], "who": {"name": "北京"}},
        *({"id": n, "tags": [str(k) for k in range(20)], "who": None} for n in range(17)),
    ]
    sink = io.BytesIO()
    writer = ParquetFileWriter(sink, fields)
    for row in rows:
        ids = ColumnData(b"", b"\x00", nulls=1)
        if row["id"] is not None:
            packed = struct.pack("<q", row["id"])
            ids = ColumnData(packed, b"\x01", low=packed, high=packed)
        tags = [tag for tag in row["tags"] if tag is not None]
        definitions = bytes(3 if tag is not None else 2 for tag in row["tags"]) or b"\x01"
        repetitions = bytes([0] + [1] * (len(row["tags"]) - 1)) if row["tags"] else b"\x00"
        tag_column = ColumnData(plain_strings(tags), definitions, repetitions)
        who = row["who"]
        if who is None:
            names = ColumnData(b"", b"\x00", nulls=1)
        elif who["name"] is None:
            names = ColumnData(b"", b"\x01", nulls=1)
        else:
            names = ColumnData(plain_strings([who["name"]]), b"\x02")
        writer.write_row_group(1, [ids, tag_column, names])
    writer.close()
    data = sink.getvalue()
    assert data[:4] == data[-4:] == b"PAR1"
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.num_rows == len(rows) == parquet.metadata.num_row_groups
    assert parquet.metadata.created_by.startswith("factcheck")
    assert parquet.read().to_pylist() == rows
    first = parquet.metadata.row_group(0).column(0).statistics
    assert (first.min, first.max, first.null_count) == (1, 1, 0)
    assert parquet.schema_arrow.field("tags").type == pa.list_(pa.field("element", pa.string()))


def test_a_row_group_must_give_every_column():
    writer = ParquetFileWriter(io.BytesIO(), (int64("id"), string("name")))
    with pytest.raises(ValueError, match="1 column chunks for 2 columns"):
        writer.write_row_group(1, [ColumnData(b"", b"\x00", nulls=1)])
