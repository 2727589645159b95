"""Reads off the primary: exports and the export page's counts read from a replica.

When DATABASE_REPLICA_URL is set, settings add DATABASES["replica"]. Code that only
reads (an export's stream, the page's counts) runs inside `reading_from_replica()`;
there, every read the ORM routes goes to the replica. Writes always go to "default",
inside the block too (an export's record is written while the export streams), and
nothing outside such a block ever reads from the replica, so a page that writes and then
reads never sees a replica that lags behind.

A context variable (not a thread-local) marks the block, so it follows a streamed
response's generator and is per task under ASGI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_configured() -> bool:
    # The connection handler's copy of DATABASES (a test can add the alias to it).
    return REPLICA in connections.settings


@contextmanager
def reading_from_replica():
    """Reads inside go to the replica when one is configured (else nothing changes)."""
    token = _reading_from_replica.set(replica_configured())
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def read_alias() -> str:
    """The alias reads go to here: for code that names its connection (raw SQL)."""
    return REPLICA if _reading_from_replica.get() and replica_configured() else DEFAULT_DB_ALIAS


def read_from_replica(chunks: Iterable) -> Iterator:
    """A lazy stream whose reads go to the replica: the block is entered again around each
    step, since a generator resumed by the server runs outside the view's context."""
    iterator = iter(chunks)
    while True:
        with reading_from_replica():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _reading_from_replica.get() and replica_configured() else None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: an object read from one may
        # point at one read from the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None
