from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from .importers import accepted_extensions
from .models import Annotation, Article, Label, Source
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

    class Meta:
        model = Annotation
        fields = ["label", "speaker", "note"]
        widgets = {
            "speaker": forms.TextInput(attrs={"placeholder": "Who said it? e.g. John Kirby"}),
            "note": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Context for the next reviewer"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.label_id if self.instance else None
        self.fields["label"].queryset = Label.objects.filter(active=True) | Label.objects.filter(
            pk=current
        )
        self.fields["label"].empty_label = None
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class SourceForm(forms.ModelForm):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        validators=[http_url],
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
        error_messages={"required": "Enter the URL of the source."},
    )

    class Meta:
        model = Source
        fields = ["url", "title", "publisher", "stance", "quoted_passage", "accessed_on"]
        widgets = {
            "quoted_passage": forms.Textarea(attrs={"rows": 2}),
            "accessed_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        # Schemes are case-insensitive for browsers ("JavaScript:"), so check them lowered.
        scheme = url.split(":", 1)[0].lower()
        if scheme not in {"http", "https"} or any(ch.isspace() for ch in url):
            raise forms.ValidationError("Enter an http:// or https:// URL without spaces.")
        return url


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
