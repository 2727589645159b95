"""The history in the admin: read-only, with a restore action for deleted spans."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html

from .. import offsets, services
from ..conflicts import Conflict
from ..models import Annotation, HistoryEvent
from ._common import _error_text, _pretty_json, _short


@admin.register(HistoryEvent)
class HistoryEventAdmin(admin.ModelAdmin):
    """The record of every change: read-only; a deleted annotation can be restored."""

    list_display = ("at", "action", "kind", "summary", "article", "actor", "restorable")
    list_filter = ("action", "kind", "at")
    list_select_related = ("article", "actor")
    search_fields = ("article__title", "actor__username")
    date_hierarchy = "at"
    actions = ["restore_deleted_annotations"]
    fields = (
        "action",
        "kind",
        "object_id",
        "annotation_ref",
        "article",
        "actor",
        "at",
        "before_pretty",
        "after_pretty",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        present = Annotation.objects.filter(pk=OuterRef("annotation_id_ref"))
        later_deletion = HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ANNOTATION,
            action=HistoryEvent.Action.DELETE,
            object_id=OuterRef("object_id"),
            pk__gt=OuterRef("pk"),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(annotation_present=Exists(present), deleted_later=Exists(later_deletion))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_restore_permission(self, request):
        return request.user.has_perm("annotations.add_annotation")

    @admin.display(description="What")
    def summary(self, obj):
        data = obj.before or obj.after or {}
        if obj.kind in (HistoryEvent.Kind.SOURCE, HistoryEvent.Kind.SOURCE_RECORD):
            return _short(data.get("title") or data.get("url") or "", 80)
        if obj.kind == HistoryEvent.Kind.SPEAKER:
            return _short(data.get("name") or "", 80)
        if obj.kind == HistoryEvent.Kind.RELATION:
            return f"#{data.get('from_span_id')} {data.get('type', '')} #{data.get('to_span_id')}"
        return _short(data.get("quote") or "", 80)

    @admin.display(description="Restorable", boolean=True)
    def restorable(self, obj):
        if obj.kind != HistoryEvent.Kind.ANNOTATION or obj.action != HistoryEvent.Action.DELETE:
            return None
        # The restore rule itself, given what the list query already knows.
        span = {obj.object_id}
        return (
            services.restore_refusal(
                obj,
                live_ids=span if obj.annotation_present else set(),
                later_deletes=span if obj.deleted_later else set(),
            )
            is None
        )

    @admin.display(description="Annotation")
    def annotation_ref(self, obj):
        if obj.annotation_id_ref is None:
            return "—"  # a speaker or a shared source: no one span's
        if obj.annotation_present:
            url = reverse("admin:annotations_annotation_change", args=[obj.annotation_id_ref])
            return format_html('<a href="{}">#{}</a>', url, obj.annotation_id_ref)
        return f"#{obj.annotation_id_ref} (deleted)"

    @admin.display(description="Before")
    def before_pretty(self, obj):
        return _pretty_json(obj.before)

    @admin.display(description="After")
    def after_pretty(self, obj):
        return _pretty_json(obj.after)

    @admin.action(
        description="Restore selected deleted annotations",
        permissions=["restore"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def restore_deleted_annotations(self, request, queryset):
        restored, skipped = [], 0
        for event in queryset.order_by("at", "id"):
            if (
                event.kind != HistoryEvent.Kind.ANNOTATION
                or event.action != HistoryEvent.Action.DELETE
            ):
                skipped += 1
                continue
            try:
                annotation = services.annotation_restore(event=event, actor=request.user)
            except (Conflict, ValidationError, PermissionDenied, offsets.SpanError) as exc:
                self.message_user(
                    request,
                    f"Annotation #{event.object_id} was not restored: {_error_text(exc)}",
                    messages.ERROR,
                )
            else:
                restored.append(annotation)
        if restored:
            ids = ", ".join(f"#{a.pk}" for a in restored)
            self.message_user(
                request,
                f"Restored {len(restored)} annotation(s) with their sources: {ids}.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} event(s) that are not deletions of an annotation.",
                messages.WARNING,
            )
