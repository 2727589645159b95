"""Tells the history from which screen each change of a request was made.

Every HistoryEvent written while a request runs carries the origin set here (see
annotations.history.recording_origin): "admin" for the admin site, "import" for the
import page, "adjudication" for the adjudication pages, "desk" for the collections and
assignment pages, and "review" for the review page and its endpoints. The screen is
told by the resolved URL (its namespace, name and route), not by path prefixes, so
moving a page keeps its origin.
"""

from __future__ import annotations

from django.urls import Resolver404, resolve

from .history import recording_origin

REVIEW = "review"
# Views of the app that are no screen a change is made from.
_NOT_SCREENS = {"annotations.views.health", "annotations.views.errors"}


def origin_of(match) -> str:
    """The origin for a resolved URL (a django.urls.ResolverMatch); "" for none."""
    if match is None:
        return ""
    if "admin" in match.namespaces:
        return "admin"
    name = match.url_name or ""
    route = match.route or ""
    if name == "import" or name.startswith("import-"):
        return "import"
    if name.startswith("adjudicat") or "adjudicate" in route:
        return "adjudication"
    if name.startswith(("collection", "assignment", "queue")) or route.startswith(
        ("collections/", "assignments/", "queue/")
    ):
        return "desk"
    module = match.func.__module__
    if module.startswith("annotations.views") and module not in _NOT_SCREENS:
        return REVIEW
    return ""


class HistoryOriginMiddleware:
    """Sets the history origin around each request (by the URL it resolves to)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        with recording_origin(origin_of(match)):
            return self.get_response(request)
