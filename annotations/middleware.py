import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django_htmx.http import HttpResponseClientRedirect

from annotations.views.errors import database_unavailable, is_database_unavailable

logger = logging.getLogger(__name__)


class HtmxAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Anonymous users go to the login page, and so do htmx requests.

    A plain 302 would make htmx swap the login form into the middle of the review page
    when a session expires; instead the browser is told to load the login page, which
    then returns to the page the reviewer was on.
    """

    def handle_no_permission(self, request, view_func):
        if getattr(request, "htmx", False):
            current = request.htmx.current_url or request.get_full_path()
            parts = urlsplit(current)
            back_to = parts.path + (f"?{parts.query}" if parts.query else "")
            response = redirect_to_login(
                back_to, self.get_login_url(view_func), self.get_redirect_field_name(view_func)
            )
            return HttpResponseClientRedirect(response.url)
        return super().handle_no_permission(request, view_func)


class DatabaseUnavailableMiddleware:
    """While the database is down, a view that needs it answers 503 with a clear message.

    Django would log a traceback and render the 500 page (which itself needs the
    database for the signed-in user). One warning line per request is enough: the cause
    is outside the app, and it recovers by itself once the database answers again.
    Failures elsewhere in the middleware reach handler500, which gives the same answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The signed-in user is loaded lazily, first by LoginRequiredMiddleware's
        # process_view, where an outage would bypass process_exception; load it here.
        user = getattr(request, "user", None)
        if user is None:
            return None
        try:
            user.is_authenticated  # noqa: B018 (evaluating it loads the session and user)
        except Exception as exception:
            if is_database_unavailable(exception):
                return self.process_exception(request, exception)
            raise
        return None

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning(
            "Database unavailable during %s %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
        )
        return database_unavailable(request)


class SlidingSessionMiddleware:
    """A signed-in session ends SESSION_COOKIE_AGE after the last request, not the login.

    Django's SESSION_SAVE_EVERY_REQUEST would do that with a database write on every
    request; renewing the expiry once per 1/24 of the age (30 minutes of a 12-hour
    session) keeps it sliding for the cost of one write per half hour of activity.
    The clock starts when a request saves the session anyway (signing in); a session
    written outside a request (the test client's force_login) just keeps its expiry.
    """

    REFRESHED_AT = "_session_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Runs before SessionMiddleware saves: stamping a session that is being saved
        # anyway costs nothing.
        if session is not None and session.modified and SESSION_KEY in session:
            session.setdefault(self.REFRESHED_AT, int(time.time()))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After DatabaseUnavailableMiddleware has loaded the session (or answered 503).
        session = request.session
        if session.session_key is None or SESSION_KEY not in session:
            return
        refreshed_at = session.get(self.REFRESHED_AT)
        now = int(time.time())
        if refreshed_at is not None and now - refreshed_at >= settings.SESSION_COOKIE_AGE // 24:
            session[self.REFRESHED_AT] = now  # marks it modified: saved, cookie renewed
