"""An export read part-way closes its PostgreSQL server-side cursor when it is dropped or
closed, not whenever the garbage collector next runs (whose late CLOSE, in tests, landed
in a later test's transaction and aborted it).

PostgreSQL only: elsewhere `.iterator()` holds no server-side cursor to look for.
"""

from __future__ import annotations

import gc

import pytest
from django.db import connection

from annotations.exporters.query import ExportFilters, export_articles
from tests.factories import make_article

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side cursors are PostgreSQL's"
)


def open_cursors() -> int:
    # pg_cursors lists this session's cursors; Django's ordinary cursors are client-side.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


@pytest.fixture
def no_collector():
    """Only reference counting frees objects here, as between two collections."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.fixture
def two_articles(db):
    make_article("First article.")
    make_article("Second article.")


def read_first_article():
    """An export stopped after its first article, its articles cursor still open (one
    article fetched per round trip, so the second is left to read)."""
    articles = export_articles(ExportFilters(), chunk_size=1)
    next(articles)
    assert open_cursors() == 1
    return articles


def test_an_export_dropped_part_way_closes_its_cursor_at_once(two_articles, no_collector):
    articles = read_first_article()
    del articles
    assert open_cursors() == 0


def test_closing_an_export_part_way_closes_its_cursor_and_ends_it(two_articles):
    articles = read_first_article()
    articles.close()
    assert open_cursors() == 0
    assert next(articles, None) is None
