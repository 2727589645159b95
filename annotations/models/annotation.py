from django.conf import settings
from django.db import models

from .managers import AllSpansManager, PlacedSpanManager


class Annotation(models.Model):
    class Layer(models.TextChoices):
        # Each reviewer's own spans (the author tells them apart).
        REVIEWER = "reviewer", "Reviewer"
        # The adjudicated spans: what an editor accepted, edited or merged.
        GOLD = "gold", "Gold"

    # No index of its own: both of Meta.indexes begin with the article (a third index
    # would only cost every insert).
    article = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="annotations", db_index=False
    )
    label = models.ForeignKey("Label", on_delete=models.PROTECT, related_name="annotations")
    # [start, end) in Python code points into article.body.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    # The W3C TextQuoteSelector: body[start:end] and up to 32 code points either side,
    # so a span can be checked and re-anchored.
    quote = models.TextField()
    prefix = models.CharField(max_length=32, blank=True)
    suffix = models.CharField(max_length=32, blank=True)
    speaker = models.ForeignKey(
        "Speaker",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="annotations",
        help_text="Who made the claim or denial.",
    )
    # Internal: never published (the verdict explanation is what a ClaimReview shows).
    note = models.TextField(blank=True)
    # The verdict on a claim (only labels with takes_verdict carry one), who gave it, when.
    verdict = models.ForeignKey(
        "Rating",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="annotations",
        db_index=False,  # a partial index, in Meta.indexes
    )
    verdict_explanation = models.TextField(
        blank=True, help_text="Public: why this verdict (published as the review's body)."
    )
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="verdicts_given",
        db_index=False,  # a partial index, in Meta.indexes
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    layer = models.CharField(
        max_length=10, choices=Layer.choices, default=Layer.REVIEWER, db_default=Layer.REVIEWER
    )
    # For a gold span: the reviewer spans it was accepted or merged from.
    adjudicated_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="gold_spans"
    )
    # A span a new revision of the text could not place: its offsets still index the text
    # of `anchored_in` (the revision it was made on), and it is listed on the article for
    # a reviewer to place or discard; it is never deleted for that. RESTRICT: a revision
    # an unplaced span points into cannot be deleted alone, only with its article (and
    # the span), which PROTECT refused outright.
    needs_attention = models.BooleanField(default=False, db_default=False)
    anchored_in = models.ForeignKey(
        "ArticleRevision",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        db_index=False,  # a partial index, in Meta.indexes
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every edit: an edit form carries the version it was rendered from, so a
    # save made from a stale page is caught instead of silently overwriting a newer one.
    version = models.PositiveIntegerField(default=1, db_default=1)

    # The default leaves out spans that need attention (their offsets index an older
    # text): see annotations.models.managers. `all_objects` sees every span.
    objects = PlacedSpanManager()
    all_objects = AllSpansManager()

    class Meta:
        ordering = ["article", "start", "-end", "id"]
        indexes = [
            models.Index(fields=["article", "start", "end"]),
            models.Index(fields=["article", "layer", "author"]),
            # Most spans have no verdict and none is unplaced: these foreign keys are
            # indexed only where set (what a PROTECT/RESTRICT check or a look-up by them
            # reads: `= x` and `IN (...)` imply NOT NULL), so a bulk import of spans
            # writes three index entries fewer per span.
            *(
                models.Index(
                    fields=[field],
                    condition=models.Q(**{f"{field}__isnull": False}),
                    name=f"annotation_{field}_set",
                )
                for field in ("verdict", "verdict_by", "anchored_in")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__gte=0), name="annotation_start_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="annotation_end_after_start"
            ),
        ]
        permissions = [
            ("change_any_annotation", "Can edit or delete anyone's annotations"),
        ]

    def __str__(self):
        # Never a query of its own: Django's deletion pages, the admin's log and its
        # messages call str() on every span they name. The label is named when it came
        # with the span (select_related: the admin's span pages and autocompletes).
        if Annotation.label.is_cached(self):
            return f"{self.label.name}: {self.quote[:60]}"
        return f"Span #{self.pk}: {self.quote[:60]}"
