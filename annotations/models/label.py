from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #d1495b.")

# The review page's own keys (annotations/static/annotations/js/review.js, editor.js,
# relations.js) and what each does there. The page looks a label's shortcut up before
# most of them, so a label on one of these would silently take the key away (a label on
# j: no more stepping between spans; on ?: no key list). tests/test_label_shortcuts.py
# reads the scripts and fails when a key they bind is missing here.
RESERVED_SHORTCUTS = {
    "j": "go to the next span",
    "k": "go to the previous span",
    "n": "open the next article",
    "p": "open the previous article",
    "?": "show the list of keys",
    "]": "select the next sentence",
    "[": "select the previous sentence",
    "v": "choose the open claim's verdict",
    "s": "take the suggested speaker",
    "l": "link the open span to another",
    "c": "copy the verdict and sources of a similar claim",
}


def shortcut_refusal(key: str) -> str | None:
    """Why `key` cannot be a label's shortcut, or None when it can ("" is no shortcut)."""
    if key == "":
        return None
    if key.isspace():
        return (
            "A space (or other blank) cannot be a shortcut key: it scrolls the review "
            "page, and shows as nothing on its label. Choose a letter, digit or sign."
        )
    if key in RESERVED_SHORTCUTS:
        return (
            f"“{key}” is a key of the review page: it is used to "
            f"{RESERVED_SHORTCUTS[key]}, and a label on it would take that away. "
            "Choose another key."
        )
    return None


class Label(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    colour = models.CharField(max_length=7, validators=[hex_colour], default="#5b6c8f")
    shortcut = models.CharField(
        max_length=1,
        blank=True,
        help_text="One key that applies this label to the selected text, e.g. 1.",
    )
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    takes_verdict = models.BooleanField(
        default=False, help_text="Spans with this label can be given a verdict (claims)."
    )

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortcut"],
                condition=~models.Q(shortcut=""),
                name="label_shortcut_unique_when_set",
                violation_error_message="Another label already uses this shortcut key.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The one check of a shortcut key, for every form that edits a label (Django's
        # model validation runs it for the admin's change form and its list alike).
        refusal = shortcut_refusal(self.shortcut or "")
        if refusal:
            raise ValidationError({"shortcut": refusal}, code="reserved_shortcut")

    @property
    def badge(self) -> str:
        """The letter shown on a highlight, so colour is never the only cue."""
        return (self.name[:1] or "?").upper()
