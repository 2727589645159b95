"""Imports as jobs: what the import page queues for the task worker, and the one loop
that imports a list of files and URLs for the page, the worker and the command alike.

- run_import() imports sources in order, telling a listener how far it got (the job's
  progress counters, or the command's progress bar). With `atomic` it is all or nothing:
  one refused file or line and everything is rolled back, the report kept.
- create_job() stores an upload's files under var/imports/<job id>/ (streamed to disk by
  Django's storage, never held whole) and describes them on an ImportJob row.
- run_job() is what the task runs. It claims the job with a conditional UPDATE (queued
  -> running), so a second run of the same job, on this worker or another machine's,
  exits at once; it never leaves a job "running" after a crash (the error is kept for
  the page, the traceback goes to the log); and it removes the job's files when done.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone

from .. import job_liveness, permissions
from ..models import Collection, ImportJob
from . import report, side_connection
from .reading import read_url
from .service import FileResult, import_path_results, imported_article_ids, store_read

logger = logging.getLogger(__name__)

# Progress is written at most this often while a file is stored (and after every file).
_PROGRESS_SECONDS = 0.5

STALLED_MESSAGE = (
    "The import stopped: the worker running it went away (it was restarted or stopped) "
    "and the import made no progress for {minutes} minutes. What it stored before it "
    "stopped is kept; import the rest again (articles already here are skipped)."
)
FAILED_MESSAGE = (
    "The import stopped because of an unexpected error; the administrators can find the "
    "details in the server log. Files finished before it are kept (see the report)."
)


def background_bytes() -> int:
    return getattr(settings, "FACTCHECK_IMPORT_BACKGROUND_BYTES", 256 * 1024)


def background_files() -> int:
    return getattr(settings, "FACTCHECK_IMPORT_BACKGROUND_FILES", 5)


def runs_in_background(*, total_bytes: int, files: int, urls: int) -> bool:
    """Small uploads are imported while the page waits; anything larger, and every URL
    (a fetch can take seconds), goes to the task worker."""
    return bool(urls) or files > background_files() or total_bytes > background_bytes()


# --- the loop ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One thing to import: a file on disk (shown under `name`) or a URL."""

    name: str
    path: Path | None = None
    url: str = ""


class Listener:
    """Told how an import goes; the default hears nothing."""

    def file_started(self, source: Source) -> None:
        pass

    def chunk_stored(self, result: FileResult) -> None:
        pass

    def file_finished(self, results: list[FileResult]) -> None:
        pass

    # A transaction per chunk of a file (when not all or nothing), so that the progress
    # this listener writes is seen while a large file imports.
    commit_each_chunk = False


@dataclass(slots=True)
class Outcome:
    results: list[FileResult] = field(default_factory=list)
    rolled_back: bool = False  # atomic and something was refused: nothing was kept

    @property
    def entries(self) -> list[dict]:
        return [report.file_entry(result) for result in self.results]


class _RollBack(Exception):
    pass


def run_import(
    sources: Iterable[Source],
    *,
    user=None,
    atomic: bool = False,
    listener: Listener | None = None,
    collection: Collection | None = None,
) -> Outcome:
    """Import the sources in order. `collection`: the one the new articles will join
    (add_to_collection, after), whose rating scale their spans' verdicts must be on."""
    listener = listener or Listener()
    outcome = Outcome()
    scale_id = collection.rating_scale_id if collection is not None else None
    try:
        with transaction.atomic() if atomic else nullcontext():
            for source in sources:
                listener.file_started(source)
                results = _import_source(
                    source,
                    user=user,
                    on_chunk=listener.chunk_stored,
                    in_steps=listener.commit_each_chunk and not atomic,
                    scale_id=scale_id,
                )
                outcome.results.extend(results)
                listener.file_finished(results)
            if atomic and any(result.has_problems for result in outcome.results):
                raise _RollBack
    except _RollBack:
        outcome.rolled_back = True
    return outcome


def _import_source(
    source: Source, *, user, on_chunk, in_steps: bool, scale_id: int | None
) -> list[FileResult]:
    if source.url:
        read = read_url(source.url)
        return [
            store_read(
                read, user=user, on_chunk=on_chunk, commit_each_chunk=in_steps, scale_id=scale_id
            )
        ]
    # Read under the name it was uploaded with, not where the worker keeps it.
    return import_path_results(
        source.path,
        user=user,
        on_chunk=on_chunk,
        name=source.name,
        commit_each_chunk=in_steps,
        scale_id=scale_id,
    )


def add_to_collection(
    outcome: Outcome, collection: Collection | None, *, importer=None
) -> dict | None:
    """Every article the files hold joins the collection; what happened, for the report.

    An article the files hold that was already here (same text) joins only if the person
    who imported may hand it on (permissions.collection_article_refusals, the rule the
    collection page's "Add articles" follows): else uploading its text again would put
    an article they may not open, or see only in part, into a collection they edit. The
    command line (no `importer`) is the operator's and adds them all."""
    if collection is None or outcome.rolled_back:
        return None
    from ..services.collections import articles_add

    ids = imported_article_ids(outcome.results)
    kept_out = permissions.collection_article_refusals(importer, ids) if importer else {}
    allowed = [pk for pk in ids if pk not in kept_out]
    added = articles_add(collection=collection, article_ids=allowed, actor=None) if allowed else 0
    return {
        "name": collection.name,
        "slug": collection.slug,
        "added": added,
        "already": len(allowed) - added,
        "kept_out": len(kept_out),
    }


# --- jobs ----------------------------------------------------------------------------------


def job_folder(job_id) -> Path:
    return Path(settings.VAR_DIR) / "imports" / str(job_id)


def create_job(*, user, uploads, urls: list[str], collection, atomic: bool) -> ImportJob:
    """A queued job holding the uploaded files (stored under var/imports/<id>/)."""
    job = ImportJob.objects.create(
        created_by=user if getattr(user, "is_authenticated", False) else None,
        status=ImportJob.Status.QUEUED,
    )
    storage = FileSystemStorage(location=job_folder(job.pk))
    files = []
    for number, upload in enumerate(uploads, start=1):
        # Stored under a number (the name is only shown): no name can climb out.
        stored = storage.save(f"{number:05}{Path(upload.name).suffix.lower()[:10]}", upload)
        files.append({"name": upload.name, "stored": stored, "size": upload.size})
    names = [f["name"] for f in files] + list(urls)
    job.description = _describe(names)
    job.options = {
        "files": files,
        "urls": list(urls),
        "collection": collection.slug if collection is not None else "",
        "atomic": atomic,
    }
    job.files_total = len(files) + len(urls)
    job.bytes_total = sum(f["size"] for f in files)
    job.save(update_fields=["description", "options", "files_total", "bytes_total"])
    return job


def _describe(names: list[str]) -> str:
    if len(names) <= 3:
        return ", ".join(names)[:500]
    return f"{', '.join(names[:3])} and {len(names) - 3} more"[:500]


def enqueue(job: ImportJob) -> None:
    """Hand the job to the task worker (or, with the immediate backend, run it now)."""
    from ..tasks import run_import_job

    result = run_import_job.enqueue(str(job.pk))
    ImportJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])


def claim(job_id) -> bool:
    """queued -> running, for exactly one caller."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
        )
    )


def reap_stalled() -> int:
    """Mark failed the running jobs whose worker went away (job_liveness.py); their files
    are removed, what they stored before is kept, as after any failure. An all-or-nothing
    import writes its progress inside its one transaction, unseen: it is bounded by the
    upload limit, far shorter than the silence that counts as stalled."""
    message = STALLED_MESSAGE.format(minutes=job_liveness.stalled_minutes())
    ids = job_liveness.reap_stalled(ImportJob, message=message)
    for job_id in ids:
        shutil.rmtree(job_folder(job_id), ignore_errors=True)
    return len(ids)


def run_job(job_id) -> bool:
    """Run a queued job to the end; False when it was not queued (already claimed)."""
    reap_stalled()  # a job a killed worker left "running" is marked failed, not left so
    if not claim(job_id):
        logger.info("Import job %s was already claimed; not running it again.", job_id)
        return False
    progress = None
    try:
        job = ImportJob.objects.select_related("created_by").get(pk=job_id)
        progress = JobProgress(job)
        folder = job_folder(job.pk)
        sources = [
            Source(name=f["name"], path=folder / f["stored"]) for f in job.options.get("files", [])
        ] + [Source(name=url, url=url) for url in job.options.get("urls", [])]
        slug = job.options.get("collection") or ""
        collection = Collection.objects.filter(slug=slug).first() if slug else None
        outcome = run_import(
            sources,
            user=job.created_by,
            atomic=progress.all_or_nothing,
            listener=progress,
            collection=collection,
        )
        joined = add_to_collection(outcome, collection, importer=job.created_by)
        progress.finish(outcome, joined)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        fields = {"status": ImportJob.Status.FAILED, "finished_at": timezone.now()}
        ImportJob.objects.filter(pk=job_id).update(error=FAILED_MESSAGE, **fields)
    finally:
        if progress is not None:
            progress.close()
        shutil.rmtree(job_folder(job_id), ignore_errors=True)
    return True


class JobProgress(Listener):
    """Writes the job's counters as the import goes, each write its own small UPDATE (the
    page polls them). Within a file only every _PROGRESS_SECONDS; after each file always."""

    commit_each_chunk = True

    def __init__(self, job: ImportJob):
        self.job = job
        self.done: list[FileResult] = []  # every file finished so far
        self.current: FileResult | None = None
        self.files_done = 0
        self.bytes_done = 0
        self._sizes = {f["name"]: f["size"] for f in job.options.get("files", [])}
        self._written_at = 0.0
        self.all_or_nothing = bool(job.options.get("atomic"))
        self._aside = side_connection.SideConnection()

    def chunk_stored(self, result: FileResult) -> None:
        self.current = result
        if time.monotonic() - self._written_at >= _PROGRESS_SECONDS:
            self._write()

    def file_started(self, source: Source) -> None:
        self._source = source

    def file_finished(self, results: list[FileResult]) -> None:
        self.current = None
        self.done.extend(results)
        self.files_done += 1
        self.bytes_done += self._sizes.get(self._source.name, 0)
        self._write(report_entries=[report.file_entry(r) for r in self.done])

    def counters(self) -> dict:
        results = [*self.done, *([self.current] if self.current else [])]
        # Within a streamed file, how far it has been read: a single large file's bar moves.
        reading = 0
        if self.current is not None:
            reading = min(self.current.bytes_read, self._sizes.get(self._source.name, 0))
        return {
            "files_done": self.files_done,
            "bytes_done": self.bytes_done + reading,
            "lines_done": sum(r.lines for r in results),
            "articles_created": sum(len(r.created) for r in results),
            "articles_present": sum(len(r.already_present) for r in results),
            "articles_revised": sum(len(r.revised) for r in results),
            "spans_created": sum(r.spans for r in results),
            "problems": sum(r.refused_count for r in results),
        }

    def _write(self, report_entries: list[dict] | None = None) -> None:
        fields = self.counters()
        fields["heartbeat_at"] = timezone.now()
        if report_entries is not None:
            fields["report"] = report_entries
        if not self.all_or_nothing:
            ImportJob.objects.filter(pk=self.job.pk).update(**fields)
        elif side_connection.possible():
            # The import's one transaction is open: written beside it (side_connection.py).
            self._aside.update(ImportJob, self.job.pk, fields)
        # Else SQLite, all or nothing: nothing can be written until the import ends.
        self._written_at = time.monotonic()

    def close(self) -> None:
        self._aside.close()

    def finish(self, outcome: Outcome, joined: dict | None) -> None:
        options = {**self.job.options, "rolled_back": outcome.rolled_back, "joined": joined}
        fields = self.counters()
        if outcome.rolled_back:
            # All or nothing, and something was refused: nothing was kept.
            fields.update(articles_created=0, articles_revised=0, spans_created=0)
        ImportJob.objects.filter(pk=self.job.pk).update(
            status=ImportJob.Status.DONE,
            finished_at=timezone.now(),
            report=outcome.entries,
            options=options,
            **fields,
        )
