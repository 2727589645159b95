"""Recorded exports: the list, one export's page (its progress fragment while the worker
prepares it) and the download of a stored export's file."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..exporters.jobs import export_storage, percent, reap_stalled
from ..exporters.records import describe_filters
from ..models import ExportRecord
from ..permissions import can_export

RECENT = 50
GONE_MESSAGE = "This export's file is no longer stored; run it again."


def require_exporter(user) -> None:
    if not can_export(user):
        raise PermissionDenied("Only editors can export datasets. Ask an editor for the file.")


def recent_records(limit: int = RECENT) -> list[ExportRecord]:
    reap_stalled()  # an export a killed worker left "running" is shown as failed
    records = list(ExportRecord.objects.select_related("created_by")[:limit])
    for record in records:
        record.filters_summary = describe_filters(record.filters)
    return records


def record_context(record: ExportRecord) -> dict:
    record.filters_summary = describe_filters(record.filters)
    return {"record": record, "percent": percent(record)}


@require_GET
def export_records(request):
    require_exporter(request.user)
    return render(
        request,
        "annotations/exports/list.html",
        {"records": recent_records(), "nav": "export"},
    )


@require_GET
def export_record(request, record_id):
    """One export's page; for htmx, the progress fragment it polls until the job ends."""
    require_exporter(request.user)
    reap_stalled()
    record = get_object_or_404(ExportRecord.objects.select_related("created_by"), pk=record_id)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotations/exports/progress.html", record_context(record))
    return render(
        request, "annotations/exports/record.html", {**record_context(record), "nav": "export"}
    )


@require_GET
def export_record_download(request, record_id):
    require_exporter(request.user)
    record = get_object_or_404(ExportRecord, pk=record_id)
    storage = export_storage()
    if not record.is_stored or not storage.exists(record.storage_path):
        context = {**record_context(record), "nav": "export", "gone_message": GONE_MESSAGE}
        return render(request, "annotations/exports/record.html", context, status=410)
    response = FileResponse(
        storage.open(record.storage_path, "rb"), as_attachment=True, filename=record.file_name
    )
    response["Cache-Control"] = "no-store"
    return response
