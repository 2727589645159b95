"""A span's forms: a new span as the page sends it, and a span's editor (label, note,
speaker, verdict), with the speaker suggested for a span from the text around it."""

from django import forms
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils.functional import cached_property

from .models import Annotation, Article, Label, Rating, Speaker
from .speaker_guess import suggest_speaker

# The offsets' columns (Annotation.start and .end, PositiveIntegerFields) end here: a
# larger number is refused by the form, never sent to the database.
MAX_OFFSET = 2**31 - 1


class SpanForm(forms.Form):
    """A new span as the page sends it: code-point offsets plus the text they cover."""

    label = forms.ModelChoiceField(
        queryset=Label.objects.filter(active=True),
        to_field_name="slug",
        error_messages={
            "invalid_choice": "Unknown or inactive label.",
            "required": "Choose a label.",
        },
    )
    start = forms.IntegerField(
        min_value=0,
        max_value=MAX_OFFSET,
        error_messages={
            "required": "The span has no start offset.",
            "invalid": "Span offsets must be whole numbers.",
            "max_value": "The text is not that long: offsets go up to %(limit_value)s.",
        },
    )
    end = forms.IntegerField(
        min_value=0,
        max_value=MAX_OFFSET,
        error_messages={
            "required": "The span has no end offset.",
            "invalid": "Span offsets must be whole numbers.",
            "max_value": "The text is not that long: offsets go up to %(limit_value)s.",
        },
    )
    quote = forms.CharField(strip=False, error_messages={"required": "The span has no text."})

    def first_error(self) -> str:
        for errors in self.errors.values():
            return f"{errors[0]}"
        return "The span is not valid."


class AnnotationEditForm(forms.ModelForm):
    # The version this form was rendered from: a save from an older one is checked
    # against what changed since (services.annotation_update), never blindly applied.
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, required=False
    )

    # A name: the speaker of that name is found (any case) or created by the service,
    # which also says when it is too long (a form limit would cut a pasted paragraph).
    speaker = forms.CharField(
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "placeholder": "Who said it? e.g. John Kirby",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )

    class Meta:
        model = Annotation
        fields = ["label", "note", "verdict", "verdict_explanation"]
        widgets = {
            "note": forms.Textarea(
                attrs={"rows": 2, "placeholder": "For the next reviewer; never published"}
            ),
            "verdict": forms.RadioSelect,
            "verdict_explanation": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Why this verdict; published with it"}
            ),
        }
        labels = {
            "note": "Internal note",
            "verdict_explanation": "Public explanation",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.label_id if self.instance else None
        self.fields["label"].queryset = Label.objects.filter(active=True) | Label.objects.filter(
            pk=current
        )
        self.fields["label"].empty_label = None
        # The default scale's verdicts (and the span's own, should it be on another scale).
        self.fields["verdict"].queryset = Rating.objects.filter(
            Q(scale__is_default=True) | Q(pk=self.instance.verdict_id)
        ).order_by("-scale__is_default", "-value", "id")
        self.fields["verdict"].empty_label = "No verdict yet"
        self.fields["verdict"].error_messages["invalid_choice"] = (
            "That verdict is not on the rating scale; choose one of the verdicts shown."
        )
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["speaker"] = self.instance.speaker.name if self.instance.speaker_id else ""

    def clean_speaker(self):
        from .services.speakers import clean_name

        # The service checks it again; here the message lands beside the field.
        return clean_name(self.cleaned_data["speaker"])

    @property
    def takes_verdict(self) -> bool:
        """Whether the picker is shown: for a span whose label is rated (a claim), or one
        that carries a verdict anyway (relabelled in the admin), so it can be removed. A
        form without the picker leaves the verdict as it is."""
        span = self.instance
        return bool(span.pk and (span.label.takes_verdict or span.verdict_id))

    @cached_property
    def speaker_suggestion(self) -> str | None:
        """Who the span's sentence says spoke, offered while the span has no speaker."""
        span = self.instance
        if not span.pk or span.speaker_id or self.is_bound:
            return None
        return speaker_suggestion_for(span)

    def changes(self) -> dict:
        """The service's keyword arguments for what this form sent: a field the page did
        not show (the verdict of a span that is not a claim) is left as it is."""
        from .services.annotations import UNCHANGED

        data = self.cleaned_data
        changes = {"label": data["label"], "note": data["note"]}
        for name in ("speaker", "verdict", "verdict_explanation"):
            changes[name] = data[name] if self.add_prefix(name) in self.data else UNCHANGED
        if changes["verdict_explanation"] is UNCHANGED:
            changes["verdict_explanation"] = None
        return changes


# Around a span, enough of the body for its sentence (sentences are local: see
# speaker_guess), read without the rest of an article that can be megabytes.
_SENTENCE_WINDOW = 2000


def speaker_suggestion_for(span: Annotation) -> str | None:
    """The speaker suggested for a span (speaker_guess), from the text around it and the
    speakers already named on its article: two small queries whatever the article's size."""
    lo = max(0, span.start - _SENTENCE_WINDOW)
    if Annotation.article.is_cached(span) and "body" not in span.article.get_deferred_fields():
        window = span.article.body[lo : span.end + _SENTENCE_WINDOW]
    else:
        window = (
            Article.objects.filter(pk=span.article_id)
            .annotate(window=Substr("body", lo + 1, span.end - lo + _SENTENCE_WINDOW))
            .values_list("window", flat=True)
            .first()
        )
    if not window or window[span.start - lo : span.end - lo] != span.quote:
        return None  # the text moved under the span: better no guess than a wrong one
    known = (
        Speaker.objects.filter(annotations__article_id=span.article_id)
        .values_list("name", flat=True)
        .distinct()
    )
    return suggest_speaker(window, span.start - lo, span.end - lo, list(known))
