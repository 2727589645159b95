"""SQLite, bulk imports: foreign keys checked once per transaction for the rows it added,
instead of by SQLite row by row.

Django declares SQLite's foreign keys DEFERRABLE INITIALLY DEFERRED, and SQLite keeps
their books at every insert: for the 10,000-article bench (100,000 spans with their
citations and history) that bookkeeping was a third of the import (14.6 s with the
connection's foreign keys on, 10.9 s off; checking every key of the rows added, once,
took 0.2 s). So a bulk file is stored with the connection's checks off, and before each
of its transactions commits, `Checker.verify` looks for a row added in it whose key
points at nothing; one found raises IntegrityError, which rolls the transaction back
and is reported as the database refusing the file, as SQLite's own check at commit
would have been.

Why this is as safe as SQLite's own check here: SQLite has one writer at a time, and the
import's transaction (BEGIN IMMEDIATE, settings.py) holds the write lock from its start
to its commit, so no other connection can delete a row the import's new rows point at
while it runs; what remains is the import itself writing a wrong id, which `verify`
catches for every row it added. Rows it updates (a revision re-anchoring spans) point
only at rows made in the same transaction.

`PRAGMA foreign_keys` cannot change inside a transaction: inside an outer one (an
`--atomic` import, a test's transaction) SQLite's own checks stay on and the checker
does nothing. Other databases are left alone (PostgreSQL checks keys itself, and has
no such switch short of superuser rights).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.db import IntegrityError, models


@dataclass(frozen=True)
class _Key:
    table: str
    pk: str
    column: str
    parent_table: str
    parent_column: str


@cache
def _keys() -> tuple[tuple[str, str], tuple[_Key, ...]]:
    """The annotations app's tables with an integer id ((table, id column) pairs) and
    their foreign keys (the tables an import writes are all the app's own)."""
    tables, keys = [], []
    for model in apps.get_app_config("annotations").get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or not isinstance(meta.pk, models.AutoField):
            continue
        tables.append((meta.db_table, meta.pk.column))
        for fk in meta.concrete_fields:
            if isinstance(fk, models.ForeignKey) and fk.db_constraint:
                target = fk.target_field
                keys.append(
                    _Key(
                        meta.db_table,
                        meta.pk.column,
                        fk.column,
                        target.model._meta.db_table,
                        target.column,
                    )
                )
    return tuple(tables), tuple(keys)


@dataclass
class Checker:
    """Inside each transaction of the file: `begin()` first, `verify()` last."""

    connection: object
    active: bool = False
    _since: dict[str, int] = field(default_factory=dict)

    def begin(self) -> None:
        if not self.active:
            return
        tables, _ = _keys()
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for table, pk in tables:
                cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
                self._since[table] = cursor.fetchone()[0]

    def verify(self) -> None:
        if not self.active:
            return
        quote = self.connection.ops.quote_name
        _, keys = _keys()
        with self.connection.cursor() as cursor:
            for key in keys:
                cursor.execute(
                    f"SELECT t.{quote(key.pk)} FROM {quote(key.table)} t "
                    f"WHERE t.{quote(key.pk)} > %s AND t.{quote(key.column)} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {quote(key.parent_table)} p "
                    f"WHERE p.{quote(key.parent_column)} = t.{quote(key.column)}) LIMIT 1",
                    [self._since.get(key.table, 0)],
                )
                row = cursor.fetchone()
                if row is not None:
                    raise IntegrityError(
                        f"FOREIGN KEY constraint failed: {key.table}.{key.column} of row "
                        f"{row[0]} points at no {key.parent_table} row"
                    )


@contextmanager
def checked_per_transaction(connection, *, bulk: bool) -> Iterator[Checker]:
    """Turn SQLite's per-row foreign-key checks off for a bulk file (when it can) and
    give the Checker that replaces them; put them back on afterwards."""
    checker = Checker(connection)
    if not bulk or connection.vendor != "sqlite" or connection.in_atomic_block:
        yield checker
        return
    checker.active = connection.disable_constraint_checking()
    try:
        yield checker
    finally:
        if checker.active and connection.connection is not None:
            connection.enable_constraint_checking()
