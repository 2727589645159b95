"""The Annotation admin (AnnotationAdmin): the list of spans, a span's page with the
sources it cites, its links and its history; every write goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ... import history_selectors, offsets, permissions, services
from ...conflicts import Gone
from ...models import Annotation, Evidence
from ...services import revisions
from .._common import ServiceRefusalsAsFormErrors, _copy_saved, _short
from ..sources import EvidenceInline
from .span_form import AnnotationAdminForm


@admin.register(Annotation)
class AnnotationAdmin(ServiceRefusalsAsFormErrors, admin.ModelAdmin):
    form = AnnotationAdminForm
    inlines = [EvidenceInline]
    list_display = (
        "short_quote",
        "label",
        "article",
        "speaker",
        "verdict",
        "author",
        "created_at",
        "source_count",
    )
    list_filter = ("label", "verdict", "author", "article__status", "needs_attention", "created_at")
    list_select_related = ("label", "article", "author", "speaker", "verdict")
    search_fields = ("quote", "speaker__name", "note", "article__title")
    autocomplete_fields = ("article", "speaker")
    date_hierarchy = "created_at"
    list_per_page = 50

    def get_queryset(self, request):
        # Spans that need attention after a revision are listed too (the default manager
        # leaves them out), but not offered by autocompletes, which pick a placed span.
        match = request.resolver_match
        spans = (
            Annotation.objects
            if match is not None and match.url_name == "autocomplete"
            else Annotation.all_objects
        )
        # Explicitly ordered: a grouped query drops Meta.ordering (the autocomplete pages).
        # The label comes along: str() names it (the autocomplete's text, the page title).
        return (
            spans.select_related("label")
            .annotate(source_count=Count("sources"))
            .order_by(*Annotation._meta.ordering)
        )

    def get_fieldsets(self, request, obj=None):
        verdict = (
            "Verdict",
            {
                "fields": ["verdict", "verdict_explanation"]
                + (["verdict_by", "verdict_at"] if obj else []),
                "description": "Only claims take a verdict; the explanation is public.",
            },
        )
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": ["article", "label", ("start", "end"), "quote"],
                        "description": "Offsets count characters (Unicode code points) "
                        "into the article text from 0; the end is exclusive.",
                    },
                ),
                ("About the statement", {"fields": ["speaker", "note"]}),
                verdict,
            ]
        return [
            (None, {"fields": ["article", "label", ("start", "end"), "quote", "in_context"]}),
            ("About the statement", {"fields": ["speaker", "note", "version"]}),
            verdict,
            ("Links", {"fields": ["links_out", "links_in"]}),
            ("Record", {"fields": ["author", "created_at", "updated_at", "history"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Where a stored span points is fixed: delete it and mark the text again instead.
        return (
            "article",
            "start",
            "end",
            "quote",
            "in_context",
            "verdict_by",
            "verdict_at",
            "links_out",
            "links_in",
            "author",
            "created_at",
            "updated_at",
            "history",
        )

    def has_change_permission(self, request, obj=None):
        # A span that needs attention is placed or discarded on the article's attention
        # page (its offsets index an older text): view-only here.
        return super().has_change_permission(request, obj) and (
            obj is None
            or (not obj.needs_attention and permissions.can_change_annotation(request.user, obj))
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or permissions.can_delete_annotation(request.user, obj)
        )

    @admin.display(description="Quote", ordering="quote")
    def short_quote(self, obj):
        return _short(obj.quote)

    @admin.display(description="Sources", ordering="source_count")
    def source_count(self, obj):
        return obj.source_count

    @admin.display(description="In context")
    def in_context(self, obj):
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 70ch">{}{}<mark>{}</mark>{}{}</div>',
            "…" if obj.start > len(obj.prefix) else "",
            obj.prefix,
            obj.quote,
            obj.suffix,
            "…" if obj.suffix and len(obj.suffix) == offsets.CONTEXT_WIDTH else "",
        )

    @admin.display(description="History")
    def history(self, obj):
        """The span's timeline (who, when, from where, what changed), as on the review page."""
        return render_to_string(
            "annotations/history/admin_span_history.html",
            {
                # A live span's deletions are restored already: nothing to offer (no user).
                "entries": history_selectors.span_timeline(obj.pk, obj.article_id, None),
                "span_id": obj.pk,
                "changelist_url": reverse("admin:annotations_historyevent_changelist"),
            },
        )

    class Media:
        css = {"all": ("annotations/css/history.css",)}

    @admin.display(description="This span")
    def links_out(self, obj):
        relations = obj.relations_out.select_related("to_span__label").order_by("id")
        add = format_html(
            '<a class="addlink" href="{}?from_span={}">Link this span to another</a>',
            reverse("admin:annotations_relation_add"),
            obj.pk,
        )
        return self._relation_list(
            [(r, "this span", r.get_type_display().lower(), r.to_span) for r in relations],
            "Points at no other span.",
            add,
        )

    @admin.display(description="Other spans")
    def links_in(self, obj):
        relations = obj.relations_in.select_related("from_span__label").order_by("id")
        return self._relation_list(
            [(r, r.from_span, r.get_type_display().lower(), "this span") for r in relations],
            "No span points at this one.",
        )

    @staticmethod
    def _span_link(span) -> str:
        if isinstance(span, str):
            return span
        return format_html(
            '<a href="{}">#{} {}: “{}”</a>',
            reverse("admin:annotations_annotation_change", args=[span.pk]),
            span.pk,
            span.label.name,
            _short(span.quote, 60),
        )

    def _relation_list(self, rows, empty: str, after: str = "") -> str:
        if not rows:
            return format_html("<p>{}</p>{}", empty, after)
        items = format_html_join(
            "",
            '<li>{} <strong>{}</strong> {} (<a href="{}">link #{}</a>)</li>',
            (
                (
                    self._span_link(origin),
                    verb,
                    self._span_link(target),
                    reverse("admin:annotations_relation_change", args=[relation.pk]),
                    relation.pk,
                )
                for relation, origin, verb, target in rows
            ),
        )
        return format_html('<ul style="margin: 0; padding-left: 1.2em">{}</ul>{}', items, after)

    def save_model(self, request, obj, form, change):
        if change:
            stored = Annotation.objects.filter(pk=obj.pk).first()
            if stored is None:
                raise Gone("This span was deleted in the meantime; nothing was saved.")
            saved = services.annotation_update(
                annotation=stored,
                actor=request.user,
                label=obj.label,
                speaker=obj.speaker,
                note=obj.note,
                verdict=obj.verdict,
                verdict_explanation=obj.verdict_explanation,
                expected_version=form.cleaned_data.get("version"),
            )
        else:
            saved = services.annotation_create(
                article=obj.article,
                label=obj.label,
                start=obj.start,
                end=obj.end,
                quote=obj.quote,
                author=request.user,
                speaker=obj.speaker,
                note=obj.note,
            )
            if obj.verdict_id or obj.verdict_explanation.strip():
                # A new span is created without a verdict; this gives it, recorded too.
                saved = services.annotation_update(
                    annotation=saved,
                    actor=request.user,
                    verdict=obj.verdict,
                    verdict_explanation=obj.verdict_explanation,
                )
        _copy_saved(saved, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is Evidence:
            formset.save_through_services(request.user)
        else:
            super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        _delete(obj, request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for annotation in queryset.prefetch_related("sources"):
                _delete(annotation, request.user)


def _delete(annotation: Annotation, actor) -> None:
    # An unplaced span is discarded (the same deletion, found among all spans).
    if annotation.needs_attention:
        revisions.discard_span(annotation=annotation, actor=actor)
    else:
        services.annotation_delete(annotation=annotation, actor=actor)
