"""Conflicts become 409 answers with a message, never 500s.

Views catch what they can show in place (a stale edit beside the saved version); this is
the net under every view, the admin included: a Conflict raised by a service, or an
IntegrityError from two writes meeting in the database, is answered 409 with a message
that says nothing was saved. The transaction has already been rolled back.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import render

from .conflicts import Conflict

logger = logging.getLogger(__name__)

GONE_MESSAGE = (
    "What you were changing was deleted in the meantime, so nothing was saved. Reload the "
    "page to see it as it is now."
)
INTEGRITY_MESSAGE = (
    "Someone else changed this at the same moment, so nothing was saved. Reload the page "
    "and try again."
)


def conflict_response(request, message: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
    return render(request, "error.html", {"title": "Conflict", "message": message}, status=409)


class ConflictMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Conflict):
            return conflict_response(request, exception.message)
        if isinstance(exception, IntegrityError):
            logger.warning("Integrity error answered with 409: %s", exception)
            return conflict_response(request, INTEGRITY_MESSAGE)
        if isinstance(exception, ObjectDoesNotExist):
            # A row read after a check was deleted by someone else in between.
            logger.warning("Vanished row answered with 409: %s", exception)
            return conflict_response(request, GONE_MESSAGE)
        return None
