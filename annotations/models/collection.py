"""Collections (a desk, an investigation, a dataset), who works in them, and who reviews
which article: the data behind queues, blind double annotation and adjudication."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Collection(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    # Empty means every active label; otherwise the review page offers only these.
    labels = models.ManyToManyField("Label", blank=True, related_name="collections")
    # Empty means the default scale.
    rating_scale = models.ForeignKey(
        "RatingScale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    articles = models.ManyToManyField("Article", blank=True, related_name="collections")
    blind = models.BooleanField(
        default=False,
        help_text="Reviewers see only their own spans until the article is adjudicated.",
    )
    requires_assignment = models.BooleanField(
        default=False, help_text="Reviewers open only the articles assigned to them."
    )
    reviewers_per_article = models.PositiveSmallIntegerField(
        default=1, help_text="How many reviewers annotate each article."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="collection_name_unique_ci",
                violation_error_message="A collection with this name already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewers_per_article__gte=1),
                name="collection_needs_a_reviewer",
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        REVIEWER = "reviewer", "Reviewer"
        EDITOR = "editor", "Editor"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REVIEWER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "user"],
                name="membership_once_per_collection",
                violation_error_message="This user is already a member of the collection.",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.collection}"


class Assignment(models.Model):
    """One reviewer's work on one article within one collection: their queue row."""

    class Status(models.TextChoices):
        TODO = "todo", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="assignments")
    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TODO)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]
        indexes = [models.Index(fields=["reviewer", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "article", "reviewer"],
                name="assignment_once_per_reviewer",
                violation_error_message="This reviewer is already assigned this article.",
            )
        ]

    def __str__(self):
        return f"{self.article_id} → {self.reviewer} ({self.get_status_display()})"


class Adjudication(models.Model):
    """An editor's resolution of an article's reviewer layers into its gold layer."""

    article = models.OneToOneField("Article", on_delete=models.CASCADE, related_name="adjudication")
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="adjudications"
    )
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("adjudicate_article", "Can adjudicate articles into the gold layer")]

    def __str__(self):
        return f"Adjudication of {self.article_id}"
