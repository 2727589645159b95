"""The search index catches up behind bulk imports.

Indexing an article's text for search (PostgreSQL: its tsvector and the trigram GIN;
SQLite: two FTS5 tables) costs more than storing it: in the 10,000-article import bench
it was half the import on PostgreSQL and a fifth on SQLite. So an import stores its
articles inside `deferred()`, which queues them instead of indexing them, and the index
catches up right after, in the background (`tasks.index_search_backlog`, run by the
worker `make run` starts), a batch per transaction. Every other write (the review page,
the admin, a revision) is indexed at once, as before, by the database itself.

What is queued (migration 0016_search_backlog):
- PostgreSQL: an article whose `search_vector` is NULL (a trigger fills it on every other
  insert and update; a partial index finds the queue).
- SQLite: a row in annotations_search_backlog (the insert trigger writes it while the
  deferral table has a row; the update and delete triggers leave such an article's FTS
  rows alone, which do not exist yet).

Search reads only what is indexed, and says how many articles are still waiting
(search.SearchResults.note); a small queue is indexed on the spot before searching
(`catch_up_small_backlog`), so one import of a few files is found at once even
without the worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

BATCH = 500  # articles indexed per transaction: short write locks on SQLite
# A queue this small is indexed by the search that finds it (a fraction of a second).
CATCH_UP_ON_SEARCH = 1000

BACKLOG_TABLE = "annotations_search_backlog"  # SQLite
DEFERRAL_TABLE = "annotations_search_deferral"  # SQLite: a row while an import defers
PG_SETTING = "factcheck.defer_search_index"  # PostgreSQL: 'on' while an import defers
SQLITE_INDEXES = ("annotations_article_fts", "annotations_article_trigram")
INDEXED_COLUMNS = "title, author, publisher, body"


@contextmanager
def deferred() -> Iterator[None]:
    """Inside the caller's transaction: articles inserted here are queued for the
    index rather than indexed. Undone before the block ends, so that the rest of the
    transaction (and every other connection) indexes as usual."""
    if not connection.in_atomic_block:
        raise RuntimeError("search_index.deferred() must run inside a transaction")
    start, stop = _deferral_sql()
    with connection.cursor() as cursor:
        cursor.execute(start)
    yield
    # Not in a `finally`: on an error the caller's transaction rolls back, the deferral
    # with it (and PostgreSQL would refuse any statement in that aborted transaction).
    with connection.cursor() as cursor:
        cursor.execute(stop)


def _deferral_sql() -> tuple[str, str]:
    if connection.vendor == "postgresql":
        # SET LOCAL: this transaction only; a crash or rollback leaves nothing behind.
        return (f"SET LOCAL {PG_SETTING} = 'on'", f"SET LOCAL {PG_SETTING} = 'off'")
    # SQLite has one writer at a time: while this transaction holds the write lock, no
    # other connection can insert an article and see the row.
    return (f"INSERT INTO {DEFERRAL_TABLE} (active) VALUES (1)", f"DELETE FROM {DEFERRAL_TABLE}")


def pending() -> int:
    """How many articles are waiting to be indexed."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM annotations_article WHERE search_vector IS NULL")
        else:
            cursor.execute(f"SELECT count(*) FROM {BACKLOG_TABLE}")
        return cursor.fetchone()[0]


def index_batch(size: int = BATCH) -> int:
    """Index up to `size` queued articles, in one transaction; how many were indexed.
    Several workers may run this at once: on PostgreSQL each takes rows the others have
    not locked; on SQLite the write lock takes turns."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                WITH batch AS (
                  SELECT id FROM annotations_article WHERE search_vector IS NULL
                  ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                )
                UPDATE annotations_article AS a
                   SET search_vector = factcheck_search_vector(a.title, a.author,
                                                               a.publisher, a.body)
                  FROM batch WHERE a.id = batch.id
                """,
                [size],
            )
            return cursor.rowcount
        cursor.execute(
            f"SELECT max(article_id), count(*) FROM (SELECT article_id FROM {BACKLOG_TABLE} "
            "ORDER BY article_id LIMIT %s)",
            [size],
        )
        last, count = cursor.fetchone()
        if not count:
            return 0
        queued = f"id IN (SELECT article_id FROM {BACKLOG_TABLE} WHERE article_id <= %s)"
        for table in SQLITE_INDEXES:
            cursor.execute(
                f"INSERT INTO {table} (rowid, {INDEXED_COLUMNS}) "
                f"SELECT id, {INDEXED_COLUMNS} FROM annotations_article WHERE {queued}",
                [last],
            )
        cursor.execute(f"DELETE FROM {BACKLOG_TABLE} WHERE article_id <= %s", [last])
        return count


def catch_up(size: int = BATCH) -> int:
    """Index the whole queue, a batch at a time; how many articles were indexed."""
    total = 0
    while indexed := index_batch(size):
        total += indexed
    return total


def catch_up_small_backlog() -> int:
    """What a search waits for: the queue indexed if it is small; its size after."""
    waiting = pending()
    if 0 < waiting <= CATCH_UP_ON_SEARCH:
        catch_up()
        waiting = pending()
    return waiting


def schedule_catch_up() -> None:
    """Ask the worker to index the queue once the current transaction commits."""

    def enqueue():
        from .tasks import index_search_backlog

        index_search_backlog.enqueue()

    transaction.on_commit(enqueue)


def indexed_only_sql() -> str:
    """A condition on the article table ({t}: its alias) that holds for indexed
    articles: search matches only those, so that a queued one is never half-found."""
    if connection.vendor == "postgresql":
        return "{t}.search_vector IS NOT NULL"
    return f"{{t}}.id NOT IN (SELECT article_id FROM {BACKLOG_TABLE})"
