"""Rows into a table in bulk, with values already in the database's form: what the
import writes its articles, spans and history with (importers/rows.py).

On PostgreSQL one COPY per table (bulk_copy.py). Elsewhere plain INSERT statements of
ROWS_PER_INSERT rows each, the statement run once per group through executemany (SQLite
loops in C). Measured on 30,000 spans: one row a statement costs PostgreSQL a parse and
plan per row (2x slower), and thousands of rows a statement make psycopg's client-side
binding re-parse a huge statement each time (3x slower); 20 to 75 rows were equally
fast, on SQLite too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import orjson
from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations

from . import bulk_copy

# 50 rows of any table the import fills stay far under SQLite's bound-parameter limit.
ROWS_PER_INSERT = 50


def json_adapter(json_field) -> Callable[[object], object]:
    """The form of a value for this JSONField that insert_rows writes, as
    connection.ops.adapt_json_value gives it. Where that is plain JSON text (SQLite, and
    PostgreSQL's COPY, whose text form of a jsonb value is its JSON text), orjson writes it:
    the same value as json.dumps, 7x faster (a bulk import writes a snapshot per span)."""
    ops, encoder = connection.ops, json_field.encoder
    plain = bulk_copy.available(connection) or (
        type(ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
    )
    if not plain:
        return lambda value: ops.adapt_json_value(value, encoder)
    if encoder is not None:  # a field's own encoder decides how its values are written
        return encoder().encode
    return json_text


def json_text(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # What orjson refuses and json writes: an int beyond 64 bits, a lone surrogate.
        return json.dumps(value)


def memoised(adapt: Callable) -> Callable:
    """`adapt` remembered per value: the spans of a file share a few creation times."""
    seen: dict = {}

    def adapted(value):
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = adapt(value)
            return result

    return adapted


def insert_rows_with_ids(model, columns: Sequence[str], rows: list[tuple]) -> list[int]:
    """insert_rows, and the new rows' ids, in the rows' order, without reading them back.

    PostgreSQL: the ids are drawn from the table's sequence first (one query; nextval is
    safe beside concurrent inserts) and written with the rows. SQLite: one writer at a
    time, and inside a transaction nobody writes between our statements, so the rows got
    consecutive ids (AUTOINCREMENT: one more than any before) ending at last_insert_rowid.
    Reading them back instead cost a query per chunk over the rows just written."""
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        insert_rows(model, (pk, *columns), [(i, *row) for i, row in zip(ids, rows, strict=True)])
        return ids
    if connection.vendor != "sqlite":
        raise NotImplementedError(f"no way to number new rows on {connection.vendor}")
    if not connection.in_atomic_block:
        # Outside a transaction each statement commits alone, and another writer's rows
        # could fall between ours.
        raise RuntimeError("insert_rows_with_ids must run inside a transaction on SQLite")
    insert_rows(model, columns, rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


def insert_rows(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT `rows` (values ready for the database, in `columns` order) into `model`'s
    table, in order: one statement of ROWS_PER_INSERT rows run for each full group in a
    single executemany call, and one statement for the rest."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(column) for column in columns)
    one_row = f"({', '.join(['%s'] * len(columns))})"

    def statement(count: int) -> str:
        return f"INSERT INTO {table} ({names}) VALUES {', '.join([one_row] * count)}"

    def values(group: Sequence[tuple]) -> list:
        return [value for row in group for value in row]

    if not rows:
        return
    if bulk_copy.available(connection):
        bulk_copy.copy_rows(connection, table, names, rows)
        return
    full = len(rows) - len(rows) % ROWS_PER_INSERT
    with connection.cursor() as cursor:
        if full:
            groups = (rows[i : i + ROWS_PER_INSERT] for i in range(0, full, ROWS_PER_INSERT))
            cursor.executemany(statement(ROWS_PER_INSERT), [values(g) for g in groups])
        if full < len(rows):
            cursor.execute(statement(len(rows) - full), values(rows[full:]))
