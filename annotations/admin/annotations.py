"""Annotations and their sources in the admin; every write goes through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from .. import offsets, permissions, services
from ..conflicts import Gone, StaleEdit
from ..models import Annotation, Evidence, HistoryEvent, Label
from ._common import _copy_saved, _short


class VersionField(forms.IntegerField):
    """The version a change form was rendered from (see Annotation.version)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**31 - 1, required=False, **kwargs)


def _stale_message(what: str, changed: dict[str, object]) -> ValidationError:
    saved = "; ".join(
        f"{name}: “{_short(str(value or '—'), 120)}”" for name, value in changed.items()
    )
    return ValidationError(
        f"Someone else changed this {what} after you opened it (saved now: {saved}). Your "
        "values are still in the form: check them, then save again to replace theirs.",
        code="stale",
    )


def _source_create(*, annotation: Annotation, source: Evidence, actor) -> Evidence:
    return services.source_create(
        annotation=annotation,
        actor=actor,
        url=source.source.url,
        stance=source.stance,
        quoted_passage=source.quoted_passage,
    )


class SourceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ("source", "stance", "quoted_passage", "created_by")
    autocomplete_fields = ("source",)
    readonly_fields = ("created_by",)
    formfield_overrides = {
        # A tabular row has no room for a big text area.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    }

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


class AnnotationAdminForm(forms.ModelForm):
    """Offsets are checked against the article: the quote typed here must be exactly
    the text at [start, end); prefix and suffix are recomputed from the body."""

    class Meta:
        model = Annotation
        fields = ["article", "label", "start", "end", "quote", "speaker", "note"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "cols": 80})}
        help_texts = {
            "quote": "The exact text at these offsets; the span is refused if the "
            "article reads differently there.",
        }

    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "quote" in self.fields:
            self.fields["quote"].strip = False
        if "label" in self.fields:
            current = self.instance.label_id if self.instance.pk else None
            self.fields["label"].queryset = Label.objects.filter(Q(active=True) | Q(pk=current))
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean_quote(self):
        return offsets.canonical_text(self.cleaned_data["quote"])

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._check_version(cleaned)
        if not {"article", "start", "end", "quote"} <= set(self.fields):
            return cleaned  # a stored span keeps its place; only its label and notes change
        article = cleaned.get("article")
        start, end, quote = cleaned.get("start"), cleaned.get("end"), cleaned.get("quote")
        if article is None or start is None or end is None or quote is None:
            return cleaned
        try:
            offsets.check_span(article.body, start, end, quote)
        except offsets.SpanError as exc:
            raise ValidationError(
                self._span_message(article.body, start, end, quote, exc)
            ) from None
        selector = offsets.quote_selector(article.body, start, end)
        self.instance.prefix, self.instance.suffix = selector.prefix, selector.suffix
        return cleaned

    def _check_version(self, cleaned) -> None:
        """A save from an older version merges with what changed since, or is refused
        here with the saved values; the service checks again under its lock."""
        stored = Annotation.objects.filter(pk=self.instance.pk).first()
        if stored is None:
            raise ValidationError("This span was deleted in the meantime; nothing was saved.")
        if cleaned.get("label") is None:
            return
        wanted = {
            "label_id": cleaned["label"].pk,
            "speaker_id": cleaned["speaker"].pk if cleaned.get("speaker") else None,
            "note": (cleaned.get("note") or "").strip(),
        }
        try:
            services.merge_edit(stored, wanted, cleaned.get("version"))
        except StaleEdit as conflict:
            names = {"label_id": "label", "speaker_id": "speaker", "note": "note"}
            labels = dict(Label.objects.values_list("pk", "name"))
            changed = {
                names[f]: labels.get(conflict.current[f])
                if f == "label_id"
                else conflict.current[f]
                for f in conflict.fields
            }
            # The next save applies these values over the saved ones, knowingly.
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = str(stored.version)
            raise _stale_message("span", changed) from None

    @staticmethod
    def _span_message(body: str, start: int, end: int, quote: str, exc) -> str:
        actual = body[start:end] if 0 <= start < end <= len(body) else None
        if actual is None or actual == quote:
            return str(exc)
        message = (
            f"The quote does not match the article: at {start}–{end} the text reads "
            f"“{_short(actual, 120)}”."
        )
        found = offsets.find_quote(body, quote, near=start)
        if found is not None:
            message += f" The quote occurs at {found[0]}–{found[1]}."
        return message + " Nothing was saved."


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    form = AnnotationAdminForm
    inlines = [SourceInline]
    list_display = (
        "short_quote",
        "label",
        "article",
        "speaker",
        "author",
        "created_at",
        "source_count",
    )
    list_filter = ("label", "author", "article__status", "created_at")
    list_select_related = ("label", "article", "author")
    search_fields = ("quote", "speaker__name", "note", "article__title")
    autocomplete_fields = ("article", "speaker")
    date_hierarchy = "created_at"
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(source_count=Count("sources"))

    def get_fieldsets(self, request, obj=None):
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
            ]
        return [
            (None, {"fields": ["article", "label", ("start", "end"), "quote", "in_context"]}),
            ("About the statement", {"fields": ["speaker", "note", "version"]}),
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
            "author",
            "created_at",
            "updated_at",
            "history",
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.can_change_annotation(request.user, obj)
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
        count = HistoryEvent.objects.filter(annotation_id_ref=obj.pk).count()
        url = reverse("admin:annotations_historyevent_changelist")
        return format_html('<a href="{}?annotation_id_ref={}">{} event(s)</a>', url, obj.pk, count)

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
        _copy_saved(saved, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Evidence:
            super().save_formset(request, form, formset, change)
            return
        annotation = form.instance
        formset.save(commit=False)
        for source in formset.deleted_objects:
            services.source_delete(source=source, actor=request.user)
        for source, _changed in formset.changed_objects:
            services.source_update(
                source=source,
                actor=request.user,
                url=source.source.url,
                stance=source.stance,
                quoted_passage=source.quoted_passage,
            )
        for source in formset.new_objects:
            created = _source_create(annotation=annotation, source=source, actor=request.user)
            _copy_saved(created, source)

    def delete_model(self, request, obj):
        services.annotation_delete(annotation=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for annotation in queryset.prefetch_related("sources"):
                services.annotation_delete(annotation=annotation, actor=request.user)


class SourceAdminForm(forms.ModelForm):
    version = VersionField()

    class Meta:
        model = Evidence
        fields = ["annotation", "source", "stance", "quoted_passage"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            stored = Evidence.objects.filter(pk=self.instance.pk).first()
            if stored is None:
                raise ValidationError("This source was deleted in the meantime; nothing was saved.")
            version = cleaned.get("version")
            if version is not None and version != stored.version:
                self.data = self.data.copy()
                self.data[self.add_prefix("version")] = str(stored.version)
                raise _stale_message(
                    "source", {"URL": stored.url, "title": stored.title, "stance": stored.stance}
                )
        return cleaned


@admin.register(Evidence)
class SourceAdmin(admin.ModelAdmin):
    form = SourceAdminForm
    list_display = ("title_or_url", "stance", "annotation", "created_by")
    list_filter = ("stance",)
    list_select_related = ("annotation__label", "created_by", "source")
    search_fields = ("source__url", "source__title", "quoted_passage")
    autocomplete_fields = ("annotation", "source")
    readonly_fields = ("created_by", "created_at")

    def get_fields(self, request, obj=None):
        fields = list(SourceAdminForm._meta.fields)
        return [*fields, "version", "created_by", "created_at"] if obj else fields

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

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.source_update(
                source=obj,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                annotation=obj.annotation,
                url=obj.source.url,
                stance=obj.stance,
                quoted_passage=obj.quoted_passage,
            )
            _copy_saved(saved, obj)
        else:
            created = _source_create(annotation=obj.annotation, source=obj, actor=request.user)
            _copy_saved(created, obj)

    def delete_model(self, request, obj):
        services.source_delete(source=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for source in queryset.select_related("annotation"):
                services.source_delete(source=source, actor=request.user)
