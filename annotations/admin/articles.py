"""Articles in the admin: metadata, status and assignee; the text is locked once spans
point into it. Deleting an article with spans needs its id typed (one) or "I understand"
ticked (several); each deletion keeps the whole article in the history for an undo."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import EMPTY_VALUE_STRING
from django.contrib.admin.utils import NestedObjects, display_for_value, quote, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import router
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from .. import offsets, services
from ..conflicts import Conflict, Gone
from ..models import Annotation, Article, Assignment, Evidence
from ..models.article import body_hash
from ..services.articles import (
    article_delete,
    articles_delete,
    deletion_impact,
    spans_pointing_into,
)
from ._common import ServiceRefusalsAsFormErrors, _copy_saved, _pretty_json

User = get_user_model()


class _DeletionCollector(NestedObjects):
    """Django's collector of what a deletion takes along, with what each row's name reads
    selected with it: a span's name is its label's, a citation's its source's, an
    assignment's its reviewer's (a query per kind of row, not one per row: a page of
    articles with 10 spans each was 3 queries per span for the names alone)."""

    NAMES_READ = {Annotation: ("label",), Evidence: ("source",), Assignment: ("reviewer",)}

    def related_objects(self, related_model, related_fields, objs):
        queryset = super().related_objects(related_model, related_fields, objs)
        names_read = self.NAMES_READ.get(related_model)
        return queryset.select_related(*names_read) if names_read else queryset


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
                span_count = spans_pointing_into(self.instance.pk)
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
class ArticleAdmin(ServiceRefusalsAsFormErrors, admin.ModelAdmin):
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
    actions = ["delete_selected"]

    class Media:
        css = {"all": ("annotations/css/history.css",)}  # the deletion warning

    change_list_template = "annotations/history/admin_article_change_list.html"
    delete_confirmation_template = "annotations/history/admin_article_delete.html"
    delete_selected_confirmation_template = "annotations/history/admin_article_delete_selected.html"

    def get_queryset(self, request):
        # Explicitly ordered: a grouped query drops Meta.ordering, and the autocomplete's
        # pages of an unordered query can repeat or skip articles.
        return (
            super()
            .get_queryset(request)
            .annotate(span_count=Count("annotations"))
            .order_by(*Article._meta.ordering)
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["title", "author", "publisher", "published_at", "source_url"]}),
            (
                "Review",
                {"fields": ["status", "assignee"] + (["spans", "history_link"] if obj else [])},
            ),
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
            "history_link",
            "import_metadata_pretty",
            "imported_at",
            "updated_at",
        ]
        if obj is not None and self._body_locked(obj):
            readonly.append("body")
        return readonly

    def _body_locked(self, obj) -> bool:
        return bool(self._spans_pointing_into(obj))

    def _spans_pointing_into(self, obj) -> int:
        if not hasattr(obj, "_spans_pointing_into"):
            obj._spans_pointing_into = spans_pointing_into(obj.pk)
        return obj._spans_pointing_into

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
        url = reverse("admin:annotations_annotation_changelist")
        count = self._spans_pointing_into(obj)
        unplaced = Annotation.all_objects.needing_attention().filter(article_id=obj.pk).count()
        if not unplaced:
            return format_html(
                '<a href="{}?article__id__exact={}">{} span(s)</a>', url, obj.pk, count
            )
        return format_html(
            '<a href="{}?article__id__exact={}">{} span(s)</a>, <a href="{}?article__id__exact='
            '{}&amp;needs_attention__exact=1">{} of them need attention</a>',
            url,
            obj.pk,
            count,
            url,
            obj.pk,
            unplaced,
        )

    @admin.display(description="History")
    def history_link(self, obj):
        count = obj.history.count()
        return format_html(
            '<a href="{}">Article history</a> ({} event(s)) · <a href="{}?article__id__exact={}">'
            "in the history list</a>",
            reverse("article-history", args=[obj.pk]),
            count,
            reverse("admin:annotations_historyevent_changelist"),
            obj.pk,
        )

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
            # Through the service an import's articles are stored by: history and all.
            saved = services.articles.article_create(
                actor=request.user,
                fields={
                    name: form.cleaned_data[name]
                    for name in form.fields
                    if name in services.articles.EDITABLE_FIELDS
                },
                import_metadata=obj.import_metadata
                or {"importer": "admin", "imported_by": request.user.get_username()},
            )
            _copy_saved(saved, obj)
            return
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.articles.EDITABLE_FIELDS
        }
        try:
            saved = services.article_update(article=obj, actor=request.user, changes=changes)
        except Gone:
            raise  # deleted meanwhile: the 409 says so
        except Conflict as refusal:
            # A span made since the form was checked: the form again, with what was typed
            # (ServiceRefusalsAsFormErrors), not a bare 409 page.
            raise ValidationError(str(refusal), code="body_locked") from refusal
        _copy_saved(saved, obj)

    # --- deleting: an explicit confirmation when spans go too, and an undo ---------------

    def delete_view(self, request, object_id, extra_context=None):
        # The admin's own lookup: an id no row can have is its "not found", not an error.
        article = self.get_object(request, unquote(object_id))
        impact = deletion_impact([article.pk]) if article is not None else None
        if (
            request.method == "POST"
            and impact is not None
            and impact.spans
            and self.has_delete_permission(request, article)  # else Django's own refusal
            and request.POST.get("confirm_article_id", "").strip() != str(article.pk)
        ):
            self.message_user(
                request,
                f"Nothing was deleted: type the article's id ({article.pk}) to confirm that its "
                f"{impact.spans} span(s) are deleted with it.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        context = {**(extra_context or {}), "impact": impact}
        return super().delete_view(request, object_id, extra_context=context)

    # Named as Django's own bulk delete, so it replaces that one (and its confirmation
    # form posts back to it).
    @admin.action(permissions=["delete"], description="Delete selected articles")
    def delete_selected(self, request, queryset):
        """Django's bulk delete, but with spans the confirmation needs "I understand"."""
        if request.POST.get("post") and request.POST.get("understand") != "yes":
            impact = deletion_impact(queryset.values_list("pk", flat=True))
            if impact.spans:
                self.message_user(
                    request,
                    f"Nothing was deleted: tick “I understand” to confirm that "
                    f"{impact.spans} span(s) are deleted with these articles.",
                    messages.ERROR,
                )
                return None
        return delete_selected(self, request, queryset)

    def get_deleted_objects(self, objs, request):
        """django.contrib.admin.utils.get_deleted_objects (what the confirmation lists, the
        permissions it needs, what protects a row), with _DeletionCollector."""
        objs = list(objs)
        if not objs:
            return [], {}, set(), []
        collector = _DeletionCollector(using=router.db_for_write(Article), origin=objs)
        collector.collect(objs)
        perms_needed = set()
        site = self.admin_site

        def format_callback(obj):
            opts = obj._meta
            no_edit_link = f"{capfirst(opts.verbose_name)}: {obj}"
            if not site.is_registered(obj.__class__):
                return no_edit_link
            if not site.get_model_admin(obj.__class__).has_delete_permission(request, obj):
                perms_needed.add(opts.verbose_name)
            try:
                url = reverse(
                    f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]
                )
            except NoReverseMatch:
                return no_edit_link
            return format_html(
                '{}: <a href="{}">{}</a>',
                capfirst(opts.verbose_name),
                url,
                display_for_value(str(obj), EMPTY_VALUE_STRING),
            )

        to_delete = collector.nested(format_callback)
        protected = [format_callback(obj) for obj in collector.protected]
        model_count = {
            model._meta.verbose_name_plural: len(rows)
            for model, rows in collector.model_objs.items()
        }
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        article_delete(article=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        # Through the service: each span's deletion and the whole article are kept.
        articles_delete(article_ids=queryset.values_list("pk", flat=True), actor=request.user)
