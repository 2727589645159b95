"""Restoring what was deleted: a span (from its deletion's history record) or a whole
article (undoing services.articles.article_delete). Each restore's refusal rule has one
owner, the function that says why a deletion cannot be restored, and its restore asks it
again under its lock:

- span.py: restore_refusal, the rule for when a deleted span can come back, and
  annotation_restore, with the helpers only it uses (where the span's text is now, which
  of its links can return).
- article.py: article_restore_refusal, the rule for when an article's deletion can be
  undone (ARTICLE_RETURNED is one of its answers; with_restorability has a list's query
  look up what it asks, for every row at once), and article_restore, which brings the
  article's row back and records the restore.
- article_rows.py: what hung from the deleted article, rebuilt for article_restore: its
  spans and their sources, links, desk rows (collections, assignments, adjudication),
  revisions and history.
- shared.py: helpers both restores use (snapshot times, the accounts that still exist,
  a span's speaker, a source's citation, creation times).

What other code uses is imported from here.
"""

from .article import (
    ARTICLE_RETURNED,
    article_restore,
    article_restore_refusal,
    known_restorability,
    with_restorability,
)
from .span import annotation_restore, restore_refusal

__all__ = [
    "ARTICLE_RETURNED",
    "annotation_restore",
    "article_restore",
    "article_restore_refusal",
    "known_restorability",
    "restore_refusal",
    "with_restorability",
]
