from django.core.validators import RegexValidator
from django.db import models

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #d1495b.")


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

    @property
    def badge(self) -> str:
        """The letter shown on a highlight, so colour is never the only cue."""
        return (self.name[:1] or "?").upper()
