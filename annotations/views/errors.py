"""Error pages: a clear message in our layout, never a traceback."""

import logging
import re
import sys

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (
    "The database is not reachable, so nothing from this request was saved. Try again in a minute."
)
# If even the template cannot be rendered, this needs nothing but Python.
_PLAIN_DATABASE_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Database not reachable</title>"
    "<h1>Database not reachable</h1><p>{message}</p>"
)


def _error(request, status, title, message):
    if getattr(request, "htmx", False):
        # htmx shows a plain message in the page instead of swapping in a whole page.
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You are not allowed to do that."
    return _error(request, 403, "Not allowed", message)


# The 404s the app raises on purpose say what is missing ("No such span."); Django's own
# (no URL matched, get_object_or_404) get the generic sentence.
_OWN_404 = re.compile(r"No such [a-z ]+\.")


def page_not_found(request, exception=None):
    message = str(exception) if exception is not None else ""
    if not _OWN_404.fullmatch(message):
        message = "There is nothing at this address."
    return _error(request, 404, "Not found", message)


def server_error(request):
    # A database outage that broke a middleware (the session, the signed-in user) rather
    # than the view ends up here: it is still a 503 the user can act on, not a 500.
    if is_database_unavailable(sys.exception()):
        return database_unavailable(request)
    return _error(
        request,
        500,
        "Something went wrong",
        "The server hit an error; nothing you saved before this was lost. Try again.",
    )


def csrf_failure(request, reason=""):
    return _error(
        request,
        403,
        "Page expired",
        "This page was open too long or you signed in elsewhere. Reload the page and try "
        "again; nothing from this request was saved.",
    )


def is_database_unavailable(exception) -> bool:
    """Whether `exception` (or what caused it) means the database could not be used."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, OperationalError | InterfaceError | PoolTimeout):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def database_unavailable(request):
    """503 with a message, rendered without the session, the user or the database."""
    if getattr(request, "htmx", False):
        response = HttpResponse(
            DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        try:
            # No request: context processors would load the user from the database.
            body = render_to_string(
                "database_unavailable.html",
                {"message": DATABASE_UNAVAILABLE, "retry_url": request.get_full_path()},
            )
        except Exception:
            logger.exception("The database-unavailable page could not be rendered")
            body = _PLAIN_DATABASE_PAGE.format(message=escape(DATABASE_UNAVAILABLE))
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout: our sign-in page with the reason, and 429 Too Many Requests."""
    message = "Too many failed sign-ins for this user from this address. "
    if settings.AXES_COOLOFF_TIME:
        minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
        message += f"Signing in is blocked for {minutes} minutes; wait, then try again, "
        message += "or ask an admin to unlock it."
    else:
        message += "Ask an admin to unlock it."
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username")})
    context = {"form": form, "locked_out": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)
