from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import Article

PAGE_SIZE = 50


@require_GET
def article_list(request):
    labels = selectors.active_labels()
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in Article.Status.values:
        status = ""
    label_slug = request.GET.get("label", "")
    if label_slug not in {label.slug for label in labels}:
        label_slug = ""
    articles = selectors.article_list(
        search=search, status=status, label_slug=label_slug, labels=labels
    )
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    for article in page:
        article.label_counts = [(label, getattr(article, f"count_{label.pk}")) for label in labels]
    context = {
        "page": page,
        "labels": labels,
        "statuses": Article.Status.choices,
        "filters": {"q": search, "status": status, "label": label_slug},
        "nav": "articles",
    }
    template = (
        "annotations/article_list.html#results" if request.htmx else "annotations/article_list.html"
    )
    return render(request, template, context)
