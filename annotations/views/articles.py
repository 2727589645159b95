import re

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import search, selectors
from ..models import Article

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


@require_GET
def article_list(request):
    labels = selectors.active_labels()
    search, shortened = _search_terms(request.GET.get("q", ""))
    status = request.GET.get("status", "")
    if status not in Article.Status.values:
        status = ""
    label_slug = request.GET.get("label", "")
    if label_slug not in {label.slug for label in labels}:
        label_slug = ""
    articles = selectors.article_list(search=search, status=status, label_slug=label_slug)
    # A search pages through SearchResults: ranked, each page with its snippets.
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    note = getattr(articles, "note", "")
    if shortened:
        note = f"The search was shortened to its first {MAX_SEARCH} characters."
    counts = selectors.label_counts([article.pk for article in page])
    for article in page:
        article.label_counts = [(label, counts.get((article.pk, label.pk), 0)) for label in labels]
    context = {
        "page": page,
        "labels": labels,
        "statuses": Article.Status.choices,
        "filters": {"q": search, "status": status, "label": label_slug},
        "search_note": note,
        "nav": "articles",
    }
    template = (
        "annotations/article_list.html#results" if request.htmx else "annotations/article_list.html"
    )
    return render(request, template, context)
