"""Every export, recorded: who asked for what, what it held, and (for a stored one) where
the file is, so it can be downloaded again and checked against its SHA-256."""

import uuid

from django.conf import settings
from django.db import models


class ExportRecord(models.Model):
    """One export: a streamed download, a background export to storage, or a command run.

    A streamed download is recorded when its stream ends (done, or interrupted when the
    client went away); a background one is a job the worker claims and fills in as it
    goes (articles_done of articles_total), like an ImportJob.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"

    class Via(models.TextChoices):
        PAGE = "page", "Export page"
        BACKGROUND = "background", "Background"
        COMMAND = "command", "Command"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="exports"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress update of a background export: one whose worker was
    # killed stops beating and is then marked failed (job_liveness.py).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    via = models.CharField(max_length=12, choices=Via.choices, default=Via.PAGE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    format = models.CharField(max_length=40)
    # The filters as the export form cleaned them (dates as ISO days): the export can be
    # run again from them, and the page summarises them.
    filters = models.JSONField(default=dict, blank=True)
    layer = models.CharField(max_length=200, default="all")
    # gzip, excel, csv_raw, base_url.
    options = models.JSONField(default=dict, blank=True)
    file_name = models.CharField(max_length=300)
    # Where the "exports" storage keeps the file; empty for a streamed download.
    storage_path = models.CharField(max_length=500, blank=True)
    articles = models.PositiveIntegerField(default=0)
    spans = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    articles_total = models.PositiveIntegerField(default=0)
    articles_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Export {self.id} ({self.format}, {self.get_status_display()})"

    @property
    def is_stored(self) -> bool:
        return bool(self.storage_path) and self.status == self.Status.DONE

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
