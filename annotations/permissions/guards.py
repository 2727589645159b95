"""The rules as answers: what a view raises when the user may not open or see something.

An article the user may not open is a 403 naming why (its ids are not secret: the list
says which articles exist to those who may open them). A span, source, link or history
event the user may not see is a 404 worded like one that never existed ("No such
span."), so ids cannot be probed for other reviewers' work; so is a stored export they
may not open ("No such export.").
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .desk import can_open_article, is_blind_for, open_refusal
from .exports import can_open_export_record

NO_SUCH_SPAN = "No such span."
NO_SUCH_EXPORT = "No such export."

__all__ = [
    "NO_SUCH_EXPORT",
    "NO_SUCH_SPAN",
    "may_see_span",
    "may_see_span_id",
    "openable_article_or_refuse",
    "require_open",
    "require_openable_export",
    "require_visible_deleted_span",
    "require_visible_span",
]


def require_open(user, article) -> None:
    refusal = open_refusal(user, article)
    if refusal:
        raise PermissionDenied(refusal)


def openable_article_or_refuse(user, article_id, queryset=None):
    """The article: 404 if there is none, 403 with the reason if the user may not open it."""
    from ..models import Article

    article = (queryset if queryset is not None else Article.objects).filter(pk=article_id).first()
    if article is None:
        raise Http404  # the generic "nothing at this address"
    require_open(user, article)
    return article


def _article_of(annotation):
    from ..models import Article

    # The loaded article if there is one (its access is then remembered for the page).
    if "article" in annotation._state.fields_cache:
        return annotation.article
    return Article(pk=annotation.article_id)


def may_see_span(user, annotation=None, *, article=None, author_id=None) -> bool:
    """Whether the user may see a span (live, or deleted: give its article and author)."""
    if annotation is not None:
        article, author_id = _article_of(annotation), annotation.author_id
    if not can_open_article(user, article):
        return False
    return author_id == user.pk or not is_blind_for(user, article)


def require_visible_span(user, annotation) -> None:
    if not may_see_span(user, annotation):
        raise Http404(NO_SUCH_SPAN)


def require_openable_export(user, record) -> None:
    """A stored export the user may not open is a 404 like one that never was: its page
    would show its counts, its file the spans hidden from them."""
    if not can_open_export_record(user, record):
        raise Http404(NO_SUCH_EXPORT)


def require_visible_deleted_span(user, event) -> None:
    """A deletion event, offered or restored, only to who could see the span it removed."""
    from ..models import Article

    data = event.before or {}
    article = Article(pk=event.article_id or data.get("article_id") or 0)
    if not may_see_span(user, article=article, author_id=data.get("author_id")):
        raise Http404(NO_SUCH_SPAN)


def may_see_span_id(user, annotation_id, *, article_id) -> bool:
    """Whether the user may see the span `annotation_id`, live or deleted (of `article_id`):
    for the things left behind by a span (a removed source, a removed link)."""
    from ..models import Annotation, Article, HistoryEvent

    live = Annotation.objects.filter(pk=annotation_id).select_related("article").first()
    if live is not None:
        return may_see_span(user, live)
    deletion = (
        HistoryEvent.objects.filter(
            kind=HistoryEvent.Kind.ANNOTATION,
            object_id=annotation_id or 0,
            action=HistoryEvent.Action.DELETE,
        )
        .order_by("-id")
        .first()
    )
    author_id = (deletion.before or {}).get("author_id") if deletion else None
    return may_see_span(user, article=Article(pk=article_id or 0), author_id=author_id)
