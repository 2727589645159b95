"""The import page, an import job's page (progress, then its report) and the list of
recent imports.

The work is done by importers.jobs (the same loop as `manage.py import_articles`). An
upload over the limits is refused with a 413 before its files are read (the request's
Content-Length, then each file's size). Every import is an ImportJob: a small one runs
while the page waits and its report is shown at once; a large one, and any URL, goes to
the task worker and the browser is sent to the job's page, which polls its progress.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from .. import permissions
from ..forms import ImportForm
from ..importers import FORMATS, jobs, limits, side_connection
from ..importers.report import hiding_titles, listed_article_ids, totals
from ..models import Article, ImportJob

PAGE = "annotations/import.html"
# What a multipart body adds to its files (boundaries, headers, the other fields).
_MULTIPART_SLACK = 1024 * 1024
RECENT_JOBS = 50
# A job still queued after this long: the page says the worker may not be running.
WORKER_HINT_SECONDS = 30


def max_files() -> int:
    return getattr(settings, "FACTCHECK_IMPORT_MAX_FILES", 1000)


@require_http_methods(["GET", "POST"])
def import_page(request):
    _require_importer(request.user)
    if request.method != "POST":
        return _page(request, ImportForm(user=request.user))
    refusal = _content_length_refusal(request)
    if refusal:
        return _page(request, ImportForm(user=request.user), refusal=refusal, status=413)
    try:
        form = ImportForm(request.POST, request.FILES, user=request.user)
        uploads = request.FILES.getlist("files")
    except TooManyFilesSent:
        refusal = f"Too many files at once: at most {max_files():,} can be imported together."
        return _page(request, ImportForm(user=request.user), refusal=refusal, status=413)
    except RequestDataTooBig:
        refusal = "The form's fields are too large; nothing was imported."
        return _page(request, ImportForm(user=request.user), refusal=refusal, status=413)
    if refusal := _uploads_refusal(uploads):
        return _page(request, ImportForm(user=request.user), refusal=refusal, status=413)
    if not form.is_valid():
        return _page(request, form, status=422)

    data = form.cleaned_data
    job = jobs.create_job(
        user=request.user,
        uploads=data["files"],
        urls=data["urls"],
        collection=data["collection"],
        atomic=data["atomic"],
    )
    background = jobs.runs_in_background(
        total_bytes=job.bytes_total, files=len(data["files"]), urls=len(data["urls"])
    )
    if background:
        jobs.enqueue(job)
        if request.htmx:
            # The progress above a fresh form; the address is the job's, so a reload
            # (or the back button) finds it.
            fresh = ImportForm(user=request.user, initial={"collection": data["collection"]})
            response = _page(request, fresh, job=job)
            response["HX-Push-Url"] = reverse("import-job", args=[job.pk])
            return response
        return redirect("import-job", job_id=job.pk)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    form = ImportForm(user=request.user, initial={"collection": data["collection"]})
    return _page(request, form, job=job)


def _content_length_refusal(request) -> str | None:
    """Refuse by the request's declared size, before a byte of it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > limits.max_upload_bytes() + _MULTIPART_SLACK:
        return f"{limits.upload_size_problem(length)} Nothing was imported."
    return None


def _uploads_refusal(uploads) -> str | None:
    """The limits for each file and for the whole upload: one message naming every file
    over the limit, so the user can take them out and try again."""
    if len(uploads) > max_files():
        return (
            f"{len(uploads):,} files were chosen; at most {max_files():,} can be imported "
            "at once. Import them in smaller batches, or as a ZIP archive."
        )
    too_big = [
        f"“{upload.name}”: {problem}"
        for upload in uploads
        if (problem := limits.file_size_problem(upload.size))
    ]
    if too_big:
        return " ".join([*too_big, "Nothing was imported."])
    if problem := limits.upload_size_problem(sum(upload.size for upload in uploads)):
        return f"{problem} Nothing was imported."
    return None


def _page(request, form, *, job=None, refusal=None, status=200):
    context = {
        "form": form,
        "job": job,
        "refusal": refusal,
        "formats": FORMATS,
        "max_file": limits.max_file_bytes(),
        "max_upload": limits.max_upload_bytes(),
        "max_file_shown": limits.human_size(limits.max_file_bytes()),
        "max_upload_shown": limits.human_size(limits.max_upload_bytes()),
        "nav": "import",
        **(_job_context(job, request.user) if job else {}),
    }
    template = f"{PAGE}#import-region" if request.htmx else PAGE
    return render(request, template, context, status=status)


def _job_context(job: ImportJob, viewer) -> dict:
    options = job.options or {}
    return {
        "job": job,
        "entries": _as_seen_by(job.report or [], viewer),
        "totals": totals(job.report or []),
        "joined": options.get("joined"),
        "rolled_back": options.get("rolled_back", False),
        "percent": _percent(job),
        # All or nothing on SQLite: nothing is written beside the import's one transaction
        # (importers/side_connection.py), so its counts come when it ends.
        "counts_at_end": job.status == ImportJob.Status.RUNNING
        and bool(options.get("atomic"))
        and not side_connection.possible(),
        # Queued for a while and no worker took it: say what to check, not just "waiting".
        "no_worker": job.status == ImportJob.Status.QUEUED
        and timezone.now() - job.created_at > timedelta(seconds=WORKER_HINT_SECONDS),
    }


def _as_seen_by(entries: list[dict], viewer) -> list[dict]:
    """The report's entries without the titles of articles the viewer may not open."""
    ids = listed_article_ids(entries)
    if not ids:
        return entries
    shown = set(
        permissions.openable_articles(viewer, Article.objects.filter(pk__in=ids)).values_list(
            "pk", flat=True
        )
    )
    return hiding_titles(entries, shown)


def _percent(job: ImportJob) -> int:
    if job.status == ImportJob.Status.DONE:
        return 100
    if job.bytes_total:
        return min(99, job.bytes_done * 100 // job.bytes_total)
    if job.files_total:
        return min(99, job.files_done * 100 // job.files_total)
    return 0


def _job_region(request, job):
    return render(request, "annotations/imports/progress.html", _job_context(job, request.user))


# --- one job, and the list -------------------------------------------------------------------


def _visible_jobs(user):
    """Editors everywhere see every import; others their own (a job a killed worker
    left running is shown as failed: jobs.reap_stalled)."""
    jobs.reap_stalled()
    jobs_qs = ImportJob.objects.select_related("created_by")
    return jobs_qs if permissions.is_desk_editor(user) else jobs_qs.filter(created_by=user)


@require_GET
def import_job(request, job_id):
    _require_importer(request.user)
    job = get_object_or_404(_visible_jobs(request.user), pk=job_id)
    return render(
        request,
        "annotations/imports/job.html",
        {**_job_context(job, request.user), "nav": "import"},
    )


@require_GET
def import_job_progress(request, job_id):
    """The progress fragment the job page polls (every second until the job is done)."""
    _require_importer(request.user)
    job = get_object_or_404(_visible_jobs(request.user), pk=job_id)
    return _job_region(request, job)


@require_GET
def import_jobs(request):
    _require_importer(request.user)
    recent = list(_visible_jobs(request.user)[:RECENT_JOBS])
    return render(
        request,
        "annotations/imports/list.html",
        {"jobs": recent, "nav": "import", "sees_all": permissions.is_desk_editor(request.user)},
    )


def _require_importer(user):
    if not permissions.can_import(user):
        raise PermissionDenied("Only editors can import articles.")
