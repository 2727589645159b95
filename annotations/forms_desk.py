"""The desk's forms: a collection, its settings, members, articles and assignments."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .models import Assignment, Collection, Label, Membership, RatingScale

# Article ids typed or pasted: "12, 15 18" (at most this many at once).
MAX_IDS = 1000


def parse_ids(raw: str, what: str = "article") -> list[int]:
    parts = raw.replace(",", " ").split()
    if not parts:
        raise ValidationError(f"Give at least one {what} id.")
    # ASCII digits only: isdigit() alone takes "²" (which int() refuses: a 500) and
    # Arabic-Indic or full-width digits (which int() reads as another id).
    bad = [p for p in parts if not (p.isascii() and p.isdigit())]
    if bad:
        shown = ", ".join(f"“{p[:20]}”" for p in bad[:5])
        raise ValidationError(f"{what.capitalize()} ids are whole numbers; {shown} is not.")
    # No id has 12 digits yet; a longer number is no id (and past a column's range).
    huge = [p for p in parts if len(p.lstrip("0")) >= 12]
    if huge:
        shown = ", ".join(f"“{p[:20]}”" for p in huge[:5])
        raise ValidationError(f"There is no {what} with the id {shown}: it is far too large.")
    if len(parts) > MAX_IDS:
        raise ValidationError(f"At most {MAX_IDS} {what} ids at once.")
    return list(dict.fromkeys(int(p) for p in parts))


class CollectionCreateForm(forms.Form):
    name = forms.CharField(
        max_length=200, error_messages={"required": "Give the collection a name."}
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if Collection.objects.filter(name__iexact=name).exists():
            raise ValidationError("A collection with this name already exists.")
        return name


class CollectionSettingsForm(forms.ModelForm):
    # Chosen by slug and name, not id: a hostile 30-digit "id" is an unknown choice, never
    # an integer overflow in the lookup.
    labels = forms.ModelMultipleChoiceField(
        queryset=Label.objects.filter(active=True),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every active label.",
    )
    rating_scale = forms.ModelChoiceField(
        queryset=RatingScale.objects.all(),
        to_field_name="name",
        required=False,
        empty_label="The default scale",
    )
    reviewers_per_article = forms.IntegerField(min_value=1, max_value=20)

    class Meta:
        model = Collection
        fields = [
            "description",
            "labels",
            "rating_scale",
            "blind",
            "requires_assignment",
            "reviewers_per_article",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": "Give a user name."})
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.REVIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=Membership.Role.choices, error_messages={"invalid_choice": "Unknown role."}
    )


class ArticleIdsForm(forms.Form):
    ids = forms.CharField(
        max_length=20000,
        label="Article ids",
        error_messages={"required": "Give at least one article id."},
    )

    def clean_ids(self):
        return parse_ids(self.cleaned_data["ids"])


class IdsField(forms.Field):
    """Ticked ids (articles, reviewers): the checkboxes named after the field, each a
    whole number short enough for any id column (a longer one is refused, not looked up)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, what: str = "article", **kwargs):
        self.what = what
        super().__init__(**kwargs)

    def to_python(self, value):
        return parse_ids(" ".join(value), self.what) if value else []


class AssignForm(forms.Form):
    article = IdsField(required=False)
    reviewers = IdsField(
        what="reviewer", required=True, error_messages={"required": "Choose at least one reviewer."}
    )
    per_article = forms.IntegerField(
        min_value=1,
        max_value=20,
        required=False,
        error_messages={"min_value": "Each article needs at least 1 reviewer."},
    )
    unassigned = forms.BooleanField(required=False)

    def clean_reviewers(self):
        """The accounts, in the order ticked; any account here: the service refuses a
        non-member by name, storing nothing."""
        ids = self.cleaned_data["reviewers"]
        found = get_user_model().objects.in_bulk(ids)
        if len(found) != len(ids):
            raise ValidationError("There is no such reviewer.")
        return [found[pk] for pk in ids]

    def clean(self):
        data = super().clean()
        # Ids that are not ids were refused already: "tick one" would only contradict.
        if "article" not in self.errors and not data.get("article") and not data.get("unassigned"):
            raise ValidationError("Tick at least one article to assign.")
        return data


class QueueFilterForm(forms.Form):
    collection = forms.SlugField(required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Assignment.Status.choices], required=False
    )
