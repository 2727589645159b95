"""An article's forms on the review page: its status, and the metadata an editor corrects."""

from django import forms

from .models import Article
from .models.source import http_url
from .weburl import port_problem


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
        # URLValidator takes a port past 65535, which saving (canonical_url) cannot read.
        if url and (problem := port_problem(url)):
            raise forms.ValidationError(f"{problem[:1].upper()}{problem[1:]}.")
        return url
