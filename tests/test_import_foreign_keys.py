"""A bulk file on SQLite is stored with the connection's per-row foreign-key checks off and
its new rows' keys checked once per transaction (importers/foreign_keys.py): the same
refusal for a dangling key, nothing stored, and the connection's checks back on after."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection

from annotations.importers import file_store, foreign_keys, service
from annotations.importers.file_store import FileStore
from annotations.models import Label, Membership
from tests.import_helpers import stored

MANY = file_store.DEFER_SEARCH_INDEX_FROM

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite only: PostgreSQL checks its keys itself"
)


def spanned_file(tmp_path, count: int):
    # A transactional test's database is flushed after it, data migrations' labels too.
    Label.objects.get_or_create(slug="claim", defaults={"name": "Claim"})
    text = "Kirby said the talks are advancing, and Moscow denied it."
    lines = [
        json.dumps(
            {
                "title": f"Bulletin {i}",
                "body": f"{text} Number {i}.",
                "spans": [{"start": 11, "end": 34, "label": "claim", "speaker": "Kirby"}],
            }
        )
        for i in range(count)
    ]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def foreign_keys_on() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_bulk_file_is_stored_with_checks_off_and_verified(tmp_path, monkeypatch):
    seen = []
    verify = foreign_keys.Checker.verify

    def spy(checker):
        seen.append((checker.active, foreign_keys_on()))
        verify(checker)

    monkeypatch.setattr(foreign_keys.Checker, "verify", spy)
    result = service.import_path(spanned_file(tmp_path, MANY))
    assert not result.reason
    assert stored()[:2] == (MANY, MANY)
    assert seen == [(True, False)]  # verified once, with SQLite's own checks off
    assert foreign_keys_on()  # and put back on


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_dangling_key_refuses_the_file_and_stores_nothing(tmp_path, monkeypatch):
    looked_up = FileStore._look_up_labels

    def wrong_label_ids(store, records):
        looked_up(store, records)
        store.labels = dict.fromkeys(store.labels, 999_999)  # no such label

    monkeypatch.setattr(FileStore, "_look_up_labels", wrong_label_ids)
    before = stored()
    result = service.import_path(spanned_file(tmp_path, MANY))
    assert result.refused_lines == []
    assert result.reason.startswith("The database refused the file")
    assert "nothing of it was stored" in result.reason
    assert stored() == before
    assert foreign_keys_on()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_checker_names_the_table_and_column_of_a_dangling_key():
    user = User.objects.create_user("rita")
    checker = foreign_keys.Checker(connection, active=True)
    checker.begin()
    checker.verify()  # nothing added yet: nothing dangles
    connection.disable_constraint_checking()
    try:
        Membership.objects.bulk_create([Membership(collection_id=999_999, user=user)])
        with pytest.raises(IntegrityError, match=r"annotations_membership\.collection_id"):
            checker.verify()
        checker.begin()  # a new transaction's rows only: the earlier one is not its own
        checker.verify()
    finally:
        Membership.objects.all().delete()
        connection.enable_constraint_checking()


@pytest.mark.django_db
def test_inside_an_outer_transaction_the_databases_own_checks_stay_on(tmp_path):
    with foreign_keys.checked_per_transaction(connection, bulk=True) as checker:
        assert not checker.active
    result = service.import_path(spanned_file(tmp_path, MANY))
    assert len(result.created) == MANY


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_small_file_keeps_sqlites_own_checks(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(
        foreign_keys.Checker, "verify", lambda checker: seen.append(foreign_keys_on())
    )
    service.import_path(spanned_file(tmp_path, 3))
    assert seen == [True]
