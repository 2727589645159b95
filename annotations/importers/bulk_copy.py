"""Bulk rows into PostgreSQL with COPY, the fastest way in (one round trip per table,
no SQL to parse per row). service._insert uses it on PostgreSQL and keeps its batched
INSERTs everywhere else (SQLite has no COPY).

Rows arrive with values already in the database's form (connection.ops adapters): on
PostgreSQL those are Python datetimes and psycopg Jsonb wrappers, which psycopg's COPY
writer adapts itself, so nothing is formatted by hand here.
"""

from __future__ import annotations

from collections.abc import Sequence


def available(connection) -> bool:
    """COPY through psycopg 3: PostgreSQL, with a raw cursor that has .copy()."""
    return connection.vendor == "postgresql"


def copy_rows(connection, table: str, names: str, rows: Sequence[tuple]) -> None:
    """COPY `rows` into `table` (`names`: its quoted column list, in the rows' order)."""
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
