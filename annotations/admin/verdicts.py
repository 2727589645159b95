"""Rating scales in the admin: the verdicts a desk gives, edited together in one form.

A scale's verdicts are checked as a whole, as they will be after the save: two verdicts
sharing an ordinal value or a slug are form errors on their rows (also when both rows
change at once), swapping two values is allowed and saved without meeting the database
constraint halfway, and a verdict that spans carry cannot be deleted.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from ..models import Annotation, Collection, Rating, RatingScale
from ._common import ConstraintsCheckedInClean, ProtectedFirst, _plural

# While a scale's verdicts change places, the moving ones wait on values no verdict has.
_VALUE_MAX = 32767


class RatingForm(forms.ModelForm):
    class Meta:
        model = Rating
        fields = ["name", "slug", "value", "description"]
        widgets = {
            "name": forms.TextInput(attrs={"size": 18}),
            "slug": forms.TextInput(attrs={"size": 16}),
            "value": forms.NumberInput(attrs={"style": "width: 5em"}),
            "description": forms.Textarea(attrs={"rows": 2, "cols": 34}),
        }

    def validate_constraints(self):
        # Value and slug are unique per scale: RatingFormSet checks them over all rows
        # together, as they will be stored, instead of each row against the old ones.
        pass


class RatingFormSet(BaseInlineFormSet):
    def validate_unique(self):
        pass  # see clean()

    def clean(self):
        super().clean()
        self._refuse_deleting_used()
        self._refuse_duplicates()

    def _rows(self):
        """(value, slug, name, form or None) of every verdict the scale will have."""
        in_form = set()
        rows = []
        for form in self.forms:
            if form.instance.pk:
                in_form.add(form.instance.pk)
            if form in self.deleted_forms:
                continue
            data = getattr(form, "cleaned_data", None) or {}
            if form.instance.pk is None and not form.has_changed():
                continue
            rows.append((data.get("value"), data.get("slug"), data.get("name"), form))
        if self.instance.pk:
            for rating in Rating.objects.filter(scale=self.instance).exclude(pk__in=in_form):
                rows.append((rating.value, rating.slug, rating.name, None))
        return rows

    def _refuse_duplicates(self) -> None:
        rows = self._rows()
        summary = []
        for index, field, what in ((0, "value", "ordinal value"), (1, "slug", "slug")):
            groups = defaultdict(list)
            for row in rows:
                if row[index] not in (None, ""):
                    groups[row[index]].append(row)
            for key, group in groups.items():
                if len(group) < 2:
                    continue
                names = ", ".join(f"“{r[2]}”" for r in group)
                summary.append(
                    f"{names} have the same {what} ({key}): each verdict of a scale needs "
                    f"its own {what}. Nothing was saved."
                )
                for row in group:
                    if row[3] is not None:
                        others = ", ".join(f"“{r[2]}”" for r in group if r is not row)
                        row[3].add_error(field, f"{others} has this {what} too.")
        if summary:
            raise ValidationError(summary)

    def _refuse_deleting_used(self) -> None:
        doomed = [f.instance for f in self.deleted_forms if f.instance.pk]
        if not doomed:
            return
        used = dict(
            Annotation.objects.filter(verdict__in=doomed)
            .values_list("verdict")
            .annotate(n=Count("id"))
            .values_list("verdict", "n")
        )
        errors = [
            f"“{rating.name}” cannot be deleted: it is the verdict of "
            f"{_plural(used[rating.pk], 'span')}. Give those spans another verdict first "
            "(the annotation list filters by verdict)."
            for rating in doomed
            if used.get(rating.pk)
        ]
        if errors:
            raise ValidationError(errors)

    def save_in_order(self) -> None:
        """Deleted verdicts go first, the ones whose value or slug changes wait on free
        values, then every row takes its place: a swap never meets the constraint."""
        self.save(commit=False)
        for rating in self.deleted_objects:
            rating.delete()
        moving = [r for r, changed in self.changed_objects if {"value", "slug"} & set(changed)]
        if moving:
            taken = set(Rating.objects.filter(scale=self.instance).values_list("value", flat=True))
            taken |= {form.cleaned_data.get("value") for form in self.forms if form.cleaned_data}
            free = (v for v in range(_VALUE_MAX, -1, -1) if v not in taken)
            for rating in moving:
                Rating.objects.filter(pk=rating.pk).update(
                    value=next(free), slug=f"~moving~{rating.pk}"
                )
        for rating, _changed in self.changed_objects:
            rating.save()
        for rating in self.new_objects:
            rating.scale = self.instance
            rating.save()


class RatingInline(admin.TabularInline):
    model = Rating
    form = RatingForm
    formset = RatingFormSet
    extra = 0
    fields = ("name", "slug", "value", "description", "span_count")
    readonly_fields = ("span_count",)
    prepopulated_fields = {"slug": ("name",)}
    verbose_name = "verdict"
    verbose_name_plural = "verdicts (higher values are truer)"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("annotations"))

    @admin.display(description="Spans")
    def span_count(self, obj):
        return getattr(obj, "n", None) if obj.pk else "—"


class RatingScaleForm(ConstraintsCheckedInClean, forms.ModelForm):
    class Meta:
        model = RatingScale
        fields = ["name", "description", "is_default"]

    def clean_is_default(self):
        is_default = self.cleaned_data["is_default"]
        if is_default:
            other = RatingScale.objects.filter(is_default=True).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise ValidationError(
                    f"“{other.name}” is the default scale: the review page offers one. "
                    "Untick “Is default” on it first, then make this one the default."
                )
        return is_default

    # The one default is checked in clean_is_default, naming the current default.
    checked_in_clean = frozenset({"is_default"})


@admin.register(RatingScale)
class RatingScaleAdmin(ProtectedFirst, admin.ModelAdmin):
    form = RatingScaleForm
    inlines = [RatingInline]
    list_display = ("name", "is_default", "rating_count", "rated_spans")
    search_fields = ("name",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                rating_count=Count("ratings", distinct=True),
                rated_spans=Count("ratings__annotations", distinct=True),
            )
        )

    @admin.display(description="Verdicts", ordering="rating_count")
    def rating_count(self, obj):
        return obj.rating_count

    @admin.display(description="Spans rated", ordering="rated_spans")
    def rated_spans(self, obj):
        return obj.rated_spans

    def save_formset(self, request, form, formset, change):
        if formset.model is Rating:
            with transaction.atomic():
                formset.save_in_order()
        else:
            super().save_formset(request, form, formset, change)

    def protected_by(self, objs):
        used = (
            Rating.objects.filter(scale__in=objs)
            .annotate(n=Count("annotations"))
            .filter(n__gt=0)
            .order_by("scale", "-value")
        )
        by_scale = defaultdict(list)
        for rating in used:
            by_scale[rating.scale_id].append(rating)
        desks = defaultdict(list)
        for collection in Collection.objects.filter(rating_scale__in=objs).order_by("name"):
            desks[collection.rating_scale_id].append(collection.name)
        protected = []
        for scale in objs:
            if by_scale.get(scale.pk):
                ratings = by_scale[scale.pk]
                protected.append(
                    format_html(
                        "“{}” gives the verdict of {} ({}): a scale whose verdicts are "
                        "in use cannot be deleted. Give those spans verdicts from "
                        "another scale first.",
                        scale.name,
                        _plural(sum(r.n for r in ratings), "span"),
                        ", ".join(f"“{r.name}”: {r.n}" for r in ratings),
                    )
                )
            if desks.get(scale.pk):
                protected.append(
                    format_html(
                        "“{}” is the rating scale of {} ({}): choose another scale for them first.",
                        scale.name,
                        _plural(len(desks[scale.pk]), "collection"),
                        ", ".join(f"“{name}”" for name in desks[scale.pk]),
                    )
                )
        return protected
