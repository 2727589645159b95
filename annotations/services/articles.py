"""An article's review status and its metadata edits."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import permissions
from ..conflicts import Conflict, Gone
from ..models import Annotation, Article
from ._locks import locked_article

# What an editor may change on a stored article (the body only while no span points in).
EDITABLE_FIELDS = (
    "title",
    "author",
    "publisher",
    "published_at",
    "source_url",
    "status",
    "assignee",
    "body",
)


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


@transaction.atomic
def article_update(*, article: Article, actor, changes: dict) -> Article:
    """Save an editor's changes to an article.

    The row is locked first, and span creation locks it too, so "no span points into the
    text" is checked on the text being replaced: a span made a moment earlier refuses
    the new body instead of being left pointing at the wrong characters.
    """
    if not (actor.is_authenticated and actor.has_perm("annotations.change_article")):
        raise PermissionDenied("Your account cannot change articles.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    stored = locked_article(article.pk)
    changed = [f for f, v in changes.items() if getattr(stored, f) != v]
    if "body" in changed and Annotation.objects.filter(article_id=stored.pk).exists():
        raise Conflict(
            "The text cannot change: spans now point into it by character offsets. "
            "Nothing was saved."
        )
    if not changed:
        return stored
    for field in changed:
        setattr(stored, field, changes[field])
    derived = ["content_hash"] if "body" in changed else []  # Article.save derives it
    stored.save(update_fields=[*changed, *derived, "updated_at"])
    return stored
