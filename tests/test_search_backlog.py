"""The search index catching up behind a bulk import (annotations/search_index.py), on
SQLite and PostgreSQL alike: a large import queues its articles instead of indexing them
row by row, search leaves queued articles out and says so, and the catch-up indexes each
exactly once, with the same index an ordinary save gives."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from annotations import search_index
from annotations.importers import file_store, service
from annotations.models import Article
from annotations.search import search
from tests.factories import make_article
from tests.races import race

pytestmark = pytest.mark.django_db

MANY = file_store.DEFER_SEARCH_INDEX_FROM


def bulk_file(tmp_path, count: int, word: str = "zeppelin"):
    lines = [
        json.dumps({"title": f"Bulletin {i}", "body": f"A {word} over 東京都庁, number {i}."})
        for i in range(count)
    ]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def titles(text: str) -> set[str]:
    return {article.title for article in search(Article.objects.all(), text)}


def fts_is_consistent() -> bool:
    """SQLite: FTS5's own check that the index matches the table (a delete of a row it
    never held, say, breaks it). PostgreSQL: every indexed vector is the one the
    trigger computes from the row."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in search_index.SQLITE_INDEXES:
                cursor.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
            return True
        cursor.execute(
            "SELECT count(*) FROM annotations_article WHERE search_vector IS NOT NULL AND "
            "search_vector <> factcheck_search_vector(title, author, publisher, body)"
        )
        return cursor.fetchone()[0] == 0


def test_a_bulk_import_queues_its_articles_and_the_catch_up_indexes_them(tmp_path):
    result = service.import_path(bulk_file(tmp_path, MANY))
    assert len(result.created) == MANY
    assert search_index.pending() == MANY

    assert search_index.catch_up(size=7) == MANY  # in several batches
    assert search_index.pending() == 0
    assert len(titles("zeppelin")) == MANY
    assert len(titles("東京")) == MANY  # the trigram index too
    assert fts_is_consistent()


def test_search_leaves_queued_articles_out_and_says_how_many(tmp_path, monkeypatch):
    make_article(title="Old zeppelin story", body="An old zeppelin.")
    service.import_path(bulk_file(tmp_path, MANY))
    monkeypatch.setattr(search_index, "CATCH_UP_ON_SEARCH", 0)  # a large queue: no waiting

    results = search(Article.objects.all(), "zeppelin")
    assert [a.title for a in results] == ["Old zeppelin story"]
    assert f"{MANY:,} articles imported a moment ago are still being added" in results.note
    assert search_index.pending() == MANY  # the search did not index them


def test_a_small_queue_is_indexed_by_the_search_that_meets_it(tmp_path):
    service.import_path(bulk_file(tmp_path, MANY))
    results = search(Article.objects.all(), "zeppelin")
    assert len(results) == MANY
    assert results.note == ""
    assert search_index.pending() == 0


def test_the_article_list_shows_the_note(tmp_path, monkeypatch, reviewer_client):
    service.import_path(bulk_file(tmp_path, MANY))
    monkeypatch.setattr(search_index, "CATCH_UP_ON_SEARCH", 0)
    page = reviewer_client.get(reverse("article-list"), {"q": "zeppelin"})
    assert page.status_code == 200
    assert "still being added to the search index" in page.content.decode()


def test_a_few_articles_are_indexed_at_once_as_before(tmp_path):
    service.import_path(bulk_file(tmp_path, MANY - 1))
    assert search_index.pending() == 0
    assert len(titles("zeppelin")) == MANY - 1


def test_a_queued_article_edited_before_the_catch_up_is_indexed_as_edited(tmp_path):
    service.import_path(bulk_file(tmp_path, MANY))
    article = Article.objects.get(title="Bulletin 3")
    article.body = "A hovercraft instead."
    article.save()  # the update trigger leaves a queued article to the catch-up
    Article.objects.get(title="Bulletin 4").delete()  # and drops it from the queue

    # PostgreSQL's trigger indexes the edited article at once; SQLite's leaves it queued.
    expected = MANY - 2 if connection.vendor == "postgresql" else MANY - 1
    assert search_index.pending() == expected
    search_index.catch_up()
    assert titles("hovercraft") == {"Bulletin 3"}
    assert "Bulletin 3" not in titles("zeppelin")
    assert "Bulletin 4" not in titles("zeppelin")
    assert len(titles("zeppelin")) == MANY - 2
    assert fts_is_consistent()


def test_an_indexed_article_edited_after_the_catch_up_is_reindexed(tmp_path):
    service.import_path(bulk_file(tmp_path, MANY))
    search_index.catch_up()
    article = Article.objects.get(title="Bulletin 5")
    article.body = "A dirigible now."
    article.save()
    assert titles("dirigible") == {"Bulletin 5"}
    assert "Bulletin 5" not in titles("zeppelin")
    assert fts_is_consistent()


def test_after_an_import_other_writes_are_indexed_at_once(tmp_path):
    """The deferral ends with the import: an article saved afterwards in the same
    transaction, or a refused file's rollback, leaves nothing deferred."""
    service.import_path(bulk_file(tmp_path, MANY))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(['{"title": "x", "body": "y"}'] * MANY) + "\n{not json\n")
    service.import_path(bad)
    before = search_index.pending()
    make_article(title="Fresh airship", body="An airship after the import.")
    assert search_index.pending() == before
    assert titles("airship") == {"Fresh airship"}


def test_the_import_asks_the_worker_to_catch_up_when_it_commits(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service.import_path(bulk_file(tmp_path, MANY))
    assert callbacks  # the task was enqueued on commit (the test backend runs it at once)
    assert search_index.pending() == 0
    assert len(titles("zeppelin")) == MANY


@pytest.mark.django_db(transaction=True)
def test_deferring_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside a transaction"), search_index.deferred():
        pass


@pytest.mark.django_db(transaction=True)
def test_two_workers_catching_up_at_once_index_each_article_once(tmp_path, monkeypatch):
    """Two threads, each with its own connection, index the same queue at the same time:
    together they index every article exactly once (PostgreSQL: SKIP LOCKED; SQLite:
    the write lock takes turns)."""
    monkeypatch.setattr(search_index, "schedule_catch_up", lambda: None)  # no task: race
    service.import_path(bulk_file(tmp_path, 3 * MANY))
    assert search_index.pending() == 3 * MANY
    outcomes = race(lambda: search_index.catch_up(size=10), lambda: search_index.catch_up(size=10))
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert sum(count for _, count in outcomes) == 3 * MANY
    assert search_index.pending() == 0
    assert len(titles("zeppelin")) == 3 * MANY
    assert fts_is_consistent()


def test_an_empty_result_while_indexing_says_to_search_again(
    tmp_path, monkeypatch, reviewer_client
):
    service.import_path(bulk_file(tmp_path, MANY))
    monkeypatch.setattr(search_index, "CATCH_UP_ON_SEARCH", 0)
    page = reviewer_client.get(reverse("article-list"), {"q": "zeppelin"}).content.decode()
    assert "No indexed article matches yet" in page and "Search again" in page
    assert "No articles match." not in page
