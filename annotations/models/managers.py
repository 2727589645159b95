"""Which spans a query sees by default.

A span a new revision could not place (`needs_attention`) keeps offsets into an older
text: shown, exported or compared where offsets index the current text, it would point
at the wrong characters. The default manager leaves those spans out, so every existing
query (review page, span lists, exports, agreement, adjudication, search, seen-before,
`article.annotations`) is right by construction; `Annotation.all_objects` sees them too,
for the attention list, the revision service and the admin.

Deletion cascades and forward relations use the model's base manager (Django's plain
Manager, not this one), so an article's deletion still takes its unplaced spans along.
"""

from __future__ import annotations

from django.db import models


class PlacedSpanQuerySet(models.QuerySet):
    def needing_attention(self):
        return self.filter(needs_attention=True)


class PlacedSpanManager(models.Manager.from_queryset(PlacedSpanQuerySet)):
    """Spans placed on the article's current text (the default manager)."""

    def get_queryset(self):
        return super().get_queryset().filter(needs_attention=False)


class AllSpansManager(models.Manager.from_queryset(PlacedSpanQuerySet)):
    """Every span, the ones that need attention after a revision included."""
