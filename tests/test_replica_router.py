"""Reads off the primary (factcheck/db_router.py): with a replica configured, exports and
the export page's counts read from it, and every write still goes to "default".

The replica is a second database with the same schema and DIFFERENT rows (PostgreSQL: a
second database on the same server, fc_h13_replica for DATABASE_URL .../fc_h13; SQLite: a
second file), so an export that shows the replica's rows proves where it read them. A
TEST MIRROR would not: it holds the same rows.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from django.urls import reverse

from annotations.models import Article, ExportRecord, Label
from factcheck.db_router import REPLICA, read_alias, reading_from_replica
from tests.factories import make_article

ON_POSTGRES = connection.vendor == "postgresql"
both = pytest.mark.django_db(databases=["default", REPLICA])


def _admin_dsn(settings_dict: dict) -> str:
    parts = {
        "host": settings_dict.get("HOST") or "",
        "port": settings_dict.get("PORT") or "",
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
        "dbname": "postgres",
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


def test_without_a_replica_the_block_reads_the_primary(db):
    """Run first in this module: before the replica fixture adds the alias."""
    assert REPLICA not in connections.settings
    make_article(title="Primary")
    with reading_from_replica():
        assert read_alias() == "default"
        assert Article.objects.filter(title="Primary").exists()


class EverythingToTheReplica:
    def db_for_read(self, model, **hints):
        return REPLICA

    db_for_write = db_for_read


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker, tmp_path_factory):
    """A migrated second database, added as the "replica" alias for this module."""
    default = connections["default"].settings_dict
    config = {**default, "OPTIONS": {**default.get("OPTIONS", {})}}
    config["TEST"] = {**default["TEST"], "MIRROR": None}
    if ON_POSTGRES:
        import psycopg

        config["OPTIONS"].pop("pool", None)
        name = default["NAME"].removeprefix("test_") + "_replica"
        with psycopg.connect(_admin_dsn(default), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    else:
        name = str(tmp_path_factory.mktemp("replica") / "replica.sqlite3")
    config["NAME"] = name
    with django_db_blocker.unblock():
        connections.settings[REPLICA] = config
        # Some data migrations query through the router rather than their connection:
        # while the replica is built, everything goes to it.
        with override_settings(DATABASE_ROUTERS=[f"{__name__}.EverythingToTheReplica"]):
            call_command("migrate", database=REPLICA, verbosity=0)
    yield name
    with django_db_blocker.unblock():
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        if ON_POSTGRES:
            import psycopg

            with psycopg.connect(_admin_dsn(default), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def two_worlds(replica, editor):
    """One article on the primary, two others on the replica (inside the test's
    transactions on both, so they are rolled back)."""
    make_article("The primary says the bridge is safe.", title="Only on the primary")
    for n in (1, 2):
        Article.objects.using(REPLICA).create(
            title=f"Only on the replica {n}", body=f"Replica article {n} says the bridge is safe."
        )


def download(client, **query) -> str:
    response = client.get(reverse("export-download"), query)
    return b"".join(response.streaming_content).decode("utf-8")


@both
@pytest.mark.parametrize("export_format", ["jsonl", "doccano"])
def test_a_download_reads_the_replica(editor_client, two_worlds, export_format):
    body = download(editor_client, format=export_format)
    assert "Only on the replica 1" in body and "Only on the replica 2" in body
    assert "Only on the primary" not in body


@both
def test_the_export_record_is_written_to_the_primary(editor_client, two_worlds):
    download(editor_client, format="jsonl")
    record = ExportRecord.objects.using("default").get()
    assert record.articles == 2  # what the replica holds
    assert not ExportRecord.objects.using(REPLICA).exists()


@both
def test_the_page_counts_read_the_replica(editor_client, two_worlds):
    html = editor_client.get(reverse("export")).content.decode()
    assert "<strong>2</strong> articles" in html


@both
def test_the_background_job_reads_the_replica(editor_client, two_worlds, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    editor_client.get(reverse("export-download"), {"format": "jsonl", "background": "on"})
    record = ExportRecord.objects.using("default").get()
    assert record.status == ExportRecord.Status.DONE, record.error
    assert record.articles_total == record.articles == 2
    body = (tmp_path / record.storage_path).read_text(encoding="utf-8")
    assert "Only on the replica 1" in body and "Only on the primary" not in body


@both
def test_the_command_reads_the_replica(two_worlds, tmp_path):
    out = tmp_path / "out.jsonl"
    call_command("export_dataset", "-o", str(out), stderr=io.StringIO())
    body = out.read_text(encoding="utf-8")
    assert "Only on the replica 2" in body and "Only on the primary" not in body
    assert ExportRecord.objects.using("default").get().articles == 2


@both
def test_writes_inside_the_block_go_to_the_primary(two_worlds):
    with reading_from_replica():
        assert read_alias() == REPLICA
        assert Article.objects.filter(title__startswith="Only on the replica").count() == 2
        Label.objects.create(slug="written-while-reading", name="Written while reading")
    assert Label.objects.using("default").filter(slug="written-while-reading").exists()
    assert not Label.objects.using(REPLICA).filter(slug="written-while-reading").exists()


@both
def test_outside_the_block_reads_stay_on_the_primary(two_worlds):
    assert read_alias() == "default"
    assert list(Article.objects.values_list("title", flat=True)) == ["Only on the primary"]
