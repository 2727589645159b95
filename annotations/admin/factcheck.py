"""Speakers, rating scales and shared source records in the admin (minimal; see issue 7)."""

from django.contrib import admin

from ..models import Rating, RatingScale, Relation, Source, Speaker


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "role")
    search_fields = ("name", "role")


@admin.register(Source)
class SourceRecordAdmin(admin.ModelAdmin):
    list_display = ("url", "title", "publisher", "accessed_on")
    search_fields = ("url", "title", "publisher")


class RatingInline(admin.TabularInline):
    model = Rating
    extra = 0


@admin.register(RatingScale)
class RatingScaleAdmin(admin.ModelAdmin):
    inlines = [RatingInline]


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ("from_span", "type", "to_span")
