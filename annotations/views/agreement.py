"""The Agreement pages of a collection and of one article, with their CSV downloads.

Editors only. The figures come from annotations.agreement (loaded in four queries,
computed by pure functions); these views check access, pick the format and render.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from ..agreement import compute
from ..agreement.access import can_view_article_agreement, can_view_collection_agreement
from ..agreement.chart import bar_chart
from ..agreement.loading import load_selection
from ..agreement.serialise import as_csv
from ..models import Article, Collection
from .errors import _error
from .regions import plain_error

TEMPLATE = "annotations/agreement/page.html"
# The collection page lists this many of the articles that disagree most.
WORST_ARTICLES = 25


def _format(request):
    """The format asked for: html (the default) or csv; None for anything else."""
    value = request.GET.get("format", "html")
    return value if value in ("html", "csv") else None


def _unknown_format(request):
    value = request.GET.get("format", "")[:20]
    return plain_error(f"Unknown format “{value}”: use format=csv, or leave it out for the page.")


def _csv(report, filename: str) -> HttpResponse:
    response = HttpResponse(as_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _optional_url(name: str, *args) -> str | None:
    """A page of another desk feature (adjudication, the collection's page), or None
    where that feature is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _context(report, selection, **extra) -> dict:
    names = selection.label_names
    per_label = [(slug, names.get(slug, slug), f) for slug, f in report.per_label.items()]
    return {
        "report": report,
        "per_label": per_label,
        "chart": bar_chart([(name, f) for _slug, name, f in per_label]) if per_label else None,
        **extra,
    }


@require_GET
def collection_agreement(request, slug):
    collection = Collection.objects.filter(slug=slug).first()
    if collection is None:
        return _error(request, 404, "Not found", f"There is no collection “{slug}”.")
    if not can_view_collection_agreement(request.user, collection):
        raise PermissionDenied(
            f"Only the editors of “{collection.name}” can see its agreement figures."
        )
    chosen = _format(request)
    if chosen is None:
        return _unknown_format(request)
    selection = load_selection(collection.articles.all(), collection=collection)
    report = compute(selection.articles, selection.label_order)
    if chosen == "csv":
        return _csv(report, f"agreement-{collection.slug}.csv")
    worst = [
        (result, _optional_url("article-adjudicate", result.id))
        for result in report.articles[:WORST_ARTICLES]
    ]
    context = _context(
        report,
        selection,
        collection=collection,
        collection_url=_optional_url("collection-detail", collection.slug),
        worst_articles=worst,
    )
    return render(request, TEMPLATE, context)


@require_GET
def article_agreement(request, article_id):
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return _error(request, 404, "Not found", f"There is no article #{article_id}.")
    if not can_view_article_agreement(request.user, article):
        raise PermissionDenied(
            "Only editors of one of this article's collections can see its agreement figures."
        )
    chosen = _format(request)
    if chosen is None:
        return _unknown_format(request)
    selection = load_selection(Article.objects.filter(pk=article.pk))
    report = compute(selection.articles, selection.label_order)
    if chosen == "csv" and report.articles:
        return _csv(report, f"agreement-article-{article.pk}.csv")
    # A single reviewer (or none): the page says so, with no figures and no download.
    context = _context(
        report,
        selection,
        article=article,
        result=report.articles[0] if report.articles else None,
        skipped=report.skipped[0] if report.skipped else None,
        adjudicate_url=_optional_url("article-adjudicate", article.pk),
    )
    return render(request, TEMPLATE, context)
