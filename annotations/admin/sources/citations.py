"""Sources in the admin: the spans' citations of the shared records (Evidence links),
inline on a span's page and in a list of their own, under their old names too; every
write goes through services.sources."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from ... import permissions, services
from ...models import Evidence, Source
from .._common import ServiceRefusalsAsFormErrors, _plural, _short
from .citation_forms import EvidenceForm, EvidenceFormSet

SHARED_HELP = (
    "Title, publisher and accessed date belong to the source, stored once for its URL: "
    "changing them here changes them on every span that cites it."
)


def _record_link(record: Source) -> str:
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:annotations_source_change", args=[record.pk]),
        _short(record.title or record.url, 80),
    )


class EvidenceInline(admin.StackedInline):
    model = Evidence
    form = EvidenceForm
    formset = EvidenceFormSet
    extra = 0
    fieldsets = [
        (None, {"fields": [("url", "stance"), "quoted_passage", "version"]}),
        (
            "The source",
            {
                "fields": [
                    ("title", "publisher", "accessed_on"),
                    "shared_record",
                    "created_by",
                    "record_version",
                ],
                "description": SHARED_HELP,
            },
        ),
    ]
    readonly_fields = ("shared_record", "created_by")
    verbose_name = "source cited"
    verbose_name_plural = "sources cited"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type(formset.form.__name__, (formset.form,), {"request_user": request.user})
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "created_by")

    @admin.display(description="Stored source")
    def shared_record(self, obj):
        if not obj.pk:
            return "—"
        cited = obj.source.evidence.count()
        return format_html("{}<br>cited by {}", _record_link(obj.source), _plural(cited, "span"))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (
            obj is None or permissions.can_add_source(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.can_change_source(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or permissions.can_delete_source(request.user, obj)
        )


@admin.register(Evidence)
class EvidenceAdmin(ServiceRefusalsAsFormErrors, admin.ModelAdmin):
    """The spans' citations, one row per span and source."""

    form = EvidenceForm
    list_display = ("title_or_url", "stance", "span", "article", "created_by", "created_at")
    list_filter = ("stance",)
    list_select_related = ("annotation__label", "annotation__article", "created_by", "source")
    search_fields = (
        "source__url",
        "source__title",
        "source__publisher",
        "quoted_passage",
        "annotation__quote",
    )
    autocomplete_fields = ("annotation",)
    readonly_fields = ("shared_record", "created_by", "created_at")

    def get_fieldsets(self, request, obj=None):
        citation = ["annotation", "url", "stance", "quoted_passage"]
        record = ["title", "publisher", "accessed_on"]
        if obj is not None:
            citation += ["version", "created_by", "created_at"]
            record = ["shared_record", *record, "record_version"]
        return [
            (None, {"fields": citation}),
            ("The source", {"fields": record, "description": SHARED_HELP}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request_user": request.user})

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.can_change_source(request.user, obj.annotation)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or permissions.can_delete_source(request.user, obj.annotation)
        )

    @admin.display(description="Source", ordering="source__title")
    def title_or_url(self, obj):
        return _short(obj.title or obj.url, 100)

    @admin.display(description="Span", ordering="annotation")
    def span(self, obj):
        return _short(str(obj.annotation), 70)

    @admin.display(description="Article", ordering="annotation__article__title")
    def article(self, obj):
        return _short(obj.annotation.article.title, 60)

    @admin.display(description="Stored source")
    def shared_record(self, obj):
        cited = obj.source.evidence.count()
        return format_html("{} (cited by {})", _record_link(obj.source), _plural(cited, "span"))

    def save_model(self, request, obj, form, change):
        form.save_through_services(request.user, annotation=obj.annotation)

    def delete_model(self, request, obj):
        services.source_delete(source=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for source in queryset.select_related("annotation"):
                services.source_delete(source=source, actor=request.user)


# The name the per-span source admin had before sources were stored once.
SourceAdmin = EvidenceAdmin
SourceInline = EvidenceInline
