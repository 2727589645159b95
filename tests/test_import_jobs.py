"""Issue 9, background imports: jobs with progress, claimed once, never left running,
their files removed; the real django-tasks-db worker path; two workers on PostgreSQL."""

from __future__ import annotations

import json
import os
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from annotations.importers import jobs
from annotations.models import Article, ImportJob

from .factories import make_user
from .import_helpers import stored

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def job_files_in_tmp(settings, tmp_path):
    """Uploaded files wait under VAR_DIR/imports/: a temporary one in tests (a job a test
    queues and never runs would otherwise leave its file in var/)."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def migration_rows(transactional_db):
    """A transactional test runs on a flushed database: put back the groups and labels
    the data migrations make (the editor fixture needs its group)."""
    from tests.migration_rows import restore_migration_rows

    restore_migration_rows()


def upload(name: str, data: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode())


def bulk(count: int, prefix: str = "Article") -> str:
    return "\n".join(
        json.dumps({"title": f"{prefix} {i}", "body": f"{prefix} body {i}."}) for i in range(count)
    )


def queued_job(user, files, **options):
    return jobs.create_job(
        user=user,
        uploads=files,
        urls=options.get("urls", []),
        collection=None,
        atomic=options.get("atomic", False),
    )


@pytest.mark.django_db
def test_a_large_upload_becomes_a_job_and_the_browser_goes_to_its_page(
    editor_client, editor, settings
):
    """Above the background threshold the upload is queued (here the immediate backend
    runs it at once) and the browser is sent to the job's page, which shows the report."""
    settings.FACTCHECK_IMPORT_BACKGROUND_BYTES = 10
    response = editor_client.post("/import/", {"files": [upload("many.jsonl", bulk(3))]})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import-job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE
    assert (job.articles_created, job.files_done, job.files_total) == (3, 1, 1)
    assert job.created_by == editor
    assert job.report[0]["name"] == "many.jsonl"
    page = editor_client.get(response["Location"]).content.decode()
    assert "3 created" in page and "Article 0" in page
    assert not jobs.job_folder(job.pk).exists()  # the uploaded files are gone


@pytest.mark.django_db
def test_a_small_upload_is_imported_while_the_page_waits(editor_client):
    response = editor_client.post("/import/", {"files": [upload("one.txt", "One\nText.")]})
    assert response.status_code == 200
    assert "1 created" in response.content.decode()
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


@pytest.mark.django_db
def test_progress_fragment_polls_while_running_and_stops_when_done(editor_client, editor):
    job = queued_job(editor, [upload("a.txt", "A\nText.")])
    url = reverse("import-job-progress", args=[job.pk])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, lines_done=40, articles_created=7
    )
    running = editor_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in running and f'hx-get="{url}"' in running
    assert "40 lines read" in running and "7 created" in running
    assert "<progress" in running
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    jobs.run_job(job.pk)
    done = editor_client.get(url).content.decode()
    assert "hx-trigger" not in done
    assert "Report" in done and "1 created" in done


@pytest.mark.django_db
def test_a_job_runs_once(editor):
    job = queued_job(editor, [upload("a.jsonl", bulk(2))])
    assert jobs.run_job(job.pk) is True
    assert jobs.run_job(job.pk) is False  # already claimed: a second run exits
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_a_crash_leaves_the_job_failed_with_a_clear_message(editor, editor_client, monkeypatch):
    job = queued_job(editor, [upload("a.txt", "A\nText.")])

    def crash(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(jobs, "run_import", crash)
    before = stored()
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == jobs.FAILED_MESSAGE
    assert job.finished_at is not None
    assert stored() == before
    page = editor_client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert "The import failed" in page and jobs.FAILED_MESSAGE in page
    assert "secret internals" not in page and "Traceback" not in page
    assert not jobs.job_folder(job.pk).exists()


@pytest.mark.django_db
def test_recent_imports_show_own_jobs_and_editors_see_all(editor, editor_client):
    from django.contrib.auth.models import Permission
    from django.test import Client

    client = Client()
    importer = make_user("importer", role="none")
    importer.user_permissions.add(Permission.objects.get(codename="import_articles"))
    mine = queued_job(importer, [upload("mine.txt", "Mine\nText.")])
    theirs = queued_job(editor, [upload("theirs.txt", "Theirs\nText.")])
    client.force_login(importer)
    page = client.get(reverse("import-jobs")).content.decode()
    assert "mine.txt" in page and "theirs.txt" not in page
    assert client.get(reverse("import-job", args=[theirs.pk])).status_code == 404
    everything = editor_client.get(reverse("import-jobs")).content.decode()
    assert "mine.txt" in everything and "theirs.txt" in everything
    assert editor_client.get(reverse("import-job", args=[mine.pk])).status_code == 200


@pytest.mark.django_db
def test_the_report_escapes_markup_in_file_names_and_titles(editor_client):
    name = "<img src=x onerror=alert(1)>.jsonl"
    data = json.dumps({"title": "<script>alert(2)</script>", "body": "Body."})
    page = editor_client.post("/import/", {"files": [upload(name, data)]}).content.decode()
    assert "<script>alert(2)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_atomic_checkbox_imports_nothing_when_a_line_is_refused(editor_client):
    data = bulk(2) + "\n{broken"
    before = stored()
    response = editor_client.post("/import/", {"files": [upload("b.jsonl", data)], "atomic": "on"})
    page = response.content.decode()
    assert "All or nothing:" in page and "so nothing was imported" in page
    assert "Line 3: not valid JSON" in page
    assert stored() == before


# --- the real worker -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_and_its_worker_run_the_job(migration_rows, editor):
    """Enqueued on django-tasks-db's backend, the job waits (queued) until `db_worker`
    runs it; the worker claims the task row and the job is done."""
    with override_settings(TASKS=DB_BACKEND):
        job = queued_job(editor, [upload("w.jsonl", bulk(4, "Worker"))])
        jobs.enqueue(job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.QUEUED
        assert job.task_id
        from django_tasks_db.models import DBTaskResult

        assert DBTaskResult.objects.filter(pk=job.task_id).exists()
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.error
        assert job.articles_created == 4
        assert DBTaskResult.objects.get(pk=job.task_id).status == "SUCCESSFUL"
    assert Article.objects.filter(title__startswith="Worker").count() == 4


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (several workers, one database)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_process_a_job_once(migration_rows, editor):
    """Two threads (two database connections, as two workers on two machines) run the
    same job at the same moment: one claims it, the other exits; the articles exist once."""
    job = queued_job(editor, [upload("race.jsonl", bulk(20, "Race"))])
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(jobs.run_job(job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    assert Article.objects.filter(title__startswith="Race").count() == 20
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.articles_created == 20


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (SKIP LOCKED)")
@pytest.mark.django_db(transaction=True)
def test_two_db_workers_share_the_queue_without_running_a_task_twice(migration_rows, editor):
    """Two `db_worker` loops at once over three queued jobs: every job is done once."""
    with override_settings(TASKS=DB_BACKEND):
        queued = []
        for n in range(3):
            job = queued_job(editor, [upload(f"q{n}.jsonl", bulk(5, f"Queue{n}"))])
            jobs.enqueue(job)
            queued.append(job)

        def worker(name):
            # The worker loop of `db_worker` itself (its command installs signal
            # handlers, which only the main thread may).
            from django_tasks_db.management.commands.db_worker import Worker

            try:
                Worker(
                    queue_names=["default"],
                    interval=0,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=name,
                    excluded_queue_names=[],
                ).run()
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for n, job in enumerate(queued):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        assert Article.objects.filter(title__startswith=f"Queue{n} ").count() == 5


@pytest.mark.django_db(transaction=True)
def test_progress_within_a_large_file_is_committed_as_the_worker_goes(
    migration_rows, editor, monkeypatch
):
    """A job stores a file a chunk per transaction and writes its counters between
    chunks, outside any transaction, so the polling page sees them before the file ends."""
    from django.db import transaction

    monkeypatch.setattr(jobs, "_PROGRESS_SECONDS", 0)
    seen, read = [], []
    original = jobs.JobProgress._write

    def spy(self, report_entries=None):
        original(self, report_entries)
        if report_entries is None:  # a write between chunks, not after the file
            row = ImportJob.objects.get(pk=self.job.pk)
            seen.append((row.lines_done, row.articles_created, connection.in_atomic_block))
            read.append((row.bytes_done, row.bytes_total))

    monkeypatch.setattr(jobs.JobProgress, "_write", spy)
    job = queued_job(editor, [upload("big.jsonl", bulk(2500, "Chunked"))])
    assert transaction.get_autocommit()
    jobs.run_job(job.pk)
    assert seen[:2] == [(1000, 1000, False), (2000, 2000, False)]
    # The one file's bar moves as it is read (bytes of it read so far), not only at its end.
    (first, total), (second, _) = read[:2]
    assert 0 < first < second < total
    assert abs(first / total - 1000 / 2500) < 0.05  # the lines are all about as long
    job.refresh_from_db()
    assert (job.lines_done, job.articles_created) == (2500, 2500)


def _running_since(job, minutes_ago: int):
    """The job as a worker killed `minutes_ago` left it: claimed, last progress then."""
    from datetime import timedelta

    from django.utils import timezone

    then = timezone.now() - timedelta(minutes=minutes_ago)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=then,
        heartbeat_at=then,
        files_done=1,
        lines_done=40,
        articles_created=38,
    )


def test_a_job_whose_worker_was_killed_is_shown_failed_not_running_forever(
    editor, editor_client, settings
):
    settings.FACTCHECK_JOB_STALLED_SECONDS = 600
    dead = queued_job(editor, [upload("a.jsonl", bulk(3, "Dead"))])
    alive = queued_job(editor, [upload("b.jsonl", bulk(3, "Alive"))])
    _running_since(dead, minutes_ago=11)
    _running_since(alive, minutes_ago=2)

    page = editor_client.get(reverse("import-job", args=[dead.pk])).content.decode()
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == ImportJob.Status.FAILED
    assert dead.error == jobs.STALLED_MESSAGE.format(minutes=10)
    assert "The import failed" in page and "made no progress for 10 minutes" in page
    assert 'hx-trigger="every 1s"' not in page  # the page stops polling
    assert not jobs.job_folder(dead.pk).exists()  # its uploaded files are cleaned up
    assert dead.files_done == 1  # what it got through is still reported
    assert "Before it stopped: 1 of 1 file finished, 40 lines read, 38 articles created" in page
    assert alive.status == ImportJob.Status.RUNNING  # a job still beating is left alone
    assert jobs.job_folder(alive.pk).exists()


def test_the_worker_reaps_stalled_jobs_before_its_next_one(editor, settings):
    settings.FACTCHECK_JOB_STALLED_SECONDS = 60
    dead = queued_job(editor, [upload("a.jsonl", bulk(2, "Dead"))])
    _running_since(dead, minutes_ago=5)
    fresh = queued_job(editor, [upload("c.jsonl", bulk(2, "Fresh"))])
    jobs.run_job(fresh.pk)
    dead.refresh_from_db()
    fresh.refresh_from_db()
    assert dead.status == ImportJob.Status.FAILED
    assert fresh.status == ImportJob.Status.DONE


def test_progress_keeps_the_heartbeat_fresh(editor):
    job = queued_job(editor, [upload("a.jsonl", bulk(2, "Beat")), upload("b.txt", "B\nText.")])
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.heartbeat_at is not None and job.heartbeat_at >= job.started_at


def test_a_job_nobody_takes_says_the_worker_may_not_be_running(editor, editor_client):
    from datetime import timedelta

    from django.utils import timezone

    job = queued_job(editor, [upload("a.jsonl", bulk(2, "Waiting"))])
    url = reverse("import-job", args=[job.pk])
    assert "No import worker has taken" not in editor_client.get(url).content.decode()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    page = editor_client.get(url).content.decode()
    assert "No import worker has taken this import yet" in page and "db_worker" in page


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (a second writer beside the import)")
@pytest.mark.django_db(transaction=True)
def test_an_all_or_nothing_jobs_progress_is_seen_while_its_transaction_is_open(
    migration_rows, editor, monkeypatch
):
    """All or nothing keeps every file in one transaction; the counters are written
    beside it, on a connection of their own, so the page sees them before it ends."""
    from django.db import DEFAULT_DB_ALIAS, connections

    monkeypatch.setattr(jobs, "_PROGRESS_SECONDS", 0)
    outside = connections.create_connection(DEFAULT_DB_ALIAS)  # as the polling page is
    seen = []
    original = jobs.JobProgress._write

    def spy(self, report_entries=None):
        original(self, report_entries)
        if report_entries is None:
            with outside.cursor() as cursor:
                cursor.execute(
                    "SELECT lines_done, articles_created, heartbeat_at IS NOT NULL"
                    " FROM annotations_importjob WHERE id = %s",
                    [self.job.pk],
                )
                seen.append((*cursor.fetchone(), connection.in_atomic_block))

    monkeypatch.setattr(jobs.JobProgress, "_write", spy)
    job = queued_job(editor, [upload("big.jsonl", bulk(2500, "Whole"))], atomic=True)
    try:
        jobs.run_job(job.pk)
    finally:
        outside.close()
    assert seen[:2] == [(1000, 1000, True, True), (2000, 2000, True, True)]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.lines_done, job.articles_created) == (2500, 2500)
    assert Article.objects.filter(title__startswith="Whole ").count() == 2500


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only (one writer at a time)")
@pytest.mark.django_db(transaction=True)
def test_an_all_or_nothing_job_on_sqlite_runs_and_its_page_says_the_counts_come_at_the_end(
    migration_rows, editor, editor_client, monkeypatch
):
    monkeypatch.setattr(jobs, "_PROGRESS_SECONDS", 0)
    job = queued_job(editor, [upload("big.jsonl", bulk(2500, "Whole"))], atomic=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    page = editor_client.get(reverse("import-job-progress", args=[job.pk])).content.decode()
    assert "the counts appear when it is done" in page
    assert "line" not in page.split("import-counters", 1)[1].split("</p>", 1)[0]
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    jobs.run_job(job.pk)  # nothing is written beside its transaction: no lock to wait for
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.lines_done, job.articles_created) == (2500, 2500)
    page = editor_client.get(reverse("import-job-progress", args=[job.pk])).content.decode()
    assert "the counts appear when it is done" not in page


@pytest.mark.django_db
def test_a_running_job_that_is_not_all_or_nothing_shows_its_counters(editor, editor_client):
    job = queued_job(editor, [upload("a.jsonl", bulk(3))])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, lines_done=2)
    page = editor_client.get(reverse("import-job-progress", args=[job.pk])).content.decode()
    assert "2 lines read" in page
    assert "the counts appear when it is done" not in page


@pytest.mark.django_db(transaction=True)
def test_an_all_or_nothing_job_goes_on_when_its_progress_cannot_be_written(
    migration_rows, editor, monkeypatch
):
    from django.db import OperationalError

    from annotations.importers import side_connection

    def no_connection(alias):
        raise OperationalError("too many connections")

    monkeypatch.setattr(jobs, "_PROGRESS_SECONDS", 0)
    monkeypatch.setattr(side_connection, "possible", lambda: True)
    monkeypatch.setattr(side_connection.connections, "create_connection", no_connection)
    job = queued_job(editor, [upload("big.jsonl", bulk(1500, "Whole"))], atomic=True)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.lines_done, job.articles_created) == (1500, 1500)
    assert Article.objects.filter(title__startswith="Whole ").count() == 1500


@pytest.mark.django_db
@pytest.mark.parametrize(
    "broken,message",
    [
        ("", "ends before its array is closed"),  # the "]" is missing
        (' {"title": "Tail", "body": "after"} ]', "a “,” or “]” was expected"),
    ],
)
def test_a_job_stores_nothing_of_a_file_that_breaks_after_its_first_chunk(
    editor, editor_client, broken, message
):
    """A job commits a file chunk by chunk; a JSON array that breaks after 1,500 items
    (more than a chunk) must still store none of them, as the command does, and the other
    file of the upload imports."""
    items = ", ".join(
        json.dumps({"title": f"Broken {i}", "body": f"Broken body {i}."}) for i in range(1500)
    )
    job = queued_job(
        editor, [upload("broken.json", f"[{items}{broken}"), upload("fine.jsonl", bulk(2, "Fine"))]
    )
    before = Article.objects.count()
    jobs.run_job(job.pk)
    job.refresh_from_db()
    entries = {entry["name"]: entry for entry in job.report}
    assert message in entries["broken.json"]["reason"]
    assert "nothing of it was stored" in entries["broken.json"]["reason"]
    assert entries["broken.json"]["created"] == 0
    assert not Article.objects.filter(title__startswith="Broken").exists()
    assert entries["fine.jsonl"]["created"] == 2
    assert Article.objects.count() == before + 2
    page = editor_client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert "nothing of it was stored" in page
