"""Who may adjudicate (the one check, which every write makes first), and the way into
the writes on an open adjudication: permission, then the article's lock, then its
unfinished adjudication.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from ... import permissions
from ...conflicts import Conflict
from ...models import Adjudication, Article
from .._locks import locked_article

NOT_AN_ADJUDICATOR = "Only an editor of this article's collection can adjudicate it."
FINISHED = "This adjudication is finished; reopen it to change the gold layer."


# --- the writes' shared steps -------------------------------------------------------------


def _check_may_adjudicate(actor, article: Article) -> None:
    if not permissions.can_adjudicate(actor, article):
        raise PermissionDenied(NOT_AN_ADJUDICATOR)


def _open_adjudication(actor, article: Article) -> tuple[Article, Adjudication]:
    """Permission, then the article's lock, then its unfinished adjudication."""
    _check_may_adjudicate(actor, article)
    stored = locked_article(article.pk, fields=("body", "status"))
    adjudication = Adjudication.objects.filter(article_id=stored.pk).first()
    if adjudication is None:
        raise Conflict("Start the adjudication of this article first.")
    if adjudication.finished_at is not None:
        raise Conflict(FINISHED)
    return stored, adjudication
