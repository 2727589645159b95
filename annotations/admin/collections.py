"""Collections, their members and assignments in the admin.

The pages on the desk (collections/, the article list's bulk bar, the queue) are where
this work is normally done; the admin is the back office for fixing a row. An
assignment saved here is held to the same rules as `assign` (the reviewer is a member,
the article is in the collection), is recorded in the history, and the article's status
rolls up as it would from the desk; so is one deleted, alone or in bulk. A collection's
articles and deleted members go through the desk's services, which withdraw the
assignments they leave behind.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet

from ..history import recording_origin
from ..models import Assignment, Collection, HistoryEvent, Membership
from ..services import assignments
from ..services import collections as collection_service
from ._common import ServiceRefusalsAsFormErrors, _plural


class MembershipFormSet(BaseInlineFormSet):
    """Members are added, given another role and deleted here as on the desk (the
    services' member_add, member_set_role and member_remove): held to the same rules
    (member_refusal: an active account, not a member already), recorded in the history,
    and a member deleted has their unfinished assignments withdrawn. Another user put on
    an existing row is refused: that would move the membership without withdrawing
    anything."""

    actor = None  # the admin user, set by MembershipInline.get_formset
    withdrawn = 0

    def clean(self):
        super().clean()
        for form in self.initial_forms:
            if "user" in form.changed_data and not self._should_delete_form(form):
                form.add_error(
                    "user",
                    "A member cannot be replaced in place: delete this row and add the new "
                    "member in a new one.",
                )
        for form in self.extra_forms:
            user = form.cleaned_data.get("user") if form.has_changed() else None
            if user is None or self._should_delete_form(form):
                continue
            if refusal := collection_service.member_refusal(self.instance, user):
                form.add_error("user", refusal)

    def save_new(self, form, commit=True):
        return collection_service.member_add(
            collection=self.instance,
            username=form.cleaned_data["user"].get_username(),
            role=form.cleaned_data["role"],
            actor=self.actor,
        )

    def save_existing(self, form, obj, commit=True):
        if "role" not in form.changed_data:
            return obj
        return collection_service.member_set_role(
            membership=obj, role=form.cleaned_data["role"], actor=self.actor
        )

    def delete_existing(self, obj, commit=True):
        if commit:
            self.withdrawn += collection_service.member_remove(membership=obj, actor=self.actor)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ("user",)
    fields = ("user", "role", "added_at")
    readonly_fields = ("added_at",)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": request.user})


@admin.register(Collection)
class CollectionAdmin(ServiceRefusalsAsFormErrors, admin.ModelAdmin):
    """Articles taken out or put in, and members deleted, go through the desk's services
    (services.collections): the same rules (only articles the user opens and sees in
    full join a collection), the same withdrawal of assignments, the same history. A
    refusal comes back as the form with its message, nothing saved."""

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

    def save_related(self, request, form, formsets, change):
        # The articles are not set by the form (save_m2m skips a field missing from
        # cleaned_data) but added and removed by the services, after the members.
        wanted = {article.pk for article in form.cleaned_data.pop("articles", [])}
        collection = form.instance
        with recording_origin("admin"):
            super().save_related(request, form, formsets, change)
            held = set(collection.articles.values_list("pk", flat=True))
            gone, new = sorted(held - wanted), sorted(wanted - held)
            withdrawn = sum(getattr(f, "withdrawn", 0) for f in formsets)
            if gone:
                before = Assignment.objects.filter(collection=collection).count()
                collection_service.articles_remove(
                    collection=collection, article_ids=gone, actor=request.user
                )
                withdrawn += before - Assignment.objects.filter(collection=collection).count()
            if new:
                collection_service.articles_add(
                    collection=collection, article_ids=new, actor=request.user
                )
        if withdrawn:
            self.message_user(
                request, f"{_plural(withdrawn, 'assignment')} withdrawn.", messages.INFO
            )


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
            assignments.delete_assignments([obj.pk], actor=request.user)

    def delete_queryset(self, request, queryset):
        """ "Delete selected assignments": each deletion in the history, as one at a time."""
        with transaction.atomic(), recording_origin("admin"):
            assignments.delete_assignments(
                queryset.values_list("pk", flat=True), actor=request.user
            )
