"""Sources in the admin: the shared records (one per URL), with the spans that cite them,
and how a form's fields are compared with a record's; every write goes through
services.sources."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ... import offsets, permissions, services
from ...models import Evidence, Source
from ...services.sources import RECORD_FIELDS
from .._common import (
    ProtectedFirst,
    ServiceRefusalsAsFormErrors,
    VersionField,
    _bump_version,
    _copy_saved,
    _counts,
    _plural,
    _short,
    _stale_message,
)


def _same(field: str, typed, stored) -> bool:
    if field == "accessed_on":
        return typed == stored
    return offsets.canonical_text(typed or "").strip() == (stored or "")


def _retyped(cleaned: dict, record: Source) -> list[str]:
    """The record's fields a form would change."""
    return [
        f for f in RECORD_FIELDS if f in cleaned and not _same(f, cleaned[f], getattr(record, f))
    ]


class SourceRecordForm(forms.ModelForm):
    """What a shared source says about itself; the URL is its identity and stays."""

    version = VersionField()

    class Meta:
        model = Source
        fields = ["title", "publisher", "accessed_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        stored = Source.objects.filter(pk=self.instance.pk).first()
        if stored is None:
            raise ValidationError("This source was deleted in the meantime; nothing was saved.")
        version = cleaned.get("version")
        retyped = _retyped(cleaned, stored)
        if version is not None and version != stored.version and retyped:
            _bump_version(self, stored.version)
            raise _stale_message(
                "source",
                {
                    "title": stored.title,
                    "publisher": stored.publisher,
                    "accessed": stored.accessed_on.isoformat() if stored.accessed_on else "",
                },
            )
        return cleaned


@admin.register(Source)
class SourceRecordAdmin(ProtectedFirst, ServiceRefusalsAsFormErrors, admin.ModelAdmin):
    """Sources stored once per URL, with the spans that cite them."""

    form = SourceRecordForm
    list_display = ("title_or_url", "publisher", "accessed_on", "cited_by")
    list_filter = ("accessed_on",)
    search_fields = ("url", "title", "publisher")
    date_hierarchy = "accessed_on"
    readonly_fields = ("url_link", "citations", "created_by", "created_at")
    list_per_page = 50

    def get_fieldsets(self, request, obj=None):
        return [
            (
                None,
                {
                    "fields": ["url_link", "title", "publisher", "accessed_on", "version"],
                    "description": "Every span citing this source shows what is saved here.",
                },
            ),
            ("Cited by", {"fields": ["citations"]}),
            ("Record", {"fields": ["created_by", "created_at"]}),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=Count("evidence"))

    def has_add_permission(self, request):
        # A source is stored when a span first cites its URL.
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.can_change_source_record(request.user, obj)
        )

    @admin.display(description="Source", ordering="title")
    def title_or_url(self, obj):
        if obj.title:
            return format_html(
                "{}<br><small>{}</small>", _short(obj.title, 100), _short(obj.url, 100)
            )
        return _short(obj.url, 100)

    @admin.display(description="Cited by", ordering="citation_count")
    def cited_by(self, obj):
        return format_html(
            '<a href="{}?source__id__exact={}">{}</a>',
            reverse("admin:annotations_evidence_changelist"),
            obj.pk,
            _plural(obj.citation_count, "span"),
        )

    @admin.display(description="URL")
    def url_link(self, obj):
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>'
            '<div class="help">The URL is what identifies this source, so it cannot be '
            "changed here. To cite another page, change the URL on the span's citation "
            "(a new URL is stored as a source of its own).</div>",
            obj.url,
            obj.url,
        )

    @admin.display(description="Spans")
    def citations(self, obj, limit: int = 50):
        links = list(
            obj.evidence.select_related("annotation__label", "annotation__article").order_by(
                "annotation__article__title", "annotation__start", "id"
            )[: limit + 1]
        )
        if not links:
            return "No span cites this source."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">#{} {}: “{}”</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:annotations_annotation_change", args=[link.annotation_id]),
                    link.annotation_id,
                    link.annotation.label.name,
                    _short(link.annotation.quote, 60),
                    _short(link.annotation.article.title, 50),
                    link.get_stance_display(),
                    _short(link.quoted_passage, 80) or "—",
                )
                for link in links[:limit]
            ),
        )
        more = ""
        count = obj.evidence.count()
        if count > limit:
            more = format_html(
                '<p><a href="{}?source__id__exact={}">All {} citations</a></p>',
                reverse("admin:annotations_evidence_changelist"),
                obj.pk,
                count,
            )
        return format_html(
            "<table><thead><tr><th>Span</th><th>Article</th><th>Stance</th>"
            "<th>Passage quoted</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            more,
        )

    def protected_by(self, objs):
        cited = _counts(Evidence.objects.filter(source__in=objs), "source")
        return [
            format_html(
                "“{}” is cited by {}: remove those citations first (a source is kept "
                "for as long as a span cites it).",
                _short(record.title or record.url, 80),
                _plural(cited[record.pk], "span"),
            )
            for record in objs
            if cited.get(record.pk)
        ]

    def save_model(self, request, obj, form, change):
        saved = services.source_record_update(
            record=obj,
            actor=request.user,
            expected_version=form.cleaned_data.get("version"),
            **{f: form.cleaned_data.get(f) for f in RECORD_FIELDS},
        )
        _copy_saved(saved, obj)
