from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from .importers import accepted_extensions
from .models import Annotation, Article, Evidence, Label, Rating
from .models.source import http_url


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
        error_messages={
            "required": "The span has no start offset.",
            "invalid": "Span offsets must be whole numbers.",
        },
    )
    end = forms.IntegerField(
        min_value=0,
        error_messages={
            "required": "The span has no end offset.",
            "invalid": "Span offsets must be whole numbers.",
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

    # A name: the speaker of that name is found (any case) or created by the service.
    speaker = forms.CharField(
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={"placeholder": "Who said it? e.g. John Kirby", "autocomplete": "off"}
        ),
    )

    class Meta:
        model = Annotation
        fields = ["label", "note", "verdict", "verdict_explanation"]
        widgets = {
            "note": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Internal: context for the next reviewer"}
            ),
            "verdict_explanation": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Public: why this verdict"}
            ),
        }
        labels = {"note": "Internal note", "verdict_explanation": "Verdict explanation"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.label_id if self.instance else None
        self.fields["label"].queryset = Label.objects.filter(active=True) | Label.objects.filter(
            pk=current
        )
        self.fields["label"].empty_label = None
        self.fields["verdict"].queryset = Rating.objects.select_related("scale").order_by(
            "-scale__is_default", "scale__name", "-value"
        )
        self.fields["verdict"].empty_label = "No verdict yet"
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["speaker"] = self.instance.speaker.name if self.instance.speaker_id else ""

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


class SourceForm(forms.Form):
    """A source cited on a span: the URL's shared record (title, publisher, date are
    filled in when it is new) and what this span takes from it (stance, passage)."""

    url = forms.CharField(
        label="URL",
        max_length=2000,
        # Text, not type=url: "www.example.org/x" is completed to https:// by the service.
        widget=forms.TextInput(
            attrs={"placeholder": "https://… or www.…", "inputmode": "url", "autocomplete": "off"}
        ),
        error_messages={"required": "Enter the URL of the source."},
    )
    title = forms.CharField(max_length=500, required=False)
    publisher = forms.CharField(max_length=300, required=False)
    stance = forms.ChoiceField(choices=Evidence.Stance.choices, initial=Evidence.Stance.CONTEXT)
    quoted_passage = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Quoted passage"
    )
    accessed_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Accessed on"
    )

    def clean_url(self):
        from .services.sources import clean_url

        return clean_url(self.cleaned_data["url"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Article.Status.choices)


class ArticleMetadataForm(forms.ModelForm):
    """What an editor corrects from the review page; the text itself stays as imported."""

    source_url = forms.CharField(
        label="Source URL",
        required=False,
        max_length=2000,
        validators=[http_url],
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )

    class Meta:
        model = Article
        fields = ["title", "author", "published_at", "source_url"]
        widgets = {
            "published_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        }
        labels = {"published_at": "Published"}

    def clean_source_url(self):
        url = self.cleaned_data["source_url"].strip()
        if url and url.split(":", 1)[0].lower() not in {"http", "https"}:
            raise forms.ValidationError("Enter an http:// or https:// URL.")
        return url


# A news article is kilobytes; 20 MB is a JSONL batch of about 10,000 articles.
# Bigger imports belong to `manage.py import_articles`, which reads from disk.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """FileField cleans one upload; this one cleans each of several."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, (list, tuple)) else [data]) if u]
        if not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


class ImportForm(forms.Form):
    files = MultipleFileField(
        # Empty files are reported below with their names, not by FileField's generic message.
        allow_empty_file=True,
        widget=MultipleFileInput(
            attrs={"accept": ",".join(accepted_extensions()), "aria-describedby": "import-help"}
        ),
        error_messages={"required": "Choose at least one file to import."},
    )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        errors = []
        for upload in uploads:
            if not upload.size:
                errors.append(f"“{upload.name}” is empty.")
            elif upload.size > MAX_UPLOAD_BYTES:
                errors.append(
                    f"“{upload.name}” is {filesizeformat(upload.size)}; the limit is "
                    f"{filesizeformat(MAX_UPLOAD_BYTES)} a file "
                    "(use manage.py import_articles for more)."
                )
        if errors:
            errors.append("Nothing was imported; choose the files again.")
            raise ValidationError(errors)
        return uploads
