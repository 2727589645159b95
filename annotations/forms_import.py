"""The import page's form: files and/or URLs, a collection, all or nothing; with a file
field that takes several uploads."""

from django import forms
from django.core.exceptions import ValidationError

from .importers import accepted_extensions


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """FileField cleans one upload; this one cleans each of several."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, (list, tuple)) else [data]) if u]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


class ImportForm(forms.Form):
    """Files and/or URLs to import, the collection their articles join (one the user
    manages: `user` narrows the choice; an unknown one is refused before any import),
    and whether the import is all or nothing.

    Sizes are not checked here: the import view refuses an upload over the limits with
    a 413 before the form reads it (importers/limits.py). An empty file is not a form
    error either: it is reported on its own and the other files still import."""

    MAX_URLS = 100

    files = MultipleFileField(
        required=False,
        allow_empty_file=True,
        widget=MultipleFileInput(
            attrs={"accept": ",".join(accepted_extensions()), "aria-describedby": "import-help"}
        ),
    )
    urls = forms.CharField(
        label="Import from URL",
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": "https://example.org/news/article",
                "spellcheck": "false",
            }
        ),
        help_text="One or more web page addresses, one a line; each page is fetched and "
        "imported as an article.",
    )
    collection = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No collection",
        to_field_name="slug",
        help_text="New articles, and those already here, are added to it.",
        error_messages={
            "invalid_choice": "There is no such collection among those you manage; "
            "nothing was imported."
        },
    )
    atomic = forms.BooleanField(
        label="All or nothing",
        required=False,
        help_text="If any file or line is refused, nothing is imported (the report still "
        "lists every problem).",
    )

    def __init__(self, *args, user=None, **kwargs):
        from .desk_queries import manageable_collections
        from .models import Collection

        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = (
            manageable_collections(user) if user is not None else Collection.objects.none()
        )

    def clean_urls(self):
        urls = list(dict.fromkeys(self.cleaned_data["urls"].split()))
        if len(urls) > self.MAX_URLS:
            raise ValidationError(
                f"{len(urls)} URLs were given; at most {self.MAX_URLS} can be imported at once."
            )
        for url in urls:
            if url.split(":", 1)[0].lower() not in {"http", "https"} or "://" not in url:
                raise ValidationError(
                    f"“{url}” is not a web address: enter http:// or https:// URLs, one a line. "
                    "Nothing was imported."
                )
        return urls

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("files") and not cleaned.get("urls"):
            raise ValidationError(
                "Choose at least one file to import. To import a web page, give its URL."
            )
        return cleaned
