import hashlib

from django.conf import settings
from django.db import models


def body_hash(body: str) -> str:
    """The identity of an article's text: re-importing the same body is a no-op."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Article(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_REVIEW = "in_review", "In review"
        REVIEWED = "reviewed", "Reviewed"
        ADJUDICATED = "adjudicated", "Adjudicated"

    title = models.CharField(max_length=500)
    # Canonical text (DESIGN.md, the text contract): NFC, "\n" newlines, no control
    # characters but "\n" and "\t". Spans are code-point offsets into it.
    body = models.TextField()
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    # source_url made comparable (annotations.weburl.canonical_url): an article is the same
    # when its text or this matches; same URL, new text is a new revision.
    canonical_url = models.CharField(
        max_length=2000, blank=True, default="", db_default="", db_index=True
    )
    publisher = models.CharField(max_length=300, blank=True)
    content_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_articles",
    )
    # Where the text came from: file name, importer, who ran it, what was dropped.
    import_metadata = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["published_at"]),
        ]
        permissions = [
            ("import_articles", "Can import articles"),
            ("export_dataset", "Can export datasets"),
            ("set_article_status", "Can set an article's review status"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.content_hash = body_hash(self.body)
        from ..weburl import canonical_url

        self.canonical_url = canonical_url(self.source_url) if self.source_url else ""
        super().save(*args, **kwargs)
