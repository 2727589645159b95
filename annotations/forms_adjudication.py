"""What the adjudication page posts: a reviewer span, several of them, or new bounds and a
label for a gold span. Checked here; the offsets and the label's use are the service's."""

from __future__ import annotations

from django import forms

from .forms_spans import MAX_OFFSET
from .models import Label

MAX_MERGED = 50  # spans merged at once: a selection, not the article
# A span id's column (a BigAutoField) ends here: a larger id is refused by the form, never
# sent to the database (SQLite overflows: an OverflowError, a 500).
MAX_ID = 2**63 - 1

_OFFSET_ERRORS = {
    "invalid": "Offsets are whole numbers.",
    "max_value": "The text is not that long: offsets go up to %(limit_value)s.",
}


class SpanChoiceForm(forms.Form):
    span = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            "required": "Choose a span first.",
            "invalid": "Span ids are whole numbers.",
            "max_value": "There is no span with that id; reload the page.",
        },
    )


class LabelBoundsForm(forms.Form):
    """An optional label (by slug) and optional bounds: left empty, they stay as they are."""

    label = forms.ModelChoiceField(
        queryset=Label.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "There is no such label."},
    )
    start = forms.IntegerField(
        min_value=0, max_value=MAX_OFFSET, required=False, error_messages=_OFFSET_ERRORS
    )
    end = forms.IntegerField(
        min_value=1, max_value=MAX_OFFSET, required=False, error_messages=_OFFSET_ERRORS
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            raise forms.ValidationError("The span must end after it starts.")
        return data

    def changes(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("label", "start", "end")}


class GoldEditForm(LabelBoundsForm):
    """A gold span's edit, with the version its form was rendered from: a save from an
    older one is checked against what changed since (services.adjudication.edit_gold_span),
    never blindly applied."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, required=False
    )


class MergeForm(LabelBoundsForm):
    spans = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)

    def __init__(self, *args, span_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spans"].choices = [(pk, pk) for pk in span_ids]
        self.fields["spans"].error_messages["invalid_choice"] = (
            "One of the chosen spans is not a reviewer span of this article; reload the page."
        )

    def clean_spans(self) -> list[int]:
        spans = self.cleaned_data["spans"]
        if len(spans) < 2:
            raise forms.ValidationError("Select at least two spans to merge.")
        if len(spans) > MAX_MERGED:
            raise forms.ValidationError(f"Merge at most {MAX_MERGED} spans at a time.")
        return spans
