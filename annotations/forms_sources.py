"""A span's sources: a new citation (its URL's shared record and what the span takes
from it), and a citation edited in place, with the icons shown beside each stance."""

from django import forms

from .models import Evidence

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
