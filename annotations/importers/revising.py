"""The one call an import makes when a record's canonical source URL is an article's
here but its text is different: a new revision of that article (services/revisions.py,
which keeps the old text and re-anchors every span on the new one).

A thin adapter, so the importer's call site is one line and does not depend on how the
revisions service spells its arguments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import import_module

from .base import ArticleRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Revised:
    problem: str = ""  # why the record was not made a revision, for the report
    summary: str = ""  # what the revision did ("Revision 2 stored: 3 spans placed ...")


def revise(article_id: int, record: ArticleRecord, *, actor) -> Revised:
    """Make `record` the new text of article `article_id`, or say why not."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from ..conflicts import Conflict, Gone
    from ..models import Article

    service = _revise_function()
    if service is None:
        return Revised(
            "an article with this source URL is already here with another text, and this "
            "installation cannot store revisions yet; nothing was changed"
        )
    article = Article.objects.get(pk=article_id)
    if refusal := _not_theirs(actor, article):
        return Revised(refusal)
    # What the file says about the article besides its text (empty values are not news).
    metadata = {
        name: value
        for name, value in (
            ("author", record.author),
            ("publisher", record.publisher),
            ("published_at", record.published_at),
        )
        if value
    }
    try:
        outcome = service(
            article=article,
            title=record.title,
            body=record.body,
            source_url=record.source_url or None,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            **metadata,
        )
    except ValidationError as error:
        return Revised(f"a new text for “{article.title}” was refused: {' '.join(error.messages)}")
    except (PermissionDenied, Conflict, Gone) as error:
        logger.info("Revision of article %s refused: %s", article_id, error)
        return Revised(f"a new text for “{article.title}” could not be stored now: {error}")
    return Revised(summary=getattr(outcome, "summary", ""))


def _not_theirs(actor, article) -> str:
    """Why `actor` may not give this article a new text ("" if they may): a person who
    may not open it, or sees only their own spans on it (blind), would rewrite a text
    and move spans they cannot see. The command line (no signed-in actor) may."""
    from .. import permissions

    if not getattr(actor, "is_authenticated", False):
        return ""
    access = permissions.article_access(actor, article)
    if access.openable and not access.blind:
        return ""
    # Not its title: they may not see that either.
    return (
        "an article from this source URL is already here, and you may not open it or see "
        "all of it; nothing was changed"
    )


def _revise_function():
    try:
        module = import_module("annotations.services.revisions")
    except ImportError:
        return None
    return getattr(module, "revise_article", None)
