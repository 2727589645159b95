from django.conf import settings
from django.core.validators import URLValidator
from django.db import models

http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")


class Source(models.Model):
    """A piece of evidence, stored once by its URL and cited by any number of spans.

    What a span says about it (stance, the passage quoted) lives on the link, Evidence.
    """

    # Normalised before it is stored (annotations.weburl.normalise_url), so one page
    # is one row whatever case its host was typed in.
    url = models.URLField(max_length=2000, validators=[http_url], unique=True)
    title = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources_added",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["url"]

    def __str__(self):
        return self.title or self.url


class Evidence(models.Model):
    """A span citing a source: the stance the source takes on it and the passage quoted.

    The span's "sources" (annotation.sources) are these links; a URL is cited at most
    once per span (a database constraint).
    """

    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"
        CONTEXT = "context", "Context"

    annotation = models.ForeignKey("Annotation", on_delete=models.CASCADE, related_name="sources")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.CONTEXT)
    quoted_passage = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_added",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every edit (see Annotation.version).
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["annotation", "id"]
        verbose_name = "evidence link"
        verbose_name_plural = "evidence links"
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "source"],
                name="evidence_source_once_per_span",
                violation_error_message="This span already cites this URL.",
            ),
        ]

    def __str__(self):
        return f"{self.get_stance_display()}: {self.source}"

    # The cited source's fields, read through the link (templates and snapshots use
    # them; select_related("source") keeps them one query).
    @property
    def url(self) -> str:
        return self.source.url

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def publisher(self) -> str:
        return self.source.publisher

    @property
    def accessed_on(self):
        return self.source.accessed_on
