"""What the speaker and source autocompletes are asked."""

from django import forms


class OptionsQueryForm(forms.Form):
    """What an autocomplete asks: the typed text and, for speakers, the article open."""

    q = forms.CharField(required=False, strip=True)
    article = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    annotation = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
