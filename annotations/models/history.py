from django.conf import settings
from django.db import models


class HistoryEvent(models.Model):
    """One create, change, delete or restore of a span, its sources and links, a speaker.

    `before` and `after` are JSON snapshots (see services.snapshot_*), so a deleted
    annotation, with its sources, can be rebuilt exactly: nothing a reviewer did is lost.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"
        RESTORE = "restore", "Restored"
        MERGE = "merge", "Merged"

    class Kind(models.TextChoices):
        ANNOTATION = "annotation", "Annotation"
        # A source cited by a span (an Evidence link; the value predates the model's name).
        SOURCE = "source", "Source"
        RELATION = "relation", "Relation"
        SPEAKER = "speaker", "Speaker"
        # A shared source record (URL, title, publisher), cited by any number of spans.
        SOURCE_RECORD = "source_record", "Source record"
        ARTICLE = "article", "Article"
        ASSIGNMENT = "assignment", "Assignment"
        COLLECTION = "collection", "Collection"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField()
    # Kept as a plain id (not a foreign key) so the record outlives what it describes.
    # Empty for what belongs to no one span (a speaker, a shared source record).
    annotation_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    article = models.ForeignKey(
        "Article", null=True, on_delete=models.SET_NULL, related_name="history"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Where the change was made: "review", "admin", "import", "command", "adjudication"...
    origin = models.CharField(max_length=40, blank=True, default="", db_default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "object_id"])]
        verbose_name = "history event"

    def __str__(self):
        return f"{self.get_action_display()} {self.kind} #{self.object_id}"
