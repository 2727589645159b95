"""Background exports (annotations/exporters/jobs.py): queued from the page, claimed once by
the worker, written to the "exports" storage with their counts and SHA-256, a progress
fragment while they run, and a clear message when they fail."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from annotations.exporters import jobs
from annotations.exporters.progress import TerminalProgress
from annotations.exporters.query import ExportStats
from annotations.models import ExportRecord
from tests.races import needs_postgresql, race
from tests.test_exporters import build_dataset

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _exports_in_tmp(exports_in_tmp):
    """Background exports write under this test's tmp_path (tests/conftest.py)."""


@pytest.fixture
def dataset(db):
    return build_dataset()


@pytest.fixture
def migration_rows(transactional_db):
    """A flushed database has lost the labels and groups that migrations create."""
    from tests.migration_rows import restore_migration_rows

    restore_migration_rows()


def ask_in_background(client, **query):
    return client.get(reverse("export-download"), {"background": "on", **query})


def stored_bytes(record: ExportRecord) -> bytes:
    with jobs.export_storage().open(record.storage_path, "rb") as handle:
        return handle.read()


def test_the_immediate_backend_writes_the_file_to_storage(editor_client, editor, dataset):
    response = ask_in_background(editor_client, format="csv", labels="claim")
    record = ExportRecord.objects.get()
    assert response.status_code == 302
    assert record.via == ExportRecord.Via.BACKGROUND
    assert record.status == ExportRecord.Status.DONE, record.error
    assert record.created_by == editor
    assert record.task_id
    body = stored_bytes(record)
    assert record.storage_path.startswith(f"{record.pk}/")
    assert record.storage_path.endswith(record.file_name)
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert record.size_bytes == len(body)
    assert record.articles_total == record.articles_done == record.articles
    # The same bytes as the streamed download of the same export.
    streamed = editor_client.get(reverse("export-download"), {"format": "csv", "labels": "claim"})
    assert b"".join(streamed.streaming_content) == body


def test_an_export_over_the_threshold_is_offered_in_the_background(
    editor_client, settings, dataset
):
    settings.FACTCHECK_EXPORT_BACKGROUND_SPANS = 2
    html = editor_client.get(reverse("export"), {"format": "jsonl"}).content.decode()
    assert '<input type="hidden" name="background" value="on">' in html
    assert "prepared in the background" in html
    settings.FACTCHECK_EXPORT_BACKGROUND_SPANS = 1000
    html = editor_client.get(reverse("export"), {"format": "jsonl"}).content.decode()
    assert 'name="background" value="on"' not in html


def test_the_page_shows_progress_then_the_file(editor_client, editor, dataset):
    with override_settings(TASKS=DB_BACKEND):
        response = ask_in_background(editor_client, format="jsonl")
    record = ExportRecord.objects.get()
    assert record.status == ExportRecord.Status.QUEUED
    page = editor_client.get(response["Location"]).content.decode()
    assert "Waiting for the export worker" in page
    assert f'hx-get="{reverse("export-record", args=[record.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page
    ExportRecord.objects.filter(pk=record.pk).update(
        status=ExportRecord.Status.RUNNING, articles_total=4, articles_done=1
    )
    fragment = editor_client.get(
        reverse("export-record", args=[record.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment
    assert 'value="25"' in fragment and "1 of 4 articles written" in fragment
    ExportRecord.objects.filter(pk=record.pk).update(status=ExportRecord.Status.QUEUED)
    assert jobs.run_job(record.pk)
    fragment = editor_client.get(
        reverse("export-record", args=[record.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "every 1s" not in fragment  # polling stops
    assert "Export ready" in fragment
    assert reverse("export-record-download", args=[record.pk]) in fragment


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_and_its_worker_run_the_export(migration_rows, client):
    build_dataset()
    from tests.factories import make_user

    client.force_login(make_user("edith", role="editor"))
    with override_settings(TASKS=DB_BACKEND):
        ask_in_background(client, format="conll")
        record = ExportRecord.objects.get()
        assert record.status == ExportRecord.Status.QUEUED
        from django_tasks_db.models import DBTaskResult

        assert DBTaskResult.objects.filter(pk=record.task_id).exists()
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
        record.refresh_from_db()
        assert record.status == ExportRecord.Status.DONE, record.error
        assert DBTaskResult.objects.get(pk=record.task_id).status == "SUCCESSFUL"
    assert record.sha256 == hashlib.sha256(stored_bytes(record)).hexdigest()


def test_running_a_job_twice_is_a_no_op(editor_client, dataset):
    ask_in_background(editor_client, format="jsonl")
    record = ExportRecord.objects.get()
    before = (record.sha256, record.storage_path, record.finished_at)
    assert jobs.run_job(record.pk) is False
    record.refresh_from_db()
    assert (record.sha256, record.storage_path, record.finished_at) == before
    assert len(jobs.export_storage().listdir(str(record.pk))[1]) == 1


def test_a_failed_job_shows_its_error(editor_client, dataset, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
        yield  # pragma: no cover

    monkeypatch.setattr(jobs, "export_stream", broken)
    ask_in_background(editor_client, format="jsonl")
    record = ExportRecord.objects.get()
    assert record.status == ExportRecord.Status.FAILED
    assert record.error == jobs.FAILED_MESSAGE
    assert record.storage_path == "" and record.sha256 == ""
    page = editor_client.get(reverse("export-record", args=[record.pk])).content.decode()
    assert "The export failed" in page and "Nothing was stored: run it again." in page
    assert "disk on fire" not in page  # the traceback goes to the log, not the page
    response = editor_client.get(reverse("export-record-download", args=[record.pk]))
    assert response.status_code == 410


def test_a_job_runs_with_the_workers_objects_frozen_and_gives_them_back(
    editor_client, dataset, monkeypatch
):
    """The worker's own objects are out of the collector's reach while the rows are
    written (exporters/frozen.py), and collectable again after, also when it fails."""
    import gc

    real, frozen = jobs.export_stream, []

    def watching(*args, **kwargs):
        frozen.append(gc.get_freeze_count())
        yield from real(*args, **kwargs)

    monkeypatch.setattr(jobs, "export_stream", watching)
    ask_in_background(editor_client, format="jsonl")
    assert ExportRecord.objects.get().status == ExportRecord.Status.DONE
    assert frozen[0] > 10_000 and gc.get_freeze_count() == 0

    def failing(*args, **kwargs):
        frozen.append(gc.get_freeze_count())
        raise RuntimeError("disk on fire")
        yield  # pragma: no cover

    monkeypatch.setattr(jobs, "export_stream", failing)
    ask_in_background(editor_client, format="csv")
    assert frozen[1] > 10_000 and gc.get_freeze_count() == 0


def test_a_job_whose_filters_no_longer_hold_fails_with_the_reason(editor_client, dataset):
    with override_settings(TASKS=DB_BACKEND):
        ask_in_background(editor_client, format="jsonl", collection="")
    record = ExportRecord.objects.get()
    form = dict(record.options["form"], collection=["gone-collection"])
    ExportRecord.objects.filter(pk=record.pk).update(options={**record.options, "form": form})
    assert jobs.run_job(record.pk)
    record.refresh_from_db()
    assert record.status == ExportRecord.Status.FAILED
    assert "There is no collection “gone-collection”" in record.error


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_the_command_draws_a_progress_bar_only_on_a_terminal():
    stats = ExportStats()
    assert TerminalProgress.for_stream(io.StringIO(), stats) is None
    assert TerminalProgress.for_stream(FakeTerminal(), stats, data_on_same_terminal=True) is None
    terminal = FakeTerminal()
    progress = TerminalProgress.for_stream(terminal, stats)
    progress.total = 2

    def chunks():
        stats.articles = 1
        yield "a"
        stats.articles = 2
        yield "b"

    assert list(progress.follow(chunks())) == ["a", "b"]
    drawn = terminal.getvalue()
    assert drawn.startswith("\r[") and drawn.endswith("100%  2/2 articles\n")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_an_export_once(migration_rows, editor):
    """Two workers handed the same job at the same moment: one claims it, the other
    leaves it alone; one file is stored."""
    build_dataset()
    with override_settings(TASKS=DB_BACKEND):
        from django.http import QueryDict

        from annotations.exporters.records import form_data_as_json

        record = ExportRecord.objects.create(
            created_by=editor,
            via=ExportRecord.Via.BACKGROUND,
            format="jsonl",
            file_name="race.jsonl",
            options={"gzip": False, "form": form_data_as_json(QueryDict("format=jsonl"))},
        )
    outcomes = race(lambda: jobs.run_job(record.pk), lambda: jobs.run_job(record.pk))
    assert sorted(value for _, value in outcomes) == [False, True], outcomes
    record.refresh_from_db()
    assert record.status == ExportRecord.Status.DONE, record.error
    assert len(jobs.export_storage().listdir(str(record.pk))[1]) == 1


def _export_left_running(minutes_ago: int) -> ExportRecord:
    """A background export as a worker killed `minutes_ago` left it."""
    from datetime import timedelta

    from django.utils import timezone

    then = timezone.now() - timedelta(minutes=minutes_ago)
    return ExportRecord.objects.create(
        via=ExportRecord.Via.BACKGROUND,
        status=ExportRecord.Status.RUNNING,
        format="jsonl",
        file_name="factcheck-all.jsonl",
        started_at=then,
        heartbeat_at=then,
        articles_total=10,
        articles_done=4,
    )


def test_an_export_whose_worker_was_killed_is_shown_failed(editor_client, settings):
    settings.FACTCHECK_JOB_STALLED_SECONDS = 600
    dead, alive = _export_left_running(11), _export_left_running(1)
    page = editor_client.get(reverse("export-record", args=[dead.pk])).content.decode()
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == ExportRecord.Status.FAILED
    assert dead.error == jobs.STALLED_MESSAGE.format(minutes=10)
    assert "The export failed" in page and "made no progress for 10 minutes" in page
    assert alive.status == ExportRecord.Status.RUNNING  # still beating: left alone
    listed = editor_client.get(reverse("export-records"))
    assert listed.status_code == 200


def test_the_worker_reaps_a_stalled_export_before_its_next_one(editor_client, dataset, settings):
    settings.FACTCHECK_JOB_STALLED_SECONDS = 60
    dead = _export_left_running(5)
    ask_in_background(editor_client, format="jsonl")  # the immediate backend runs it now
    dead.refresh_from_db()
    assert dead.status == ExportRecord.Status.FAILED
    fresh = ExportRecord.objects.exclude(pk=dead.pk).get()
    assert fresh.status == ExportRecord.Status.DONE
    assert fresh.heartbeat_at is not None


def test_a_job_whose_maker_was_deleted_before_it_ran_exports_nothing(client, dataset):
    """Queued by a reviewer given the export right, whose account is deleted before the
    worker gets to it: run with no maker it would hold every span, those blind review hid
    from them too; it fails with a message instead, and no file is written."""
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    maker = make_user("gone_soon", role="reviewer")
    maker.user_permissions.add(Permission.objects.get(codename="export_dataset"))
    client.force_login(maker)
    with override_settings(TASKS=DB_BACKEND):
        ask_in_background(client, format="jsonl")
    record = ExportRecord.objects.get()
    maker.delete()
    assert jobs.run_job(record.pk)
    record.refresh_from_db()
    assert record.status == ExportRecord.Status.FAILED
    assert record.error == jobs.MAKER_GONE_MESSAGE
    assert not record.storage_path
