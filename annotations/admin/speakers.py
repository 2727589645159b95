"""Speakers in the admin: who said what, with span counts, and merging duplicates."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from .. import permissions, services
from ..conflicts import Conflict
from ..models import Annotation, Speaker
from ..services.speakers import clean_name
from ._common import ConstraintsCheckedInClean, ProtectedFirst, _counts, _error_text, _plural

MERGE_INTO_ITSELF = (
    "Select the duplicates together with the speaker to keep: a speaker cannot be merged "
    "into itself. Nothing was changed."
)


class SpeakerAdminForm(ConstraintsCheckedInClean, forms.ModelForm):
    class Meta:
        model = Speaker
        fields = ["name", "kind", "role", "url"]

    def clean_name(self):
        name = clean_name(self.cleaned_data["name"])
        if not name:
            raise ValidationError("Enter the speaker's name.")
        twin = Speaker.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if twin is not None:
            raise ValidationError(
                f"“{twin.name}” is already a speaker (#{twin.pk}). If they are the same "
                "person, merge the two from the speaker list (action “Merge selected "
                "speakers”)."
            )
        return name

    # The name's uniqueness is checked above, with a message that says what to do.
    checked_in_clean = frozenset({"name"})


@admin.register(Speaker)
class SpeakerAdmin(ProtectedFirst, admin.ModelAdmin):
    form = SpeakerAdminForm
    list_display = ("name", "kind", "role", "span_count")
    list_filter = ("kind",)
    search_fields = ("name", "role")
    actions = ["merge_speakers"]
    fields = ("name", "kind", "role", "url", "spans", "created_by", "created_at")
    readonly_fields = ("spans", "created_by", "created_at")
    list_per_page = 100

    def get_queryset(self, request):
        # Explicitly ordered: a grouped query drops Meta.ordering (the autocomplete pages).
        return (
            super()
            .get_queryset(request)
            .annotate(span_count=Count("annotations"))
            .order_by(*Speaker._meta.ordering)
        )

    def has_merge_permission(self, request):
        return permissions.can_merge_speakers(request.user)

    @admin.display(description="Spans", ordering="span_count")
    def span_count(self, obj):
        if not obj.span_count:
            return 0
        return format_html(
            '<a href="{}?speaker__id__exact={}">{}</a>',
            reverse("admin:annotations_annotation_changelist"),
            obj.pk,
            obj.span_count,
        )

    @admin.display(description="Spans")
    def spans(self, obj):
        return format_html(
            '<a href="{}?speaker__id__exact={}">{}</a>',
            reverse("admin:annotations_annotation_changelist"),
            obj.pk,
            _plural(obj.annotations.count(), "span"),
        )

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service, so a correction is in the speaker's history.
            fields = {f: v for f, v in form.cleaned_data.items() if f in services.SPEAKER_FIELDS}
            saved = services.speaker_update(speaker=obj, actor=request.user, **fields)
            obj.__dict__.update(saved.__dict__)
            return
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def protected_by(self, objs):
        spans = _counts(Annotation.all_objects.filter(speaker__in=objs), "speaker")
        return [
            format_html(
                "“{}” is the speaker of {}: a speaker with spans cannot be deleted. "
                "Merge it into the speaker those spans should have instead (select "
                "both on the speaker list, then “Merge selected speakers”).",
                speaker.name,
                _plural(spans[speaker.pk], "span"),
            )
            for speaker in objs
            if spans.get(speaker.pk)
        ]

    @admin.action(description="Merge selected speakers", permissions=["merge"])
    def merge_speakers(self, request, queryset):
        """Choose the speaker to keep (a confirmation page), then move every span of the
        others to it and delete them, each through services.speaker_merge."""
        speakers = list(queryset.annotate(n=Count("annotations")).order_by("-n", "name"))
        if len(speakers) < 2:
            self.message_user(request, MERGE_INTO_ITSELF, messages.ERROR)
            return None
        error = None
        if request.POST.get("confirm"):
            keep = next((s for s in speakers if str(s.pk) == request.POST.get("keep")), None)
            if keep is None:
                error = "Choose the speaker to keep."
            else:
                return self._merge(request, keep, [s for s in speakers if s.pk != keep.pk])
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge speakers",
            "subtitle": None,
            "opts": self.opts,
            "speakers": speakers,
            "error": error,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/annotations/speaker/merge.html", context)

    def _merge(self, request, keep: Speaker, duplicates: list[Speaker]):
        try:
            with transaction.atomic():
                moved = sum(
                    services.speaker_merge(duplicate=s, into=keep, actor=request.user)
                    for s in duplicates
                )
        except (ValidationError, PermissionDenied, Conflict) as exc:
            self.message_user(request, f"Nothing was merged: {_error_text(exc)}", messages.ERROR)
            return
        names = ", ".join(f"“{s.name}”" for s in duplicates)
        self.message_user(
            request,
            f"Merged {names} into “{keep.name}”: {_plural(moved, 'span')} moved, "
            f"{_plural(len(duplicates), 'speaker')} deleted. Each span's history records it.",
            messages.SUCCESS,
        )
