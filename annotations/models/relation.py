from django.conf import settings
from django.db import models


class Relation(models.Model):
    """A span pointing at the span it answers (a denial denies a claim, …).

    Both ends are in the same article (checked by services.relations, which locks it);
    a span never points at itself and points at another span at most once (constraints).
    Deleting either end deletes the link; the span's history keeps it for a restore.
    """

    class Type(models.TextChoices):
        DENIES = "denies", "Denies"
        RESPONDS_TO = "responds_to", "Responds to"
        EVIDENCE_FOR = "evidence_for", "Evidence for"

    from_span = models.ForeignKey(
        "Annotation", on_delete=models.CASCADE, related_name="relations_out"
    )
    to_span = models.ForeignKey("Annotation", on_delete=models.CASCADE, related_name="relations_in")
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.RESPONDS_TO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="relations_added",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["from_span", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_span=models.F("to_span")),
                name="relation_not_to_itself",
                violation_error_message="A span cannot answer itself.",
            ),
            models.UniqueConstraint(
                fields=["from_span", "to_span"],
                name="relation_once_per_pair",
                violation_error_message="These two spans are already linked.",
            ),
        ]

    def __str__(self):
        return f"#{self.from_span_id} {self.get_type_display().lower()} #{self.to_span_id}"
