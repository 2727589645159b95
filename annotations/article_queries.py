"""The article list's reads as one user sees them: only the articles they may open
(permissions.openable_articles), span counts and the label filter over the spans they
may see (blind mode: permissions.visible_annotations), an optional collection, and each
row's reviewers. A fixed number of queries a page, however many rows or spans."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet

from . import permissions
from .models import Annotation, Article, Assignment, Collection
from .search import SearchResults
from .search import search as search_articles

# The list's order (as selectors.article_list and its neighbours): newest first,
# undated last, then by id.
LIST_ORDER = (F("published_at").desc(nulls_last=True), "-id")


def article_list(
    user,
    *,
    search: str = "",
    status: str = "",
    label_slug: str = "",
    collection: Collection | None = None,
) -> QuerySet[Article] | SearchResults:
    articles = (
        Article.objects.select_related("assignee")
        .defer("body", "import_metadata")
        .order_by(*LIST_ORDER)
    )
    articles = permissions.openable_articles(user, articles)
    if collection is not None:
        articles = articles.filter(pk__in=collection.articles.values("pk"))
    if status:
        articles = articles.filter(status=status)
    if label_slug:
        # Over the spans this user may see: a blind reviewer learns nothing from it.
        spans = permissions.visible_annotations(
            user, Annotation.objects.filter(label__slug=label_slug)
        )
        articles = articles.filter(pk__in=spans.values("article_id"))
    if search:
        return search_articles(articles, search)
    return articles


def label_counts(user, article_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(article id, label id): spans this user may see}, one grouped query a page."""
    spans = permissions.visible_annotations(
        user, Annotation.objects.filter(article_id__in=article_ids)
    )
    rows = spans.values_list("article_id", "label_id").annotate(n=Count("id")).order_by()
    return {(article_id, label_id): n for article_id, label_id, n in rows}


def assignments_by_article(
    article_ids: list[int], collection: Collection | None = None
) -> dict[int, list[Assignment]]:
    """Each article's reviewers and their statuses (in the collection, if one is chosen)."""
    rows = Assignment.objects.filter(article_id__in=article_ids).select_related(
        "reviewer", "collection"
    )
    if collection is not None:
        rows = rows.filter(collection=collection)
    found: dict[int, list[Assignment]] = {}
    for row in rows.order_by("collection__name", "reviewer__username"):
        found.setdefault(row.article_id, []).append(row)
    return found
