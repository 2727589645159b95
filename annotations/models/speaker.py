from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from .source import http_url


class Speaker(models.Model):
    """A person or organisation a span is attributed to, shared across the corpus.

    One row per name (case-insensitive): "John Kirby" typed on two spans is one person;
    variants ("J. Kirby") are merged by an editor in the admin.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANIZATION = "organization", "Organisation"

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    role = models.CharField(
        max_length=300, blank=True, help_text="e.g. White House national security spokesman"
    )
    url = models.URLField(max_length=2000, blank=True, validators=[http_url])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speakers_added",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="speaker_name_unique",
                violation_error_message="A speaker with this name already exists.",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="speaker_name_not_empty"),
        ]

    def __str__(self):
        return f"{self.name} ({self.role})" if self.role else self.name
