"""Labels in the admin: colours, shortcut keys and order, editable in the list."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html

from ..models import Annotation, Label
from ._common import ProtectedFirst, _counts, _plural

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class LabelAdminForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = [
            "name",
            "slug",
            "colour",
            "shortcut",
            "description",
            "order",
            "active",
            "takes_verdict",
        ]

    def clean_takes_verdict(self):
        takes_verdict = self.cleaned_data["takes_verdict"]
        if not takes_verdict and self.instance.pk:
            rated = Annotation.objects.filter(label=self.instance, verdict__isnull=False).count()
            if rated:
                raise ValidationError(
                    f"{rated} span(s) with this label carry a verdict: clear their verdicts "
                    "first, or keep the label taking verdicts."
                )
        return takes_verdict


@admin.register(Label)
class LabelAdmin(ProtectedFirst, admin.ModelAdmin):
    form = LabelAdminForm
    list_display = (
        "name",
        "swatch",
        "slug",
        "colour",
        "shortcut",
        "order",
        "active",
        "takes_verdict",
        "span_count",
    )
    list_display_links = ("name",)
    list_editable = ("colour", "shortcut", "order", "active")
    list_filter = ("active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "colour",
        "shortcut",
        "description",
        "order",
        "active",
        "takes_verdict",
    )

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

    def protected_by(self, objs):
        spans = _counts(Annotation.all_objects.filter(label__in=objs), "label")
        return [
            format_html(
                "“{}” is the label of {}: a label with spans cannot be deleted. Untick "
                "“Active” to stop offering it, or relabel those spans first.",
                label.name,
                _plural(spans[label.pk], "span"),
            )
            for label in objs
            if spans.get(label.pk)
        ]
