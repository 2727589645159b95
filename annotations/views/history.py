"""The history pages: a span's timeline (lazy-loaded into its editor, or a page of its
own) and an article's whole history, filtered and paginated. Read-only; a deleted span
is restored through the review page's restore endpoint (annotation-restore)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .. import history_selectors as reads
from .. import permissions
from ..models import Article, HistoryEvent

PER_PAGE = 50
NO_SUCH_SPAN = "No such span."


def _require_open(user, article) -> None:
    if not permissions.can_open_article(user, article):
        raise PermissionDenied(
            "You cannot open this article: it is in a collection you are not in."
        )


@require_GET
def annotation_history(request, annotation_id):
    span = reads.span_ref(annotation_id)
    if span is None:
        raise Http404(NO_SUCH_SPAN)
    _require_open(request.user, span.article)
    if not reads.can_see_span(request.user, span):
        # Worded as if it never existed: ids cannot be probed for others' work.
        raise Http404(NO_SUCH_SPAN)
    context = {
        "span": span,
        "article": span.article,
        "entries": reads.span_timeline(annotation_id, span.article.pk, request.user),
    }
    template = (
        "annotations/history/span_timeline.html"
        if request.htmx
        else ("annotations/history/span_page.html")
    )
    return render(request, template, context)


# The largest id a database column holds: a bigger one matches nobody (and is no error).
_MAX_ID = 2**63 - 1


def _actor_filter(value: str) -> int | None:
    if not (value.isascii() and value.isdigit()):
        return None
    actor_id = int(value)
    return actor_id if 0 < actor_id <= _MAX_ID else None


@require_GET
def article_history(request, article_id):
    article = get_object_or_404(Article.objects.defer("body"), pk=article_id)
    _require_open(request.user, article)
    kind = request.GET.get("kind", "")
    kind = kind if kind in HistoryEvent.Kind.values else ""
    actor_id = _actor_filter(request.GET.get("actor", ""))
    visible = reads.article_events(article, request.user)
    events = reads.article_events(article, request.user, kind=kind, actor_id=actor_id)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "annotations/history/article_page.html",
        {
            "article": article,
            "page": page,
            "entries": reads.timeline(page.object_list, request.user),
            "kinds": HistoryEvent.Kind.choices,
            "actors": reads.article_actors(visible),
            "filters": {"kind": kind, "actor": actor_id},
        },
    )
