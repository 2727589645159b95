from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils.functional import cached_property

from .importers import accepted_extensions
from .models import Annotation, Article, Evidence, Label, Rating, Speaker
from .models.source import http_url
from .speaker_guess import suggest_speaker


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


STANCE_ICONS = {
    Evidence.Stance.SUPPORTS: "✓",
    Evidence.Stance.REFUTES: "✗",
    Evidence.Stance.CONTEXT: "i",  # drawn in a circle (editor.css): no font needed
}


class SourceForm(forms.Form):
    """A source cited on a span: the URL's shared record (title, publisher, date are
    filled in when it is new) and what this span takes from it (stance, passage)."""

    url = forms.CharField(
        label="URL",
        max_length=2000,
        # Text, not type=url: "www.example.org/x" is completed to https:// by the service.
        widget=forms.TextInput(
            attrs={
                "placeholder": "https://… or www.…",
                "inputmode": "url",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        error_messages={
            "required": "Enter the URL of the source.",
            "max_length": "The URL is %(show_value)d characters long; the limit is "
            "%(limit_value)d.",
        },
    )
    title = forms.CharField(max_length=500, required=False)
    publisher = forms.CharField(max_length=300, required=False)
    stance = forms.ChoiceField(
        choices=Evidence.Stance.choices,
        initial=Evidence.Stance.CONTEXT,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a stance: supports, refutes or context."},
    )
    quoted_passage = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "The words of the source you rely on"}
        ),
        label="Quoted passage",
    )
    accessed_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Accessed on"
    )

    def clean_url(self):
        from .services.sources import clean_url

        return clean_url(self.cleaned_data["url"])

    def stance_choices(self):
        """(radio, icon) for each stance: the icon is shown beside the words, never alone."""
        return [(radio, STANCE_ICONS.get(radio.data["value"], "")) for radio in self["stance"]]


class SourceEditForm(SourceForm):
    """A span's source edited in place: its citation (URL, stance, passage) and the
    shared record's title, publisher and date. Both carry the version they were rendered
    from, so a save over someone else's newer change is refused, never applied blindly."""

    RECORD_FIELDS = ("title", "publisher", "accessed_on")

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    record_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, evidence: Evidence, can_change_record: bool, **kwargs):
        record = evidence.source
        kwargs.setdefault(
            "initial",
            {
                "url": record.url,
                "title": record.title,
                "publisher": record.publisher,
                "accessed_on": record.accessed_on,
                "stance": evidence.stance,
                "quoted_passage": evidence.quoted_passage,
                "version": evidence.version,
                "record_version": record.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.evidence = evidence
        self.can_change_record = can_change_record
        if not can_change_record:
            # Shown, not editable: the record belongs to whoever added it and the editors.
            for name in self.RECORD_FIELDS:
                self.fields[name].disabled = True

    def _changed(self, name: str) -> bool:
        value, before = self.cleaned_data[name], self.initial.get(name)
        return value != before if name == "accessed_on" else value != (before or "")

    def changes(self) -> tuple[dict, dict]:
        """(the citation's changes, the shared record's changes): only what differs from
        the values the form was rendered with, so a title left as it was is never written
        over a newer one."""
        link = {
            n: self.cleaned_data[n] for n in ("url", "stance", "quoted_passage") if self._changed(n)
        }
        record = {
            n: self.cleaned_data[n]
            for n in self.RECORD_FIELDS
            if not self.fields[n].disabled and self._changed(n)
        }
        return link, record


class OptionsQueryForm(forms.Form):
    """What an autocomplete asks: the typed text and, for speakers, the article open."""

    q = forms.CharField(required=False, strip=True)
    article = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    annotation = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


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
