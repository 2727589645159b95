import re

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import desk_queries, permissions, search, selectors
from ..models import Article, Collection

PAGE_SIZE = 50
# Longer than any search worth running; a 10 kB query string is not a search (cut
# before the word the cut would split, with a note).
MAX_SEARCH = 200
# Control characters never occur in titles (imports strip them), and PostgreSQL refuses
# a NUL in a query parameter with an error: they are dropped from the search box.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _search_terms(raw: str) -> tuple[str, bool]:
    """The search box's text without control characters, cut to MAX_SEARCH; and whether
    it was cut."""
    text = _CONTROL_CHARACTERS.sub("", raw).strip()
    return search.shorten(text, MAX_SEARCH), len(text) > MAX_SEARCH


def _collection_filter(request, collections) -> tuple[Collection | None, str]:
    """The chosen collection among those the user sees, or a note saying why none is."""
    slug = request.GET.get("collection", "").strip()
    if not slug:
        return None, ""
    chosen = next((c for c in collections if c.slug == slug), None)
    if chosen is None:
        return None, f"There is no collection “{slug[:60]}” among yours; showing all articles."
    return chosen, ""


def _bulk_bar(request, collection) -> dict | None:
    """What the editors' "Assign to …" bar offers, when a collection is chosen."""
    if collection is None or not permissions.can_assign(request.user, collection):
        return None
    return {
        "collection": collection,
        "reviewers": list(desk_queries.assignable_reviewers(collection)),
        "per_article": collection.reviewers_per_article,
    }


@require_GET
def article_list(request):
    user = request.user
    labels = selectors.active_labels()
    search_text, shortened = _search_terms(request.GET.get("q", ""))
    status = request.GET.get("status", "")
    if status not in Article.Status.values:
        status = ""
    label_slug = request.GET.get("label", "")
    if label_slug not in {label.slug for label in labels}:
        label_slug = ""
    collections = list(desk_queries.visible_collections(user))
    collection, collection_note = _collection_filter(request, collections)
    articles = selectors.article_list(
        search=search_text, status=status, label_slug=label_slug, user=user, collection=collection
    )
    # A search pages through SearchResults: ranked, each page with its snippets.
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    notes = [f"The search was shortened to its first {MAX_SEARCH} characters."] if shortened else []
    notes.append(getattr(articles, "note", ""))  # e.g. articles still joining the index
    note = " ".join(n for n in notes if n)
    ids = [article.pk for article in page]
    counts = selectors.label_counts(ids, user=user)
    reviewers = desk_queries.assignments_by_article(ids, collection)
    for article in page:
        article.label_counts = [(label, counts.get((article.pk, label.pk), 0)) for label in labels]
        article.reviews = reviewers.get(article.pk, [])
    context = {
        "page": page,
        "labels": labels,
        "statuses": Article.Status.choices,
        "collections": collections,
        "filters": {
            "q": search_text,
            "status": status,
            "label": label_slug,
            "collection": collection.slug if collection else "",
        },
        "search_note": note,
        "search_pending": getattr(articles, "pending", 0),  # articles not yet in the index
        "collection_note": collection_note,
        "bulk": _bulk_bar(request, collection),
        "nav": "articles",
    }
    template = (
        "annotations/article_list.html#results" if request.htmx else "annotations/article_list.html"
    )
    return render(request, template, context)
