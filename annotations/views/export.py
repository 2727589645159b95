"""The export page (filters, formats, live counts) and the streamed download."""

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from factcheck.db_router import read_alias, read_from_replica, reading_from_replica

from ..exporters import all_formats, export_stream, jobs
from ..exporters.base import GZIP_MEDIA_TYPE, gzip_stream, utf8_stream
from ..exporters.naming import filter_summary
from ..exporters.query import ExportFilters, ExportStats, export_summary
from ..exporters.records import export_request, recorded
from ..forms_export import ExportForm
from ..models import ExportRecord
from ..permissions import can_export
from .export_records import recent_records

TEMPLATE = "annotations/export.html"
EMPTY_MESSAGE = "No articles match these filters: the file is empty."
RECENT_RECORDS = 10


def _check_permission(user):
    if not can_export(user):
        raise PermissionDenied("Only editors can export datasets. Ask an editor for the file.")


def _context(form: ExportForm, user) -> dict:
    """The page for `user`: its counts and warnings are of what their download holds
    (blind mode hides other reviewers' spans from it, so from the counts too)."""
    valid = form.is_bound and form.is_valid()
    filters = form.filters() if valid else ExportFilters()
    name = form.cleaned_data["format"] if valid else form["format"].value() or "jsonl"
    chosen = {f.name: f for f in all_formats() if f.available}.get(name)
    countable = valid or not form.is_bound  # an invalid filter would count the wrong thing
    gzip = valid and form.cleaned_data["gzip"]
    summary = _summary(filters, user) if countable else None
    return {
        "form": form,
        "nav": "export",
        "formats": all_formats(),
        "chosen": chosen,
        "filename": (
            chosen.filename(timezone.localdate(), filter_summary(filters), gzip=gzip)
            if chosen
            else ""
        ),
        "summary": summary,
        "format_notes": (
            chosen.preview(filters, viewer=user) if chosen and chosen.preview and countable else []
        ),
        "empty_message": EMPTY_MESSAGE,
        "background_spans": f"{jobs.background_spans():,}",
        "large": bool(summary and jobs.runs_in_background(spans=summary["spans"], asked=False)),
    }


def _summary(filters: ExportFilters, user) -> dict:
    with reading_from_replica():
        return export_summary(filters, viewer=user, using=read_alias())


@require_GET
def export_page(request):
    _check_permission(request.user)
    form = ExportForm(request.GET or None, viewer=request.user)
    context = _context(form, request.user)
    if request.htmx and not request.htmx.history_restore_request:
        # htmx swaps only 2xx responses: errors come back in the summary with a 200.
        return render(request, f"{TEMPLATE}#summary", context)
    status = 400 if form.is_bound and form.errors else 200
    context["records"] = recent_records(request.user, RECENT_RECORDS)
    return render(request, TEMPLATE, context, status=status)


@require_GET
def export_download(request):
    _check_permission(request.user)
    form = ExportForm(request.GET, viewer=request.user)
    # Everything a filter can get wrong is found here, before the 200 and the first byte
    # go out: once streaming, an error can only cut the file short.
    if not form.is_valid():
        return render(request, TEMPLATE, _context(form, request.user), status=400)
    export_format = form.chosen_format()
    filters = form.filters()
    asked = export_request(form, base_url=request.build_absolute_uri("/").rstrip("/"))
    # The page ticks "background" for an export over the threshold (it has the counts);
    # the download itself reads no table before it streams.
    if form.cleaned_data["background"]:
        total = _summary(filters, request.user)["articles"]  # the progress bar's; none streams
        record = jobs.create_job(asked, user=request.user, articles_total=total)
        jobs.enqueue(record)
        return redirect("export-record", record_id=record.pk)
    options = form.options(base_url=asked.options["base_url"])
    stats = ExportStats()
    text = read_from_replica(
        export_stream(export_format, filters, options, stats=stats, viewer=request.user)
    )
    gzip = asked.gzip
    chunks = recorded(
        gzip_stream(text) if gzip else utf8_stream(text),
        asked,
        stats,
        user=request.user,
        via=ExportRecord.Via.PAGE,
    )
    response = StreamingHttpResponse(
        chunks, content_type=GZIP_MEDIA_TYPE if gzip else export_format.media_type
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=asked.file_name
    )
    # Let a proxy pass the stream through instead of buffering the whole file first.
    response["X-Accel-Buffering"] = "no"
    response["Cache-Control"] = "no-store"
    return response
