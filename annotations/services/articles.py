"""An article's review status."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import permissions
from ..conflicts import Gone
from ..models import Article


@transaction.atomic
def article_set_status(*, article: Article, status: str, actor) -> Article:
    if not permissions.can_set_status(actor):
        raise PermissionDenied("Your account cannot change an article's status.")
    if status not in Article.Status.values:
        raise ValidationError(f"Unknown status “{status}”.")
    now = timezone.now()
    if not Article.objects.filter(pk=article.pk).update(status=status, updated_at=now):
        raise Gone("This article was deleted in the meantime.")
    article.status, article.updated_at = status, now
    return article
