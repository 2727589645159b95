"""Links between spans in the admin: made and removed through services.relations, which
checks them (not to itself, same article, once per pair) under the spans' locks."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from .. import permissions, services
from ..models import Relation
from ._common import ServiceRefusalsAsFormErrors, _copy_saved, _short


class RelationAdminForm(forms.ModelForm):
    class Meta:
        model = Relation
        fields = ["from_span", "type", "to_span"]
        labels = {"from_span": "From span", "type": "Link", "to_span": "To span"}
        help_texts = {
            "from_span": "The span that answers (a denial, a response).",
            "to_span": "The span it answers, in the same article.",
        }

    def validate_constraints(self):
        # services.relation_create checks them, with its own messages, under its locks.
        pass


@admin.register(Relation)
class RelationAdmin(ServiceRefusalsAsFormErrors, admin.ModelAdmin):
    form = RelationAdminForm
    list_display = ("link", "from_quote", "type", "to_quote", "article", "created_by")
    list_filter = ("type",)
    list_select_related = (
        "from_span__label",
        "from_span__article",
        "to_span__label",
        "created_by",
    )
    search_fields = ("from_span__quote", "to_span__quote", "from_span__article__title")
    autocomplete_fields = ("from_span", "to_span")
    readonly_fields = ("created_by", "created_at")

    def get_fields(self, request, obj=None):
        fields = ["from_span", "type", "to_span"]
        return [*fields, "created_by", "created_at"] if obj else fields

    def has_change_permission(self, request, obj=None):
        # A link has nothing to edit but its ends and type: remove it and link again.
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or permissions.can_unlink_spans(request.user, obj.from_span)
        )

    @admin.display(description="Link", ordering="id")
    def link(self, obj):
        return f"#{obj.pk}"

    @staticmethod
    def _span(span):
        return format_html(
            '<a href="{}">#{} {}: “{}”</a>',
            reverse("admin:annotations_annotation_change", args=[span.pk]),
            span.pk,
            span.label.name,
            _short(span.quote, 60),
        )

    @admin.display(description="From span", ordering="from_span__quote")
    def from_quote(self, obj):
        return self._span(obj.from_span)

    @admin.display(description="To span", ordering="to_span__quote")
    def to_quote(self, obj):
        return self._span(obj.to_span)

    @admin.display(description="Article", ordering="from_span__article__title")
    def article(self, obj):
        return _short(obj.from_span.article.title, 60)

    def save_model(self, request, obj, form, change):
        saved = services.relation_create(
            from_span=obj.from_span, to_span_id=obj.to_span_id, type=obj.type, actor=request.user
        )
        _copy_saved(saved, obj)

    def delete_model(self, request, obj):
        services.relation_delete(relation=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for relation in queryset.order_by("id"):
                services.relation_delete(relation=relation, actor=request.user)
