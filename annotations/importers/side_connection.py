"""Progress written beside a long transaction: an all-or-nothing import keeps every file
in one transaction, so what the job's listener writes inside it would be seen by the page
only when the import ends (and its heartbeat would look stale to job_liveness). On
PostgreSQL the listener writes through a second connection of its own instead, in
autocommit, committed at once. SQLite has one writer at a time and the import's
transaction holds the write lock to its end: nothing can be written beside it, and the
job's page says the counts come at the end (views/imports.py).
"""

from __future__ import annotations

import logging
from contextlib import suppress

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import CURSOR

logger = logging.getLogger(__name__)


def possible() -> bool:
    """Can a row be written beside the default connection's open transaction?"""
    return connection.vendor == "postgresql"


class SideConnection:
    """A second connection to the default database, opened on first use."""

    def __init__(self):
        self._connection = None

    def update(self, model, pk, fields: dict) -> None:
        """model.objects.filter(pk=pk).update(**fields), committed on the side. A failure
        (no connection to be had, say) is logged and the import goes on: progress not
        shown for a while must not stop what it reports on."""
        try:
            if self._connection is None:
                self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
            query = UpdateQuery(model)
            query.add_update_values(fields)
            query.add_filter("pk", pk)
            query.get_compiler(connection=self._connection).execute_sql(CURSOR)
        except DatabaseError:
            logger.warning("Could not write %s %s's progress beside its import", model, pk)
            self.close()  # the next write opens a new connection

    def close(self) -> None:
        if self._connection is not None:
            with suppress(DatabaseError):  # already gone
                self._connection.close()
            self._connection = None
