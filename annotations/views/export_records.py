"""Recorded exports: the list, one export's page (its progress fragment while the worker
prepares it) and the download of a stored export's file. Each shows a user only the
exports they may open (permissions.exports: their own, or all for who sees every span)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..exporters.jobs import export_storage, percent, reap_stalled
from ..exporters.records import describe_filters
from ..models import ExportRecord
from ..permissions import (
    NO_SUCH_EXPORT,
    can_export,
    openable_export_records,
    opens_every_export,
    require_openable_export,
)

RECENT = 50
GONE_MESSAGE = "This export's file is no longer stored; run it again."


def require_exporter(user) -> None:
    if not can_export(user):
        raise PermissionDenied("Only editors can export datasets. Ask an editor for the file.")


def recent_records(user, limit: int = RECENT) -> list[ExportRecord]:
    """The most recent exports the user may open."""
    reap_stalled()  # an export a killed worker left "running" is shown as failed
    mine = openable_export_records(user, ExportRecord.objects.select_related("created_by"))
    records = list(mine[:limit])
    for record in records:
        record.filters_summary = describe_filters(record.filters)
    return records


def _openable_record(user, record_id) -> ExportRecord:
    """The record, or the same 404 whether there is none or the user may not open it (a
    blind reviewer must not download an editor's export of spans hidden from them)."""
    record = ExportRecord.objects.select_related("created_by").filter(pk=record_id).first()
    if record is None:
        raise Http404(NO_SUCH_EXPORT)
    require_openable_export(user, record)
    return record


def record_context(record: ExportRecord) -> dict:
    record.filters_summary = describe_filters(record.filters)
    return {"record": record, "percent": percent(record)}


@require_GET
def export_records(request):
    require_exporter(request.user)
    return render(
        request,
        "annotations/exports/list.html",
        {
            "records": recent_records(request.user),
            "only_own": not opens_every_export(request.user),
            "nav": "export",
        },
    )


@require_GET
def export_record(request, record_id):
    """One export's page; for htmx, the progress fragment it polls until the job ends."""
    require_exporter(request.user)
    reap_stalled()
    record = _openable_record(request.user, record_id)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotations/exports/progress.html", record_context(record))
    return render(
        request, "annotations/exports/record.html", {**record_context(record), "nav": "export"}
    )


@require_GET
def export_record_download(request, record_id):
    require_exporter(request.user)
    record = _openable_record(request.user, record_id)
    storage = export_storage()
    if not record.is_stored or not storage.exists(record.storage_path):
        context = {**record_context(record), "nav": "export", "gone_message": GONE_MESSAGE}
        return render(request, "annotations/exports/record.html", context, status=410)
    response = FileResponse(
        storage.open(record.storage_path, "rb"), as_attachment=True, filename=record.file_name
    )
    response["Cache-Control"] = "no-store"
    return response
