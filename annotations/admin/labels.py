"""Labels in the admin: colours, shortcut keys and order, editable in the list.

A shortcut key is checked in one place, Label.clean (no key the review page uses
itself). In the list, the keys are checked over all rows together, as they will be
stored: two labels may swap keys in one save (each row checked alone met the other's
old key), and two rows given the same key are refused on both.
"""

from __future__ import annotations

import re
from collections import defaultdict

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseModelFormSet
from django.utils.html import format_html

from ..models import Annotation, Label
from ._common import ConstraintsCheckedInClean, ProtectedFirst, _counts, _plural

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


class LabelRowForm(ConstraintsCheckedInClean, forms.ModelForm):
    """A row of the label list."""

    # The shortcut is unique among labels: LabelListFormSet checks it over all the
    # rows together, as they will be stored, instead of each against the old keys.
    checked_in_clean = frozenset({"shortcut"})


class LabelListFormSet(BaseModelFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.label_rows = self  # LabelAdmin.save_model frees the moving keys first
        return form

    def clean(self):
        super().clean()
        in_form = {form.instance.pk for form in self.forms if form.instance.pk}
        rows = [
            (form.cleaned_data.get("shortcut", form.instance.shortcut), form.instance.name, form)
            for form in self.forms
            if getattr(form, "cleaned_data", None) is not None
        ]
        rows += [
            (key, name, None)
            for key, name in Label.objects.exclude(pk__in=in_form)
            .exclude(shortcut="")
            .values_list("shortcut", "name")
        ]
        by_key = defaultdict(list)
        for row in rows:
            if row[0]:
                by_key[row[0]].append(row)
        summary = []
        for key, group in by_key.items():
            if len(group) < 2:
                continue
            names = ", ".join(f"“{r[1]}”" for r in group)
            summary.append(
                f"{names} have the same shortcut key ({key}): each label needs its own "
                "key. Nothing was saved."
            )
            for row in group:
                if row[2] is not None:
                    others = ", ".join(f"“{r[1]}”" for r in group if r is not row)
                    row[2].add_error("shortcut", f"{others} has this shortcut key too.")
        if summary:
            raise ValidationError(summary)

    def free_moving_keys(self) -> None:
        """Once per save: the labels whose key changes give it up first, so a swap
        never meets the constraint halfway (the save is one transaction)."""
        if getattr(self, "_keys_freed", False):
            return
        self._keys_freed = True
        moving = [f.instance.pk for f in self.forms if "shortcut" in f.changed_data]
        if moving:
            Label.objects.filter(pk__in=moving).update(shortcut="")


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

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=LabelRowForm, **kwargs)

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=LabelListFormSet, **kwargs)

    def save_model(self, request, obj, form, change):
        rows = getattr(form, "label_rows", None)  # saved from the list
        if rows is not None:
            rows.free_moving_keys()
        super().save_model(request, obj, form, change)

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
