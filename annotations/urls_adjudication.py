"""The adjudication pages' URLs (included by annotations.urls)."""

from django.urls import path

from .views import adjudication

_BASE = "articles/<int:article_id>/adjudicate/"

urlpatterns = [
    path(_BASE, adjudication.adjudication_page, name="article-adjudicate"),
    path(f"{_BASE}start/", adjudication.adjudication_start, name="adjudication-start"),
    path(f"{_BASE}accept/", adjudication.span_accept, name="adjudication-accept"),
    path(f"{_BASE}reject/", adjudication.span_reject, name="adjudication-reject"),
    path(f"{_BASE}merge/", adjudication.spans_merge, name="adjudication-merge"),
    path(f"{_BASE}gold/<int:gold_id>/", adjudication.gold_edit, name="adjudication-gold-edit"),
    path(
        f"{_BASE}gold/<int:gold_id>/remove/",
        adjudication.gold_remove,
        name="adjudication-gold-remove",
    ),
    path(f"{_BASE}finish/", adjudication.adjudication_finish, name="adjudication-finish"),
    path(f"{_BASE}reopen/", adjudication.adjudication_reopen, name="adjudication-reopen"),
]
