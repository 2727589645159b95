"""The history in the admin: read-only, with where each change came from and what it
changed in words; deleted spans and deleted articles can be restored from it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from .. import offsets, services
from ..conflicts import Conflict, Gone
from ..history_diff import event_lines, origin_phrase
from ..history_selectors import names_for
from ..models import Annotation, HistoryEvent
from ..services.articles import can_delete_article, spans_pointing_into
from ..services.restore import (
    article_restore,
    article_restore_refusal,
    known_restorability,
    with_restorability,
)
from ._common import _error_text, _pretty_json, _short

# How many article deletions the "Recently deleted articles" page lists.
RECENT_ARTICLE_DELETIONS = 50


@admin.register(HistoryEvent)
class HistoryEventAdmin(admin.ModelAdmin):
    """The record of every change: read-only; a deleted annotation can be restored."""

    list_display = (
        "at",
        "action",
        "kind",
        "summary",
        "article",
        "actor",
        "origin_shown",
        "restorable",
    )
    list_filter = ("action", "kind", "origin", "at")
    list_select_related = ("article", "actor")
    search_fields = ("article__title", "actor__username")
    date_hierarchy = "at"
    actions = ["restore_deleted_annotations", "restore_deleted_articles"]
    fields = (
        "action",
        "kind",
        "object_id",
        "annotation_ref",
        "article",
        "actor",
        "at",
        "origin_shown",
        "changes",
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
        return with_restorability(
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

    def has_restore_article_permission(self, request):
        return can_delete_article(request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "deleted-articles/",
                view(self.deleted_articles_view),
                name="annotations_historyevent_deleted_articles",
            ),
            path(
                "<int:event_id>/restore-article/",
                view(require_POST(self.restore_article_view)),
                name="annotations_historyevent_restore_article",
            ),
            *super().get_urls(),
        ]

    def deleted_articles_view(self, request):
        """The latest article deletions, each with its undo (or why it cannot be)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        events = with_restorability(
            HistoryEvent.objects.filter(
                kind=HistoryEvent.Kind.ARTICLE, action=HistoryEvent.Action.DELETE
            )
            .select_related("actor")
            .order_by("-id")
        )[:RECENT_ARTICLE_DELETIONS]
        rows = [
            {
                "event": event,
                "spans": len((event.before or {}).get("annotations", [])),
                "refusal": article_restore_refusal(event, **known_restorability(event)),
            }
            for event in events
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Recently deleted articles",
            "opts": self.opts,
            "rows": rows,
            "can_restore": self.has_restore_article_permission(request),
        }
        return TemplateResponse(request, "annotations/history/admin_deleted_articles.html", context)

    def restore_article_view(self, request, event_id):
        if not self.has_restore_article_permission(request):
            raise PermissionDenied("Only an admin can undo the deletion of an article.")
        event = get_object_or_404(HistoryEvent, pk=event_id)
        self._restore_article(request, event)
        return redirect("admin:annotations_historyevent_deleted_articles")

    def _restore_article(self, request, event) -> None:
        try:
            article = article_restore(event=event, actor=request.user)
        except (Conflict, Gone, PermissionDenied, ValidationError) as exc:
            self.message_user(
                request,
                f"Article #{event.object_id} was not restored: {_error_text(exc)}",
                messages.ERROR,
            )
            return
        # Every span that came back, those a revision had left unplaced too.
        spans = spans_pointing_into(article.pk)
        self.message_user(
            request,
            format_html(
                'Restored the article <a href="{}">#{} “{}”</a> with {} span(s).',
                reverse("admin:annotations_article_change", args=[article.pk]),
                article.pk,
                article.title,
                spans,
            ),
            messages.SUCCESS,
        )

    @admin.display(description="What")
    def summary(self, obj):
        data = obj.before or obj.after or {}
        if obj.kind in (HistoryEvent.Kind.SOURCE, HistoryEvent.Kind.SOURCE_RECORD):
            return _short(data.get("title") or data.get("url") or "", 80)
        if obj.kind == HistoryEvent.Kind.SPEAKER:
            return _short(data.get("name") or "", 80)
        if obj.kind == HistoryEvent.Kind.ARTICLE:
            return _short(data.get("title") or f"Article #{obj.object_id}", 80)
        if obj.kind == HistoryEvent.Kind.RELATION:
            return f"#{data.get('from_span_id')} {data.get('type', '')} #{data.get('to_span_id')}"
        return _short(data.get("quote") or "", 80)

    @admin.display(description="Restorable", boolean=True)
    def restorable(self, obj):
        if obj.action != HistoryEvent.Action.DELETE:
            return None
        if obj.kind == HistoryEvent.Kind.ARTICLE:
            # The restore rule itself, given what the list query already knows.
            return article_restore_refusal(obj, **known_restorability(obj)) is None
        if obj.kind != HistoryEvent.Kind.ANNOTATION:
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

    @admin.display(description="From", ordering="origin")
    def origin_shown(self, obj):
        return origin_phrase(obj.origin) or "—"

    @admin.display(description="What changed")
    def changes(self, obj):
        lines = event_lines(obj, names_for([obj]))
        return format_html(
            '<ul style="margin: 0; padding-left: 1.2em">{}</ul>',
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
        )

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

    @admin.action(
        description="Restore selected deleted articles (with their spans)",
        permissions=["restore_article"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def restore_deleted_articles(self, request, queryset):
        skipped = 0
        for event in queryset.order_by("at", "id"):
            is_deletion = event.action == HistoryEvent.Action.DELETE
            if event.kind != HistoryEvent.Kind.ARTICLE or not is_deletion:
                skipped += 1
                continue
            self._restore_article(request, event)
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} event(s) that are not deletions of an article.",
                messages.WARNING,
            )
