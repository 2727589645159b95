from urllib.parse import urlsplit

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django_htmx.http import HttpResponseClientRedirect


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
