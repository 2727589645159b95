"""An import that loses a race on PostgreSQL: another connection stores the same text
while the file's rows are being copied in (bulk_copy.py). The database's refusal comes out
of COPY as psycopg's own exception unless Django wraps it; wrapped, the import's friendly
refusal runs (service.py) and nothing of the losing file is kept."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from annotations.importers import file_store, service
from annotations.models import Article
from tests.import_helpers import run, stored, write
from tests.races import needs_postgresql

REFUSED = (
    "The database refused the file (another import may have stored the same articles a "
    "moment ago); nothing of it was stored. Import it again."
)
REFUSED_IN_STEPS = (
    "The database refused part of the file (another import may have stored the same "
    "articles a moment ago); nothing of it was stored."
)


@pytest.fixture
def migration_rows(transactional_db):
    # A transactional test's database is flushed after it, the data migrations' rows too.
    from tests.migration_rows import restore_migration_rows

    restore_migration_rows()


def _jsonl(*bodies: str) -> str:
    return "".join(
        json.dumps({"title": f"Race {n}", "body": body}) + "\n" for n, body in enumerate(bodies)
    )


def _stored_elsewhere_after_the_look_up(monkeypatch, body: str) -> list[int]:
    """The file's texts are looked up (none is here yet), then another connection stores
    `body` and commits, before this import's COPY: as a second import of the same file
    that got there a moment earlier. Returns the other article's id once stored."""
    looked_up = file_store.existing_articles
    other: list[int] = []

    def then_another_import_stores_one(digests):
        found = looked_up(digests)
        if not other:

            def store():
                try:
                    other.append(Article.objects.create(title="The winner", body=body).pk)
                finally:
                    connection.close()

            thread = threading.Thread(target=store)
            thread.start()
            thread.join(timeout=30)
            assert other, "the other connection stored nothing"
        return found

    monkeypatch.setattr(file_store, "existing_articles", then_another_import_stores_one)
    return other


@needs_postgresql
@pytest.mark.parametrize("commit_each_chunk", [False, True], ids=["all-at-once", "in-steps"])
def test_a_unique_violation_inside_copy_is_the_friendly_refusal(
    migration_rows, tmp_path, monkeypatch, commit_each_chunk
):
    bodies = [f"Race text number {n}, stored by whichever import gets there first." for n in (1, 2)]
    loser = write(tmp_path / "loser.jsonl", _jsonl(*bodies))
    other = _stored_elsewhere_after_the_look_up(monkeypatch, bodies[1])
    before = stored()
    [result] = service.import_path_results(loser, commit_each_chunk=commit_each_chunk)
    assert result.reason == (REFUSED_IN_STEPS if commit_each_chunk else REFUSED)
    assert not result.created and not result.revised
    # Only the other connection's article is here: nothing of the losing file.
    assert list(Article.objects.values_list("pk", flat=True)) == other
    assert stored() == (before[0] + 1, before[1], before[2])  # no spans, no history of it
    # The connection is usable after the refusal: the same file again finds the text
    # stored and creates the other article.
    monkeypatch.undo()
    [again] = service.import_path_results(loser, commit_each_chunk=commit_each_chunk)
    assert not again.reason
    assert len(again.created) == 1 and len(again.already_present) == 1


@needs_postgresql
def test_the_command_reports_the_lost_race_and_imports_the_next_file(
    migration_rows, tmp_path, monkeypatch
):
    """The tester's repro: two `import_articles same.jsonl` at once; the loser printed
    psycopg's UniqueViolation traceback. Now it says what happened and goes on."""
    bodies = [f"Command race text {n}, the same file imported twice at once." for n in (1, 2)]
    loser = write(tmp_path / "a" / "same.jsonl", _jsonl(*bodies))
    good = write(tmp_path / "b" / "other.txt", "Fine\nA fine article beside it.")
    other = _stored_elsewhere_after_the_look_up(monkeypatch, bodies[0])
    lines = run(loser, good)
    assert lines[0] == f"refused: {loser}: {REFUSED}"
    assert lines[1] == f'created: {good} — "Fine"'
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Fine", "The winner"]
    assert Article.objects.get(title="The winner").pk == other[0]
