"""The editors' back office.

Writes to annotations and sources go through `services`, so the admin keeps the same
rules as the review page: offsets are checked against the body, only the author or an
editor changes a span, and every change lands in the history, from which a deleted span
can be restored. User text is only ever shown escaped (`format_html`, never
`mark_safe`).
"""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from . import offsets, services
from .models import Annotation, Article, HistoryEvent, Label, Source
from .models.article import body_hash
from .permissions import EDITORS, REVIEWERS, can_edit_annotation

User = get_user_model()

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _short(text: str, length: int = 80) -> str:
    return Truncator(text or "").chars(length)


def _pretty_json(value) -> str:
    if value in (None, {}, []):
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0; font-size: 0.85rem">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


def _copy_saved(saved, obj) -> None:
    """Make the admin's instance the row a service just wrote (the admin keeps using it
    for inlines, the log entry and the redirect)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You are not allowed to do this."


# --- articles ------------------------------------------------------------------------


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [
            "title",
            "author",
            "publisher",
            "published_at",
            "source_url",
            "status",
            "assignee",
            "body",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "body" in self.fields:
            # Leading and trailing white space is part of the text spans count into.
            self.fields["body"].strip = False
            self.fields["body"].widget.attrs.update({"rows": 24, "cols": 90})

    def clean_body(self):
        body = offsets.canonical_text(self.cleaned_data["body"])
        if not body.strip():
            raise ValidationError("The article has no text.")
        if self.instance.pk:
            stored = (
                Article.objects.filter(pk=self.instance.pk).values_list("body", flat=True).first()
            )
            if stored is not None and body != stored:
                span_count = Annotation.objects.filter(article_id=self.instance.pk).count()
                if span_count:
                    raise ValidationError(
                        "The text cannot change: %(count)d span(s) point into it by "
                        "character offsets. Import the corrected text as a new article "
                        "instead, or delete the spans first.",
                        code="body_locked",
                        params={"count": span_count},
                    )
        duplicate = (
            Article.objects.filter(content_hash=body_hash(body))
            .exclude(pk=self.instance.pk)
            .only("pk", "title")
            .first()
        )
        if duplicate is not None:
            raise ValidationError(
                "An article with exactly this text already exists: “%(title)s” (#%(pk)s).",
                code="duplicate",
                params={"title": duplicate.title, "pk": duplicate.pk},
            )
        return body


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "author",
        "published_at",
        "status",
        "assignee",
        "span_count",
        "imported_at",
    )
    list_filter = ("status", "publisher", "assignee", "published_at")
    list_select_related = ("assignee",)
    search_fields = ("title", "author", "body")
    date_hierarchy = "published_at"
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(span_count=Count("annotations"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["title", "author", "publisher", "published_at", "source_url"]}),
            ("Review", {"fields": ["status", "assignee"] + (["spans"] if obj else [])}),
        ]
        if obj is not None and self._body_locked(obj):
            fieldsets.append(
                (
                    "Text",
                    {
                        "fields": ["locked_body", "content_hash"],
                        "description": "The text is locked: spans point into it by "
                        "character offsets.",
                    },
                )
            )
        else:
            fieldsets.append(("Text", {"fields": ["body"] + (["content_hash"] if obj else [])}))
        if obj is not None:
            fieldsets.append(
                ("Import", {"fields": ["import_metadata_pretty", "imported_at", "updated_at"]})
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = [
            "content_hash",
            "locked_body",
            "spans",
            "import_metadata_pretty",
            "imported_at",
            "updated_at",
        ]
        if obj is not None and self._body_locked(obj):
            readonly.append("body")
        return readonly

    def _body_locked(self, obj) -> bool:
        if not hasattr(obj, "_body_locked"):
            obj._body_locked = obj.annotations.exists()
        return obj._body_locked

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = User.objects.filter(is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def view_on_site(self, obj):
        return reverse("article-detail", args=[obj.pk])

    @admin.display(description="Spans", ordering="span_count")
    def span_count(self, obj):
        return obj.span_count

    @admin.display(description="Spans")
    def spans(self, obj):
        count = obj.annotations.count()
        url = reverse("admin:annotations_annotation_changelist")
        return format_html('<a href="{}?article__id__exact={}">{} span(s)</a>', url, obj.pk, count)

    @admin.display(description="Body")
    def locked_body(self, obj):
        # pre-wrap: every space and line break is a character the offsets count.
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 75ch; line-height: 1.5">{}</div>',
            obj.body,
        )

    @admin.display(description="Import metadata")
    def import_metadata_pretty(self, obj):
        return _pretty_json(obj.import_metadata)

    def save_model(self, request, obj, form, change):
        if not change and not obj.import_metadata:
            obj.import_metadata = {"importer": "admin", "imported_by": request.user.get_username()}
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        self._delete_articles(request, [obj])

    def delete_queryset(self, request, queryset):
        self._delete_articles(request, queryset)

    @transaction.atomic
    def _delete_articles(self, request, articles):
        # Each span goes through the service first, so its deletion is in the history.
        for article in articles:
            for annotation in article.annotations.prefetch_related("sources"):
                services.annotation_delete(annotation=annotation, actor=request.user)
            article.delete()


# --- labels --------------------------------------------------------------------------


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "swatch", "slug", "colour", "shortcut", "order", "active", "span_count")
    list_display_links = ("name",)
    list_editable = ("colour", "shortcut", "order", "active")
    list_filter = ("active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "colour", "shortcut", "description", "order", "active")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(span_count=Count("annotations"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "colour":
            kwargs["widget"] = forms.TextInput(attrs={"type": "color"})
        elif db_field.name == "shortcut":
            kwargs["widget"] = forms.TextInput(attrs={"size": 2, "style": "width: 3em"})
        elif db_field.name == "order":
            kwargs["widget"] = forms.NumberInput(attrs={"style": "width: 5em"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Highlight")
    def swatch(self, obj):
        if not _HEX_COLOUR.match(obj.colour or ""):
            return "—"
        return format_html(
            '<span title="{}" style="display: inline-block; width: 2.5em; height: 1.1em; '
            "vertical-align: middle; border-radius: 3px; border: 1px solid rgba(0,0,0,.3); "
            'background: {}"></span> <strong>{}</strong>',
            obj.colour,
            obj.colour,
            obj.badge,
        )

    @admin.display(description="Spans", ordering="span_count")
    def span_count(self, obj):
        return obj.span_count


# --- annotations and their sources ----------------------------------------------------


def _source_create(*, annotation: Annotation, source: Source, actor) -> Source:
    return services.source_create(
        annotation=annotation,
        actor=actor,
        url=source.url,
        stance=source.stance,
        title=source.title,
        publisher=source.publisher,
        quoted_passage=source.quoted_passage,
        accessed_on=source.accessed_on,
    )


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ("url", "stance", "title", "publisher", "quoted_passage", "accessed_on", "created_by")
    readonly_fields = ("created_by",)
    formfield_overrides = {
        # A tabular row has no room for a big text area.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    }

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (
            obj is None or can_edit_annotation(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or can_edit_annotation(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or can_edit_annotation(request.user, obj)
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "quote" in self.fields:
            self.fields["quote"].strip = False
        if "label" in self.fields:
            current = self.instance.label_id if self.instance.pk else None
            self.fields["label"].queryset = Label.objects.filter(Q(active=True) | Q(pk=current))

    def clean_quote(self):
        return offsets.canonical_text(self.cleaned_data["quote"])

    def clean(self):
        cleaned = super().clean()
        if not {"article", "start", "end", "quote"} <= set(self.fields):
            return cleaned  # a stored span keeps its place; only its label and notes change
        article = cleaned.get("article")
        start, end, quote = cleaned.get("start"), cleaned.get("end"), cleaned.get("quote")
        if article is None or start is None or end is None or quote is None:
            return cleaned
        try:
            offsets.check_span(article.body, start, end, quote)
        except offsets.SpanError as exc:
            raise ValidationError(self._span_message(article.body, start, end, quote, exc))
        selector = offsets.quote_selector(article.body, start, end)
        self.instance.prefix, self.instance.suffix = selector.prefix, selector.suffix
        return cleaned

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
    search_fields = ("quote", "speaker", "note", "article__title")
    autocomplete_fields = ("article",)
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
            ("About the statement", {"fields": ["speaker", "note"]}),
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
            obj is None or can_edit_annotation(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or can_edit_annotation(request.user, obj)
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
            stored = Annotation.objects.get(pk=obj.pk)
            saved = services.annotation_update(
                annotation=stored,
                actor=request.user,
                label=obj.label,
                speaker=obj.speaker,
                note=obj.note,
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
        if formset.model is not Source:
            return super().save_formset(request, form, formset, change)
        annotation = form.instance
        formset.save(commit=False)
        for source in formset.deleted_objects:
            services.source_delete(source=source, actor=request.user)
        for source, _changed in formset.changed_objects:
            services.source_update(source=source, actor=request.user)
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
    class Meta:
        model = Source
        fields = [
            "annotation",
            "url",
            "stance",
            "title",
            "publisher",
            "quoted_passage",
            "accessed_on",
        ]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceAdminForm
    list_display = (
        "title_or_url",
        "stance",
        "publisher",
        "annotation",
        "accessed_on",
        "created_by",
    )
    list_filter = ("stance", "accessed_on")
    list_select_related = ("annotation__label", "created_by")
    search_fields = ("url", "title", "publisher", "quoted_passage")
    autocomplete_fields = ("annotation",)
    readonly_fields = ("created_by", "created_at")

    def get_fields(self, request, obj=None):
        fields = list(SourceAdminForm._meta.fields)
        return fields + ["created_by", "created_at"] if obj else fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or can_edit_annotation(request.user, obj.annotation)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or can_edit_annotation(request.user, obj.annotation)
        )

    @admin.display(description="Source", ordering="title")
    def title_or_url(self, obj):
        return _short(obj.title or obj.url, 100)

    def save_model(self, request, obj, form, change):
        if change:
            services.source_update(source=obj, actor=request.user)
        else:
            created = _source_create(annotation=obj.annotation, source=obj, actor=request.user)
            _copy_saved(created, obj)

    def delete_model(self, request, obj):
        services.source_delete(source=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for source in queryset.select_related("annotation"):
                services.source_delete(source=source, actor=request.user)


# --- history -------------------------------------------------------------------------


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
        return super().get_queryset(request).annotate(annotation_present=Exists(present))

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
        if obj.kind == HistoryEvent.Kind.SOURCE:
            return _short(data.get("title") or data.get("url") or "", 80)
        return _short(data.get("quote") or "", 80)

    @admin.display(description="Restorable", boolean=True)
    def restorable(self, obj):
        if obj.kind != HistoryEvent.Kind.ANNOTATION or obj.action != HistoryEvent.Action.DELETE:
            return None
        return not obj.annotation_present

    @admin.display(description="Annotation")
    def annotation_ref(self, obj):
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
            except (ValidationError, PermissionDenied, offsets.SpanError) as exc:
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


# --- people --------------------------------------------------------------------------

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (*DjangoUserAdmin.list_display, "role")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role")
    def role(self, user):
        if user.is_superuser:
            return "Admin"
        groups = {g.name for g in user.groups.all()}
        if EDITORS in groups:
            return "Editor"
        if REVIEWERS in groups:
            return "Reviewer"
        return "—"
