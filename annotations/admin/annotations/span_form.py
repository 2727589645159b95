"""The Annotation admin's form (AnnotationAdminForm): label, speaker, verdict, the offsets
of a new span checked against the article, and a save from an older version merged or
refused."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from ... import offsets, permissions, services
from ...conflicts import StaleEdit
from ...models import Annotation, Label, Rating, Speaker
from .._common import VersionField, _bump_version, _short, _stale_message

# How a snapshot key is named to a person, in a stale-edit message.
_FIELD_NAMES = {
    "label_id": "label",
    "speaker_id": "speaker",
    "note": "internal note",
    "verdict_id": "verdict",
    "verdict_explanation": "verdict explanation",
}


def verdict_refusal(label: Label) -> str:
    return (
        f"A “{label.name}” span carries no verdict: only claims (labels that take a "
        "verdict) are rated. Clear the verdict, or choose such a label."
    )


class VerdictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, rating):
        return f"{rating.scale.name}: {rating.name} ({rating.value})"


class AnnotationAdminForm(forms.ModelForm):
    """Offsets are checked against the article: the quote typed here must be exactly
    the text at [start, end); prefix and suffix are recomputed from the body."""

    class Meta:
        model = Annotation
        fields = [
            "article",
            "label",
            "start",
            "end",
            "quote",
            "speaker",
            "note",
            "verdict",
            "verdict_explanation",
        ]
        field_classes = {"verdict": VerdictChoiceField}
        widgets = {
            "quote": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "note": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "verdict_explanation": forms.Textarea(attrs={"rows": 4, "cols": 80}),
        }
        labels = {
            "note": "Internal note",
            "verdict_explanation": "Verdict explanation (public)",
        }
        help_texts = {
            "quote": "The exact text at these offsets; the span is refused if the "
            "article reads differently there.",
            "note": "For the desk only; never published.",
            "verdict_explanation": "Published with the verdict (the review's text in "
            "ClaimReview exports).",
        }

    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "quote" in self.fields:
            self.fields["quote"].strip = False
        if "label" in self.fields:
            current = self.instance.label_id if self.instance.pk else None
            self.fields["label"].queryset = Label.objects.filter(Q(active=True) | Q(pk=current))
        if "verdict" in self.fields:
            self.fields["verdict"].queryset = Rating.objects.select_related("scale").order_by(
                "-scale__is_default", "scale__name", "-value"
            )
            self.fields["verdict"].empty_label = "No verdict"
            self.fields["verdict"].help_text = "Claims only."
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean_quote(self):
        return offsets.canonical_text(self.cleaned_data["quote"])

    def clean(self):
        cleaned = super().clean()
        label = cleaned.get("label") or (self.instance.label if self.instance.label_id else None)
        verdict = cleaned.get("verdict")
        if verdict is not None and label is not None and not label.takes_verdict:
            self.add_error("verdict", verdict_refusal(label))
        elif verdict is not None and "verdict" not in self.errors:
            self._check_scale(verdict, cleaned.get("article") or self._stored_article())
        if self.instance.pk:
            self._check_version(cleaned)
        if not {"article", "start", "end", "quote"} <= set(self.fields):
            return cleaned  # a stored span keeps its place; only its label and notes change
        article = cleaned.get("article")
        start, end, quote = cleaned.get("start"), cleaned.get("end"), cleaned.get("quote")
        if article is None or start is None or end is None or quote is None:
            return cleaned
        try:
            offsets.check_span(article.body, start, end, quote)
        except offsets.SpanError as exc:
            raise ValidationError(
                self._span_message(article.body, start, end, quote, exc)
            ) from None
        selector = offsets.quote_selector(article.body, start, end)
        self.instance.prefix, self.instance.suffix = selector.prefix, selector.suffix
        return cleaned

    def _stored_article(self):
        return self.instance.article if self.instance.article_id else None

    def _check_scale(self, verdict, article) -> None:
        """The verdict is one of the article's rating scale, or the one the span has
        (permissions.rating_refusal, which the service asks again under its lock)."""
        if article is None:
            return
        current = self.instance.verdict_id if self.instance.pk else None
        refusal = permissions.rating_refusal(verdict, article=article, current_id=current)
        if refusal:
            self.add_error("verdict", refusal)

    def _check_version(self, cleaned) -> None:
        """A save from an older version merges with what changed since, or is refused
        here with the saved values; the service checks again under its lock."""
        stored = Annotation.objects.filter(pk=self.instance.pk).select_related("speaker").first()
        if stored is None:
            raise ValidationError("This span was deleted in the meantime; nothing was saved.")
        if cleaned.get("label") is None or self.errors:
            return
        wanted = {
            "label_id": cleaned["label"].pk,
            "speaker_id": cleaned["speaker"].pk if cleaned.get("speaker") else None,
            "note": offsets.canonical_text(cleaned.get("note") or "").strip(),
            "verdict_id": cleaned["verdict"].pk if cleaned.get("verdict") else None,
            "verdict_explanation": offsets.canonical_text(
                cleaned.get("verdict_explanation") or ""
            ).strip(),
        }
        try:
            services.merge_edit(stored, wanted, cleaned.get("version"))
        except StaleEdit as conflict:
            changed = {
                _FIELD_NAMES[f]: self._saved_value(f, conflict.current[f]) for f in conflict.fields
            }
            _bump_version(self, stored.version)
            raise _stale_message("span", changed) from None

    @staticmethod
    def _saved_value(field: str, value):
        if value is None:
            return None
        if field == "label_id":
            return Label.objects.filter(pk=value).values_list("name", flat=True).first()
        if field == "speaker_id":
            return Speaker.objects.filter(pk=value).values_list("name", flat=True).first()
        if field == "verdict_id":
            return Rating.objects.filter(pk=value).values_list("name", flat=True).first()
        return value

    @staticmethod
    def _span_message(body: str, start: int, end: int, quote: str, exc) -> str:
        actual = body[start:end] if 0 <= start < end <= len(body) else None
        if actual is None or actual == quote:
            return str(exc)
        message = (
            f"The quote does not match the article: at {start}–{end} the text reads "
            f"“{_short(actual, 120)}”."
        )
        found = offsets.find_quote(body, quote, near=start)
        if found is not None:
            message += f" The quote occurs at {found[0]}–{found[1]}."
        return message + " Nothing was saved."
