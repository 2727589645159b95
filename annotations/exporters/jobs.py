"""Exports prepared in the background: written to the "exports" storage by the task worker
and offered for download when done (the import jobs' design, importers/jobs.py).

- create_job() records what was asked (the form's data, validated again by the worker)
  as a queued ExportRecord, with the number of articles to expect (export_summary).
- run_job() is what the task runs. It claims the record with a conditional UPDATE
  (queued -> running), so a second run of the same job exits at once; streams the export
  through export_stream (reading off the replica when there is one) into a temporary file,
  hashing and counting as it writes, and updating articles_done in small UPDATEs at most
  every _PROGRESS_SECONDS; then hands the finished file to the storage. A temporary file
  first, because object storage (S3) wants a whole, seekable file to upload, and a half
  written export must never be offered. It never leaves a job "running" after a crash.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.utils import timezone

from factcheck.db_router import read_alias, read_from_replica, reading_from_replica

from .. import job_liveness
from ..models import ExportRecord
from . import export_stream
from .base import gzip_stream, utf8_stream
from .frozen import objects_so_far_frozen
from .query import ExportStats, export_summary
from .records import Digest, ExportRequest, form_data_from_json

logger = logging.getLogger(__name__)

_PROGRESS_SECONDS = 0.5

FAILED_MESSAGE = (
    "The export stopped because of an unexpected error; the administrators can find the "
    "details in the server log. Nothing was stored: run it again."
)
INVALID_MESSAGE = "The export's filters are no longer valid ({problem}). Nothing was stored."


def background_spans() -> int:
    return getattr(settings, "FACTCHECK_EXPORT_BACKGROUND_SPANS", 50_000)


def runs_in_background(*, spans: int, asked: bool) -> bool:
    """Asked for, or more spans than a download should keep a browser waiting for."""
    return asked or spans > background_spans()


def export_storage():
    return storages["exports"]


def create_job(request: ExportRequest, *, user, articles_total: int) -> ExportRecord:
    return ExportRecord.objects.create(
        created_by=user if getattr(user, "is_authenticated", False) else None,
        via=ExportRecord.Via.BACKGROUND,
        status=ExportRecord.Status.QUEUED,
        articles_total=articles_total,
        **request.record_fields(),
    )


def enqueue(record: ExportRecord) -> None:
    """Hand the job to the task worker (or, with the immediate backend, run it now)."""
    from ..tasks import run_export_job

    # The task id is set first: the immediate backend runs the job inside enqueue().
    result = run_export_job.enqueue(str(record.pk))
    ExportRecord.objects.filter(pk=record.pk, task_id="").update(task_id=str(result.id)[:64])


def claim(record_id) -> bool:
    """queued -> running, for exactly one caller."""
    return bool(
        ExportRecord.objects.filter(pk=record_id, status=ExportRecord.Status.QUEUED).update(
            status=ExportRecord.Status.RUNNING,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    )


def run_job(record_id) -> bool:
    """Run a queued export to the end; False when it was not queued (already claimed)."""
    reap_stalled()  # an export a killed worker left "running" is marked failed
    if not claim(record_id):
        logger.info("Export %s was already claimed; not running it again.", record_id)
        return False
    try:
        record = ExportRecord.objects.select_related("created_by").get(pk=record_id)
        with objects_so_far_frozen():  # full collections skip the worker's own objects
            _run(record)
    except Exception:
        logger.exception("Export %s failed", record_id)
        _fail(record_id, FAILED_MESSAGE)
    return True


STALLED_MESSAGE = (
    "The export stopped: the worker preparing it went away (it was restarted or stopped) "
    "and the export made no progress for {minutes} minutes. Prepare it again."
)


def reap_stalled() -> int:
    """Mark failed the background exports whose worker went away (job_liveness.py)."""
    message = STALLED_MESSAGE.format(minutes=job_liveness.stalled_minutes())
    return len(job_liveness.reap_stalled(ExportRecord, message=message))


def _fail(record_id, message: str) -> None:
    ExportRecord.objects.filter(pk=record_id).update(
        status=ExportRecord.Status.FAILED, finished_at=timezone.now(), error=message
    )


MAKER_GONE_MESSAGE = (
    "The account that asked for this export was deleted before it was prepared, so what "
    "it may hold is not known; nothing was exported."
)


def _run(record: ExportRecord) -> None:
    from ..forms_export import ExportForm

    if record.created_by is None:
        # Only a signed-in person queues an export (views/export.py): no maker means the
        # account was deleted since. Run with no viewer, it would hold every span, those
        # blind review hid from its maker included.
        _fail(record.pk, MAKER_GONE_MESSAGE)
        return
    form = ExportForm(form_data_from_json(record.options.get("form", {})))
    if not form.is_valid():
        problem = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        _fail(record.pk, INVALID_MESSAGE.format(problem=problem))
        return
    export_format = form.chosen_format()
    filters = form.filters()
    options = form.options(base_url=record.options.get("base_url", ""))
    stats = ExportStats()
    if not record.articles_total:
        with reading_from_replica():
            # The maker's own count: their export holds only the spans they may see.
            summary = export_summary(filters, viewer=record.created_by, using=read_alias())
        ExportRecord.objects.filter(pk=record.pk).update(articles_total=summary["articles"])
    text = read_from_replica(
        export_stream(export_format, filters, options, stats=stats, viewer=record.created_by)
    )
    chunks = gzip_stream(text) if record.options.get("gzip") else utf8_stream(text)
    digest = Digest()
    name = f"{record.pk}/{record.file_name}"
    with tempfile.TemporaryFile() as spool:
        for chunk in _reporting(digest.count(chunks), record.pk, stats):
            spool.write(chunk)
        spool.seek(0)
        stored = export_storage().save(name, File(spool, name=record.file_name))
    ExportRecord.objects.filter(pk=record.pk).update(
        status=ExportRecord.Status.DONE,
        finished_at=timezone.now(),
        storage_path=stored,
        articles=stats.articles,
        spans=stats.spans,
        articles_done=stats.articles,
        size_bytes=digest.size,
        sha256=digest.hexdigest,
    )


def _reporting(chunks: Iterable[bytes], record_id, stats: ExportStats) -> Iterator[bytes]:
    """The chunks unchanged, writing how many articles are done as they pass."""
    written_at = time.monotonic()
    for chunk in chunks:
        yield chunk
        if time.monotonic() - written_at >= _PROGRESS_SECONDS:
            ExportRecord.objects.filter(pk=record_id).update(
                articles_done=stats.articles, heartbeat_at=timezone.now()
            )
            written_at = time.monotonic()


def percent(record: ExportRecord) -> int:
    if record.status == ExportRecord.Status.DONE:
        return 100
    if record.articles_total:
        return min(99, record.articles_done * 100 // record.articles_total)
    return 0
