from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")


class Source(models.Model):
    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"
        CONTEXT = "context", "Context"

    annotation = models.ForeignKey("Annotation", on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=2000, validators=[http_url])
    title = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.CONTEXT)
    quoted_passage = models.TextField(blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="sources_added",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every edit (see Annotation.version).
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["annotation", "id"]

    def __str__(self):
        return self.title or self.url
