"""Migration 0021: the SQLite word index made again so that combining marks stay inside
words, existing articles indexed again, queued ones left to the catch-up; and back.

transaction=True (schema changes cannot run in the test's transaction); on PostgreSQL
the migration does nothing and the search already matches whole words (checked too).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotations import search_index
from annotations.models import Article
from annotations.search import search
from tests.factories import make_article
from tests.migration_rows import restore_migration_rows

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("annotations", "0020_span_indexes_where_set")]
AFTER = [("annotations", "0021_search_words_keep_their_marks")]
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5")


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def found(text: str) -> list[str]:
    return sorted(a.title for a in search(Article.objects.all(), text)[0:100])


def matched(word: str) -> list[int]:
    """The ids the word index finds, read directly (a search would index the queue)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM annotations_article_fts WHERE annotations_article_fts MATCH %s",
            ['"' + word + '"'],
        )
        return sorted(row[0] for row in cursor.fetchall())


def integrity_check() -> None:
    """FTS5 raises when its index does not match the articles it should hold."""
    with connection.cursor() as cursor:
        for table in search_index.SQLITE_INDEXES:
            cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


@pytest.fixture
def at_0020(db):
    migrate(BEFORE)
    yield
    latest()
    restore_migration_rows()


@sqlite_only
def test_forwards_indexes_existing_articles_whole_and_leaves_the_queue(at_0020):
    indexed = make_article("आज का हिन्दी समाचार पत्र छपा।", title="Hindi paper")
    arabic = make_article("كَتَبَ الوَلَدُ الدَّرْسَ", title="Arabic harakat")
    with connection.cursor() as cursor:  # an import queued this one (search_index.deferred)
        cursor.execute(f"INSERT INTO {search_index.DEFERRAL_TABLE} (active) VALUES (1)")
        queued = make_article("বাংলা সংবাদপত্র", title="Bengali queued")
        cursor.execute(f"DELETE FROM {search_index.DEFERRAL_TABLE}")
    assert search_index.pending() == 1
    # Before: the old tokenizer cut the words at their marks.
    assert matched("दो") == [indexed.pk] and matched("ك") == [arabic.pk]

    migrate(AFTER)
    assert matched("दो") == [] and matched("न") == [] and matched("ك") == []
    assert matched("हिन्दी") == [indexed.pk] and matched("الوَلَدُ") == [arabic.pk]
    assert matched("বাংলা") == []  # still queued, not indexed behind the queue's back
    assert search_index.pending() == 1
    # The catch-up indexes it once (twice, the integrity check would fail).
    assert search_index.catch_up() == 1
    integrity_check()
    assert found("दो") == [] and found("ك") == []
    assert found("हिन्दी") == ["Hindi paper"] and found("पत्र") == ["Hindi paper"]
    assert found("সংবাদপত্র") == ["Bengali queued"] and found("ব") == []
    integrity_check()
    # The triggers still keep it current.
    Article.objects.filter(pk=indexed.pk).update(body="तमिल और हिन्दी")
    assert found("तमिल") == ["Hindi paper"] and found("पत्र") == []
    Article.objects.filter(pk=queued.pk).delete()
    integrity_check()

    migrate(BEFORE)  # back: the old tokenizer again, every indexed article kept
    assert found("हिन्दी") == ["Hindi paper"] and found("ह") == ["Hindi paper"]
    integrity_check()


def test_postgresql_and_sqlite_match_whole_words_after_the_migrations(db):
    make_article("आज का हिन्दी समाचार पत्र छपा।", title="Hindi paper")
    assert found("हिन्दी") == ["Hindi paper"]
    assert found("दो") == [] and found("हि") == []
