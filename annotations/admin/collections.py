"""Collections, their members and assignments in the admin.

The pages on the desk (collections/, the article list's bulk bar, the queue) are where
this work is normally done; the admin is the back office for fixing a row. An
assignment saved here is held to the same rules as `assign` (the reviewer is a member,
the article is in the collection), is recorded in the history, and the article's status
rolls up as it would from the desk.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from ..history import recording_origin
from ..models import Assignment, Collection, HistoryEvent, Membership
from ..services import assignments


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)
    fields = ("user", "role", "added_at")
    readonly_fields = ("added_at",)


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "blind", "requires_assignment", "reviewers_per_article")
    list_filter = ("blind", "requires_assignment")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("articles",)
    filter_horizontal = ("labels",)
    inlines = [MembershipInline]
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class AssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ("collection", "article", "reviewer", "status")

    def clean(self):
        data = super().clean()
        collection, article, reviewer = (
            data.get("collection"),
            data.get("article"),
            data.get("reviewer"),
        )
        if collection and reviewer and not collection.memberships.filter(user=reviewer).exists():
            raise ValidationError(f"{reviewer} is not a member of {collection}.")
        if collection and article and not collection.articles.filter(pk=article.pk).exists():
            raise ValidationError(f"Article #{article.pk} is not in {collection}; add it first.")
        return data


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentAdminForm
    list_display = ("article", "collection", "reviewer", "status", "assigned_at", "done_at")
    list_filter = ("status", "collection")
    list_select_related = ("article", "collection", "reviewer")
    search_fields = ("article__title", "reviewer__username", "collection__name")
    autocomplete_fields = ("article", "reviewer")
    readonly_fields = ("assigned_by", "assigned_at", "started_at", "done_at")

    def save_model(self, request, obj, form, change):
        # The form has written into `obj`; the stored row is still what it was.
        stored = Assignment.objects.filter(pk=obj.pk).first() if change else None
        before = assignments.snapshot_assignment(stored) if stored else None
        if not change:
            obj.assigned_by = request.user
        with transaction.atomic(), recording_origin("admin"):
            super().save_model(request, obj, form, change)
            assignments.record_admin_change(
                obj,
                HistoryEvent.Action.UPDATE if change else HistoryEvent.Action.CREATE,
                request.user,
                before=before,
            )

    def delete_model(self, request, obj):
        with transaction.atomic(), recording_origin("admin"):
            assignments.record_admin_change(obj, HistoryEvent.Action.DELETE, request.user)
            super().delete_model(request, obj)
            assignments.refresh_statuses([obj.article_id])
