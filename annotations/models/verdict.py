from django.db import models


class RatingScale(models.Model):
    """The verdicts a desk gives (true … false), managed by editors in the admin."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="The scale the review page offers.")

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="rating_scale_one_default",
                violation_error_message="Another rating scale is already the default.",
            ),
        ]

    def __str__(self):
        return self.name


class Rating(models.Model):
    """One verdict of a scale; `value` orders it (higher is truer) for ClaimReview."""

    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="ratings")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    value = models.PositiveSmallIntegerField(
        help_text="Ordinal value: higher is truer; 0 for a verdict off the scale (unproven)."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["scale", "-value", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scale", "value"],
                name="rating_value_once_per_scale",
                violation_error_message="Two verdicts of this scale have the same ordinal value.",
            ),
            models.UniqueConstraint(
                fields=["scale", "slug"],
                name="rating_slug_once_per_scale",
                violation_error_message="Two verdicts of this scale have the same slug.",
            ),
        ]

    def __str__(self):
        return self.name
