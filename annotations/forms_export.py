"""The export filters as a form: the page and `manage.py export_dataset` both validate here,
so a filter means the same thing, and fails with the same message, everywhere."""

from __future__ import annotations

import re
from functools import partial

from django import forms
from django.contrib.auth import get_user_model

from .exporters import (
    ExportOptions,
    all_formats,
    get_format,
    unavailable_format_message,
    unknown_format_message,
)
from .exporters.query import (
    FIRST_DAY,
    LAST_DAY,
    LAYER_ALL,
    MAX_ID,
    ExportFilters,
    parse_layer,
    spans_seen_by,
)
from .models import Annotation, Article, Collection, Label

_ID_SEPARATORS = re.compile(r"[\s,;]+")
# C0 controls and DEL: never in a slug or a user name, and PostgreSQL refuses NUL in a
# query parameter outright (a 500 if it reaches the database).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_ARTICLE_IDS = 10_000  # a pasted list, not a dump of the table


def _shown(value, limit: int = 40) -> str:
    """A value quoted back in a message, cut short: an error must not echo 10 kB."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refuse_control_characters(values, what: str) -> None:
    for value in values if isinstance(values, (list, tuple)) else [values]:
        if isinstance(value, str) and _CONTROL_CHARACTERS.search(value):
            raise forms.ValidationError(
                "%(what)s cannot contain control characters (such as NUL).",
                code="control_characters",
                params={"what": what},
            )


class BoundedDateField(forms.DateField):
    """A day the export can query: FIRST_DAY to LAST_DAY, both included."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(
                "Enter a day from %(first)s to %(last)s; %(value)s is outside that range.",
                code="out_of_range",
                params={"first": FIRST_DAY, "last": LAST_DAY, "value": value},
            )


class LabelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name

    def clean(self, value):
        _refuse_control_characters(value, "Labels")
        try:
            return super().clean(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            known = ", ".join(self.queryset.values_list("slug", flat=True))
            raise forms.ValidationError(
                "There is no label “%(value)s”. Known labels: %(known)s.",
                code="invalid_choice",
                params={"value": _shown(error.params["value"]), "known": known},
            ) from None


class ReviewerChoiceField(forms.ModelChoiceField):
    def clean(self, value):
        _refuse_control_characters(value, "A reviewer's name")
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
                params={"value": _shown(value), "known": known or "nobody yet"},
            ) from None


def _annotators(viewer, spans=None):
    """Who made the spans the viewer may see (all of them without a viewer): a blind
    reviewer's export page names no reviewer whose spans are hidden from them."""
    spans = Annotation.objects.all() if spans is None else spans
    if viewer is not None:
        spans = spans_seen_by(viewer, spans)
    return get_user_model().objects.filter(pk__in=spans.values("author")).order_by("username")


def _layer_choices(viewer=None) -> list[tuple[str, str]]:
    reviewers = _annotators(
        viewer, Annotation.objects.filter(layer=Annotation.Layer.REVIEWER)
    ).values_list("username", flat=True)
    return [
        (LAYER_ALL, "All reviewers' spans (each names its reviewer)"),
        ("gold", "Gold: adjudicated spans only"),
        *((f"reviewer:{name}", f"Only {name}'s spans") for name in reviewers),
    ]


def _collection_choices() -> list[tuple[str, str]]:
    return [("", "Every collection"), *Collection.objects.values_list("slug", "name")]


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
    annotated_from = BoundedDateField(
        required=False, label="Annotated from", widget=forms.DateInput(attrs={"type": "date"})
    )
    annotated_to = BoundedDateField(
        required=False, label="Annotated until", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_from = BoundedDateField(
        required=False, label="Published from", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_to = BoundedDateField(
        required=False, label="Published until", widget=forms.DateInput(attrs={"type": "date"})
    )
    articles = forms.CharField(
        required=False,
        label="Article ids",
        help_text="Optional, e.g. 12, 15, 31.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    layer = forms.CharField(
        required=False,
        max_length=200,
        initial=LAYER_ALL,
        help_text="all: every reviewer's spans, each naming its reviewer; gold: the "
        "adjudicated spans of finished adjudications; reviewer:NAME: one reviewer's spans.",
    )
    collection = forms.CharField(
        required=False,
        max_length=200,
        help_text="Optional: a collection's slug; only its articles.",
    )
    csv_raw = forms.BooleanField(
        required=False,
        label="Raw CSV cells (for programs)",
        help_text="CSV only. Unticked, a cell starting with = + - @ gets a leading ' so a "
        "spreadsheet shows it as text instead of running it as a formula.",
    )
    excel = forms.BooleanField(
        required=False,
        label="For Excel",
        help_text="CSV only. Starts the file with a UTF-8 byte-order mark (rows end in CRLF), "
        "so Excel shows curly quotes, accents and CJK as written.",
    )
    gzip = forms.BooleanField(
        required=False,
        label="Compress (gzip)",
        help_text="Any format: the file is gzip-compressed as it streams (.gz).",
    )
    background = forms.BooleanField(
        required=False,
        label="Prepare in the background",
        help_text="The file is written on the server while you wait on its page (a progress "
        "bar), then kept there to download, now or later. Large exports always are.",
    )

    def __init__(self, *args, viewer=None, **kwargs):
        """`viewer`: who sees the page, whose reviewer choices name only the people whose
        spans they may see; None (the worker re-checking a stored export's form): all."""
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(f.name, f.label) for f in all_formats()]
        self.fields["format"].error_messages["invalid_choice"] = unknown_format_message("%(value)s")
        # Only people who annotated something can narrow an export.
        self.fields["reviewer"].queryset = _annotators(viewer)
        # The layers offered, read only when the page draws them (a download reads no
        # table before it streams); any reviewer:NAME in a URL is checked in clean_layer.
        self.fields["layer"].widget = forms.Select(choices=partial(_layer_choices, viewer))
        self.fields["collection"].widget = forms.Select(choices=_collection_choices)

    def clean_format(self) -> str:
        name = self.cleaned_data["format"] or "jsonl"
        export_format = {f.name: f for f in all_formats()}[name]
        if not export_format.available:
            raise forms.ValidationError(
                unavailable_format_message(export_format), code="unavailable_format"
            )
        return name

    def chosen_format(self):
        """The validated format (call after is_valid())."""
        return get_format(self.cleaned_data["format"])

    def clean_layer(self) -> str:
        value = self.cleaned_data["layer"].strip() or LAYER_ALL
        _refuse_control_characters(value, "A layer")
        try:
            layer = parse_layer(value)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid_layer") from None
        if layer.reviewer and not (
            get_user_model().objects.filter(username=layer.reviewer).exists()
        ):
            raise forms.ValidationError(
                "Nobody is called “%(name)s”: reviewer:NAME needs a user name.",
                code="unknown_reviewer",
                params={"name": _shown(layer.reviewer)},
            )
        return value

    def clean_collection(self) -> str | None:
        slug = self.cleaned_data["collection"].strip()
        if not slug:
            return None
        _refuse_control_characters(slug, "A collection")
        if not Collection.objects.filter(slug=slug).exists():
            known = ", ".join(Collection.objects.values_list("slug", flat=True)[:10])
            raise forms.ValidationError(
                "There is no collection “%(slug)s”. Collections: %(known)s.",
                code="unknown_collection",
                params={"slug": _shown(slug), "known": known or "none yet"},
            )
        return slug

    def clean_articles(self) -> tuple[int, ...]:
        raw = self.cleaned_data["articles"].strip()
        if not raw:
            return ()
        parts = [p for p in _ID_SEPARATORS.split(raw) if p]
        # isdigit() alone accepts "²" and "١", which int() refuses or reads differently.
        bad = [p for p in parts if not (p.isascii() and p.isdigit())]
        if bad:
            raise forms.ValidationError(
                "Article ids are whole numbers separated by commas; “%(bad)s” is not.",
                params={"bad": _shown(bad[0])},
            )
        # Compared as text first: Python refuses int() of a string of 4,300+ digits.
        digits = [p.lstrip("0") or "0" for p in parts]
        outside = [
            part
            for part, number in zip(parts, digits, strict=True)
            if len(number) > len(str(MAX_ID)) or not 1 <= int(number) <= MAX_ID
        ]
        if outside:
            raise forms.ValidationError(
                "Article ids go from 1 to %(max)s (the database's id range); “%(bad)s” is not one.",
                code="out_of_range",
                params={"max": MAX_ID, "bad": _shown(outside[0])},
            )
        ids = tuple(sorted({int(number) for number in digits}))
        if len(ids) > MAX_ARTICLE_IDS:
            raise forms.ValidationError(
                "At most %(max)s article ids at a time; this list has %(count)s.",
                params={"max": f"{MAX_ARTICLE_IDS:,}", "count": f"{len(ids):,}"},
            )
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
            layer=data.get("layer") or LAYER_ALL,
            collection=data.get("collection") or None,
        )

    def submitted(self) -> dict[str, list[str]]:
        """What was asked, as form data rebuilt from the cleaned values (call after
        is_valid()): what an ExportRecord keeps, and a background job runs again through
        this form. Only the form's own fields, each as its cleaned value, never a raw
        one: a parameter the form does not know, or a ticked box sent as NUL
        (`gzip=%00`), would put a NUL in the record, which PostgreSQL's JSONB refuses
        (the record was lost, or the request a 500). Every text value here has passed
        _refuse_control_characters or is a number, day, slug or choice."""
        data = self.cleaned_data
        filters = self.filters()
        days = {
            name: getattr(filters, name)
            for name in ("annotated_from", "annotated_to", "published_from", "published_to")
        }
        found = {
            "format": [data["format"]],
            "labels": list(filters.labels),
            "status": list(filters.statuses),
            "reviewer": [filters.reviewer] if filters.reviewer else [],
            **{name: [day.isoformat()] if day else [] for name, day in days.items()},
            "articles": [",".join(map(str, filters.article_ids))] if filters.article_ids else [],
            "layer": [filters.layer],
            "collection": [filters.collection] if filters.collection else [],
            **{
                name: ["on"] if data.get(name) else []
                for name in ("csv_raw", "excel", "gzip", "background")
            },
        }
        return {name: values for name, values in found.items() if values}

    def options(self, *, base_url: str = "") -> ExportOptions:
        """How the chosen format renders (call after is_valid())."""
        data = self.cleaned_data
        return ExportOptions(
            base_url=base_url, csv_raw=bool(data.get("csv_raw")), excel=bool(data.get("excel"))
        )
