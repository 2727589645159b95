"""Articles in the admin: metadata, status and assignee; the text is locked once spans
point into it."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from .. import offsets, services
from ..models import Annotation, Article
from ..models.article import body_hash
from ._common import _copy_saved, _pretty_json

User = get_user_model()


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        # What article_update may change, so the form offers nothing it would refuse.
        fields = list(services.articles.EDITABLE_FIELDS)

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
        if not change:
            if not obj.import_metadata:
                obj.import_metadata = {
                    "importer": "admin",
                    "imported_by": request.user.get_username(),
                }
            super().save_model(request, obj, form, change)
            return
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.articles.EDITABLE_FIELDS
        }
        saved = services.article_update(article=obj, actor=request.user, changes=changes)
        _copy_saved(saved, obj)

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
