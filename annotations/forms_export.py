"""The export filters as a form: the page and `manage.py export_dataset` both validate here,
so a filter means the same thing, and fails with the same message, everywhere."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model

from .exporters import all_formats, unknown_format_message
from .exporters.query import ExportFilters
from .models import Annotation, Article, Label

_ID_SEPARATORS = re.compile(r"[\s,;]+")


class LabelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name

    def clean(self, value):
        try:
            return super().clean(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            known = ", ".join(self.queryset.values_list("slug", flat=True))
            raise forms.ValidationError(
                "There is no label “%(value)s”. Known labels: %(known)s.",
                code="invalid_choice",
                params={"value": error.params["value"], "known": known},
            ) from None


class ReviewerChoiceField(forms.ModelChoiceField):
    def clean(self, value):
        try:
            return super().clean(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            names = list(self.queryset.values_list("username", flat=True)[:11])
            known = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise forms.ValidationError(
                "Nobody called “%(value)s” has annotated anything. People who have: %(known)s.",
                code="invalid_choice",
                params={"value": value, "known": known or "nobody yet"},
            ) from None


class ExportForm(forms.Form):
    format = forms.ChoiceField(widget=forms.RadioSelect, initial="jsonl", required=False)
    labels = LabelChoiceField(
        queryset=Label.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every label.",
    )
    status = forms.MultipleChoiceField(
        choices=Article.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every status.",
    )
    reviewer = ReviewerChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        empty_label="Anyone",
    )
    annotated_from = forms.DateField(
        required=False, label="Annotated from", widget=forms.DateInput(attrs={"type": "date"})
    )
    annotated_to = forms.DateField(
        required=False, label="Annotated until", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_from = forms.DateField(
        required=False, label="Published from", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_to = forms.DateField(
        required=False, label="Published until", widget=forms.DateInput(attrs={"type": "date"})
    )
    articles = forms.CharField(
        required=False,
        label="Article ids",
        help_text="Optional, e.g. 12, 15, 31.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(f.name, f.label) for f in all_formats()]
        self.fields["format"].error_messages["invalid_choice"] = unknown_format_message("%(value)s")
        # Only people who annotated something can narrow an export.
        self.fields["reviewer"].queryset = (
            get_user_model()
            .objects.filter(pk__in=Annotation.objects.values("author"))
            .order_by("username")
        )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "jsonl"

    def clean_articles(self) -> tuple[int, ...]:
        raw = self.cleaned_data["articles"].strip()
        if not raw:
            return ()
        parts = [p for p in _ID_SEPARATORS.split(raw) if p]
        bad = [p for p in parts if not p.isdigit()]
        if bad:
            raise forms.ValidationError(
                "Article ids are whole numbers separated by commas; “%(bad)s” is not.",
                params={"bad": bad[0]},
            )
        ids = tuple(sorted({int(p) for p in parts}))
        found = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise forms.ValidationError(
                "No article with id %(ids)s.", params={"ids": ", ".join(missing)}
            )
        return ids

    def clean(self):
        data = super().clean()
        for start, end, what in (
            ("annotated_from", "annotated_to", "annotation"),
            ("published_from", "published_to", "publication"),
        ):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, f"The {what} range ends before it starts.")
        return data

    def filters(self) -> ExportFilters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        reviewer = data.get("reviewer")
        return ExportFilters(
            labels=tuple(label.slug for label in data.get("labels") or ()),
            statuses=tuple(data.get("status") or ()),
            reviewer=reviewer.username if reviewer else None,
            annotated_from=data.get("annotated_from"),
            annotated_to=data.get("annotated_to"),
            published_from=data.get("published_from"),
            published_to=data.get("published_to"),
            article_ids=data.get("articles") or (),
        )
