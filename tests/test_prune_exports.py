"""manage.py prune_exports: finished exports older than DAYS go with their stored files,
finished import jobs as old with their leftover folders; queued and running ones stay;
--dry-run changes nothing; a bad --older-than is refused by name."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations.exporters.jobs import export_storage
from annotations.importers.jobs import job_folder
from annotations.models import ExportRecord, ImportJob

pytestmark = pytest.mark.django_db

Status = ExportRecord.Status


@pytest.fixture(autouse=True)
def _exports_in_tmp(exports_in_tmp, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def aged(obj, days: float):
    """created_at is auto_now_add: set it afterwards, as if made `days` ago."""
    type(obj).objects.filter(pk=obj.pk).update(created_at=timezone.now() - timedelta(days=days))
    return obj


def export(days: float, *, status=Status.DONE, size: int = 0):
    """An export made `days` ago; with a size, a stored file of that many bytes."""
    record = ExportRecord.objects.create(
        status=status, format="csv", file_name="spans.csv", size_bytes=size
    )
    if size:
        name = f"{record.pk}/spans.csv"
        record.storage_path = export_storage().save(name, ContentFile(b"x" * size))
        record.save(update_fields=["storage_path"])
    return aged(record, days)


def job(days: float, *, status=ImportJob.Status.DONE, leftover=False):
    made = ImportJob.objects.create(status=status, description="wire.jsonl")
    if leftover:
        job_folder(made.pk).mkdir(parents=True)
        (job_folder(made.pk) / "00001.jsonl").write_text("{}")
    return aged(made, days)


def prune(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("prune_exports", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def present(*objs) -> list[bool]:
    return [type(o).objects.filter(pk=o.pk).exists() for o in objs]


def stored(record) -> bool:
    return export_storage().exists(record.storage_path)


@pytest.fixture
def history():
    """Old and recent, finished and not: what the prune must tell apart."""
    return {
        "old_done": export(40, size=3000),
        "old_failed": export(31, status=Status.FAILED),
        "old_streamed": export(35, status=Status.INTERRUPTED, size=0),
        "old_second": export(60, size=2000),
        "recent": export(29, size=1000),
        "old_queued": export(90, status=Status.QUEUED),
        "old_running": export(90, status=Status.RUNNING, size=500),
        "job_done": job(45, leftover=True),
        "job_failed": job(31, status=ImportJob.Status.FAILED),
        "job_recent": job(2),
        "job_queued": job(90, status=ImportJob.Status.QUEUED, leftover=True),
        "job_running": job(90, status=ImportJob.Status.RUNNING),
    }


def test_old_finished_records_go_with_their_files(history):
    out, err = prune()
    assert out == "Removed 4 exports (4.9 KB) and 2 import jobs older than 30 days."
    assert err == ""
    gone = ["old_done", "old_failed", "old_streamed", "old_second", "job_done", "job_failed"]
    assert present(*(history[k] for k in gone)) == [False] * len(gone)
    assert not stored(history["old_done"]) and not stored(history["old_second"])
    assert not export_storage().exists(str(history["old_done"].pk))  # its folder too
    assert not job_folder(history["job_done"].pk).exists()
    kept = [k for k in history if k not in gone]
    assert present(*(history[k] for k in kept)) == [True] * len(kept)
    assert stored(history["recent"]) and stored(history["old_running"])
    assert job_folder(history["job_queued"].pk).exists()


def test_a_dry_run_says_the_same_and_removes_nothing(history):
    out, _ = prune("--dry-run")
    assert out == "Would remove 4 exports (4.9 KB) and 2 import jobs older than 30 days."
    assert all(present(*history.values()))
    assert stored(history["old_done"]) and stored(history["old_second"])
    assert job_folder(history["job_done"].pk).exists()
    # And the real run afterwards removes just what the dry run named.
    assert prune()[0].startswith("Removed 4 exports (4.9 KB) and 2 import jobs")


def test_older_than_sets_the_age(history):
    out, _ = prune("--older-than", "50")
    assert out == "Removed 1 export (2.0 KB) and 0 import jobs older than 50 days."
    assert present(history["old_second"], history["old_done"]) == [False, True]


def test_older_than_zero_takes_every_finished_one(history):
    out, _ = prune("--older-than=0")
    assert out == "Removed 5 exports (5.9 KB) and 3 import jobs older than 0 days."
    assert present(history["old_queued"], history["old_running"]) == [True, True]
    assert present(history["job_queued"], history["job_running"]) == [True, True]


def test_the_default_age_comes_from_the_settings(history, settings):
    settings.FACTCHECK_EXPORTS_KEEP_DAYS = 42
    out, _ = prune("--dry-run")
    assert out == "Would remove 1 export (2.0 KB) and 1 import job older than 42 days."


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "", "1e3", "99999999"])
def test_a_bad_age_is_refused_and_nothing_removed(history, value):
    with pytest.raises(CommandError, match="--older-than"):
        prune("--older-than", value)
    assert all(present(*history.values()))
    assert stored(history["old_done"])


def test_a_bad_setting_is_refused_by_its_name(history, settings):
    settings.FACTCHECK_EXPORTS_KEEP_DAYS = -5
    with pytest.raises(CommandError, match="FACTCHECK_EXPORTS_KEEP_DAYS"):
        prune()
    assert all(present(*history.values()))


def test_a_file_already_gone_does_not_stop_the_prune(db):
    record = export(40, size=100)
    export_storage().delete(record.storage_path)
    out, _ = prune()
    assert out == "Removed 1 export (100 bytes) and 0 import jobs older than 30 days."
    assert present(record) == [False]


def test_a_storage_that_refuses_keeps_the_record_for_next_time(db, monkeypatch):
    refused, fine = export(40, size=100), export(41, size=200)
    storage = export_storage()
    delete = storage.delete

    def refuse_one(name):
        if name == refused.storage_path:
            raise PermissionError(13, "Permission denied", name)
        delete(name)

    monkeypatch.setattr(storage, "delete", refuse_one)
    out, err = prune()
    assert out == "Removed 1 export (200 bytes) and 0 import jobs older than 30 days."
    assert "1 export kept" in err
    assert present(refused, fine) == [True, False]
    assert stored(refused)
