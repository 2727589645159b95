"""Datetimes as ISO 8601 text (UTC), written by the database."""

from __future__ import annotations

from django.db.models import CharField, Func


def iso_utc_sql(sql: str) -> str:
    """PostgreSQL: a timestamptz as Python's datetime.isoformat() of it in UTC, or NULL:
    microseconds only when not zero, all six digits ("…:05.120000+00:00")."""
    utc = f"({sql} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') """
        f"|| CASE WHEN date_trunc('second', {utc}) = {utc} THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00'"
    )


class IsoDateTime(Func):
    """A datetime column as ISO 8601 text (UTC), formatted by the database when it can, so
    that the rows skip two datetime parses a span, and the isoformat() of each (the
    export's hottest cost after the JSON; on PostgreSQL Django's own loader parses them,
    in Python).

    On SQLite, Django keeps aware datetimes as naive UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]")
    so a REPLACE gives exactly Python's isoformat(); PostgreSQL formats it (iso_utc_sql).
    Elsewhere the column comes back as a datetime and `_spans_of` formats it.
    """

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"REPLACE({sql}, ' ', 'T') || '+00:00'", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return iso_utc_sql(sql), tuple(params) * 4  # the column is named four times
