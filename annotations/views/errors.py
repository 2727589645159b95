"""Error pages: a clear message in our layout, never a traceback."""

from django.http import HttpResponse
from django.shortcuts import render


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


def page_not_found(request, exception=None):
    return _error(request, 404, "Not found", "There is nothing at this address.")


def server_error(request):
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
