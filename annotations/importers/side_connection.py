"""Progress written beside a long transaction: an all-or-nothing import keeps every file
in one transaction, so what the job's listener writes inside it would be seen by the page
only when the import ends (and its heartbeat would look stale to job_liveness). On
PostgreSQL the listener writes through a second connection of its own instead, in
autocommit, committed at once. SQLite has one writer at a time and the import's
transaction holds the write lock to its end: nothing can be written beside it, and the
job's page says the counts come at the end (views/imports.py).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import CURSOR


def possible() -> bool:
    """Can a row be written beside the default connection's open transaction?"""
    return connection.vendor == "postgresql"


class SideConnection:
    """A second connection to the default database, opened on first use."""

    def __init__(self):
        self._connection = None

    def update(self, model, pk, fields: dict) -> None:
        """model.objects.filter(pk=pk).update(**fields), committed on the side."""
        if self._connection is None:
            self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
        query = UpdateQuery(model)
        query.add_update_values(fields)
        query.add_filter("pk", pk)
        query.get_compiler(connection=self._connection).execute_sql(CURSOR)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
