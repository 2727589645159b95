"""Bulk rows into PostgreSQL with COPY, the fastest way in (one round trip per table,
no SQL to parse per row). bulk_insert.insert_rows uses it on PostgreSQL and keeps its batched
INSERTs everywhere else (SQLite has no COPY).

Rows arrive with values already in the database's form (connection.ops adapters): on
PostgreSQL those are Python datetimes and psycopg Jsonb wrappers, which psycopg's COPY
writer adapts itself, so nothing is formatted by hand here. The copy is binary, with
each column's type read from the table (`SELECT ... LIMIT 0`): psycopg then dumps every
value with the C dumper for that type instead of choosing one per value, four times
faster for the 210,000 rows of the import bench. A `str` given for a jsonb column is
JSON text already encoded (bulk_insert.json_adapter), passed on as it is.

The COPY goes through psycopg's own cursor, which Django's cursor wrapper does not see, so
its errors are put through connection.wrap_database_errors here: the database refusing a
row (a text another import stored a moment ago) is then Django's IntegrityError or
DataError, which the import turns into its refusal (service.py), not psycopg's own
exception, which nothing catches.
"""

from __future__ import annotations

from collections.abc import Sequence

# pg_type OIDs of json and jsonb.
_JSON_TYPES = {114, 3802}


def available(connection) -> bool:
    """COPY through psycopg 3: PostgreSQL, with a raw cursor that has .copy()."""
    return connection.vendor == "postgresql"


def copy_rows(connection, table: str, names: str, rows: Sequence[tuple]) -> None:
    """COPY `rows` into `table` (`names`: its quoted column list, in the rows' order)."""
    from psycopg.types.json import Jsonb

    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        raw.execute(f"SELECT {names} FROM {table} LIMIT 0")
        types = [column.type_code for column in raw.description]
        json_columns = [i for i, oid in enumerate(types) if oid in _JSON_TYPES]
        with raw.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                if json_columns:
                    row = list(row)
                    for i in json_columns:
                        if isinstance(row[i], str):
                            row[i] = Jsonb(row[i], dumps=_as_is)
                copy.write_row(row)


def _as_is(text: str) -> str:
    return text
