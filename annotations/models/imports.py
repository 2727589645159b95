"""Imports as jobs (they run on the task worker, with progress), and an article's
earlier texts (a re-import of the same URL with changed text is a new revision)."""

import uuid

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One upload, URL list or command run: what it holds, how far it got, its report.

    The worker updates the counters as it goes, so the page can show progress; the
    report (per file and per line) is kept so a user can leave and come back.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress update: a running job whose worker was killed stops
    # beating, and is then marked failed (importers/jobs.reap_stalled).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The task framework's result id, to find the worker's record of the run.
    task_id = models.CharField(max_length=64, blank=True)
    # What was asked: file names (stored under var/ until the worker is done), URLs,
    # the collection to add articles to, --atomic.
    description = models.CharField(max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    lines_done = models.PositiveIntegerField(default=0)
    articles_created = models.PositiveIntegerField(default=0)
    articles_present = models.PositiveIntegerField(default=0)
    articles_revised = models.PositiveIntegerField(default=0)
    spans_created = models.PositiveIntegerField(default=0)
    problems = models.PositiveIntegerField(default=0)
    # Per file: name, format, encoding, created/present/revised, refused lines with reasons.
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import {self.id} ({self.get_status_display()})"


class ArticleRevision(models.Model):
    """An earlier text of an article, kept readable (with a diff against the next)."""

    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    body = models.TextField()
    content_hash = models.CharField(max_length=64, db_index=True)
    source_url = models.URLField(max_length=2000, blank=True)
    # When this text was the article's, and who brought the one that replaced it.
    imported_at = models.DateTimeField()
    replaced_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_number_once")
        ]

    def __str__(self):
        return f"{self.article_id} r{self.number}"
