"""Import jobs and recorded exports in the admin: read-only records of what was asked,
how far it got and what came of it (the import's report, readable).

Nothing is added or changed here (the worker writes these rows); a superuser may delete
a finished one, and an export goes with its stored file (exporters/retention.py, shared
with `manage.py prune_exports`). A queued or running one is refused, as the prune does:
its worker would write a file for a record no longer there.

Viewing follows Django's view permissions (view_importjob, view_exportrecord): superusers
have them; no migration grants them to the Editors group yet.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from ..exporters.jobs import export_storage
from ..exporters.retention import delete_export
from ..importers.limits import human_size
from ..importers.retention import delete_import_job
from ..models import ExportRecord, ImportJob
from ._common import _plural, _pretty_json, _short

PENDING_REFUSAL = "{record}: still {status}; it can be deleted once it has finished."


class _JobRecordAdmin(admin.ModelAdmin):
    """Read-only everywhere; deletable by superusers once finished."""

    date_hierarchy = "created_at"
    list_select_related = ("created_by",)
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if not request.user.is_superuser:
            return False
        return obj is None or not _pending(obj)

    def get_deleted_objects(self, objs, request):
        """The bulk action's confirmation: a pending record among the selected ones is
        listed, with why, as what stops the deletion (Django's "protected" list), rather
        than as a permission the superuser lacks."""
        deletable, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        pending = [
            PENDING_REFUSAL.format(record=obj, status=obj.get_status_display().lower())
            for obj in objs
            if _pending(obj)
        ]
        if pending:
            perms_needed = set(perms_needed) - {str(self.opts.verbose_name)}
        return deletable, counts, perms_needed, [*protected, *pending]

    @admin.display(description="Created by", ordering="created_by__username")
    def creator(self, obj):
        return obj.created_by.get_username() if obj.created_by else "—"


def _pending(obj) -> bool:
    return obj.status in (obj.Status.QUEUED, obj.Status.RUNNING)


@admin.register(ImportJob)
class ImportJobAdmin(_JobRecordAdmin):
    list_display = (
        "created_at",
        "creator",
        "status",
        "what",
        "articles_created",
        "articles_present",
        "articles_revised",
        "spans_created",
        "problems",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    search_fields = ("description", "created_by__username")
    fields = (
        "id",
        "page",
        "status",
        "created_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "description",
        "files_total",
        "files_done",
        "bytes_total",
        "bytes_done",
        "lines_done",
        "articles_created",
        "articles_present",
        "articles_revised",
        "spans_created",
        "problems",
        "error",
        "options_pretty",
        "report_pretty",
        "task_id",
    )

    @admin.display(description="Files and URLs", ordering="description")
    def what(self, obj):
        return _short(obj.description, 80) or "—"

    @admin.display(description="Page")
    def page(self, obj):
        url = reverse("import-job", args=[obj.pk])
        return format_html('<a href="{}">The job’s page</a>', url)

    @admin.display(description="Options")
    def options_pretty(self, obj):
        return _pretty_json(obj.options)

    @admin.display(description="Report")
    def report_pretty(self, obj):
        return _pretty_json(obj.report)

    def delete_model(self, request, obj):
        delete_import_job(obj)

    def delete_queryset(self, request, queryset):
        for job in queryset:
            delete_import_job(job)


@admin.register(ExportRecord)
class ExportRecordAdmin(_JobRecordAdmin):
    list_display = (
        "created_at",
        "creator",
        "status",
        "via",
        "format",
        "file_name_short",
        "articles",
        "spans",
        "size",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "via", "format")
    search_fields = ("file_name", "format", "created_by__username")
    fields = (
        "id",
        "page",
        "status",
        "via",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "format",
        "layer",
        "file_name",
        "storage_path",
        "file_stored",
        "articles",
        "spans",
        "size",
        "sha256",
        "articles_total",
        "articles_done",
        "error",
        "filters_pretty",
        "options_pretty",
        "task_id",
    )

    @admin.display(description="File name", ordering="file_name")
    def file_name_short(self, obj):
        return _short(obj.file_name, 60)

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, obj):
        return human_size(obj.size_bytes) if obj.size_bytes else "—"

    @admin.display(description="Page")
    def page(self, obj):
        url = reverse("export-record", args=[obj.pk])
        return format_html('<a href="{}">The export’s page</a>', url)

    @admin.display(description="File still stored", boolean=True)
    def file_stored(self, obj):
        """Asked of the storage on the detail page only (a request to S3 per row would
        slow the list)."""
        if not obj.storage_path:
            return None  # a streamed download: never stored
        try:
            return export_storage().exists(obj.storage_path)
        except Exception:  # a storage that cannot be reached: unknown, not a 500
            return None

    @admin.display(description="Filters")
    def filters_pretty(self, obj):
        return _pretty_json(obj.filters)

    @admin.display(description="Options")
    def options_pretty(self, obj):
        return _pretty_json(obj.options)

    def delete_model(self, request, obj):
        if not delete_export(obj):
            self.message_user(request, _kept_message(1), messages.ERROR)

    def delete_queryset(self, request, queryset):
        kept = sum(not delete_export(record) for record in queryset)
        if kept:
            self.message_user(request, _kept_message(kept), messages.ERROR)


def _kept_message(kept: int) -> str:
    return (
        f"The storage would not delete the file of {_plural(kept, 'export')}, so "
        f"{'its record was' if kept == 1 else 'their records were'} kept (the server log "
        "says why); try again later."
    )
