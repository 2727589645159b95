"""Login throttling (django-axes) fitted to this project."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' gate, which refuses a locked-out (user, address) before hashing.

    A call without a request (the test client's login(), a management command) has no
    address to throttle; django-axes would raise, so it is let through to ModelBackend.
    Every sign-in over HTTP passes its request and is throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the one our trusted proxies recorded.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so the client is the entry TRUSTED_PROXY_COUNT places from the end;
    anything further left was sent by the client and could be forged.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote
    return hops[-count]


# Django user names are at most 150 characters; django-axes stores the attempted one in a
# 255-character column, so a longer guess would fail the INSERT (a 500 on PostgreSQL).
USERNAME_MAX_LENGTH = 150


def attempted_username(request, credentials=None) -> str | None:
    """The user name an attempt was for, cut to what a real user name can be."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username[:USERNAME_MAX_LENGTH] if isinstance(username, str) else username
