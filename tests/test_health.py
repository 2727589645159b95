"""/healthz and the 503 page while the database is unreachable (in process).

The same against a real gunicorn and a PostgreSQL that goes away is in test_serve_outage.py.
"""

from unittest import mock

import pytest
from django.contrib.auth.decorators import login_not_required
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import path, reverse
from psycopg_pool import PoolTimeout

from annotations.views import errors
from factcheck.urls import urlpatterns as app_urlpatterns

MESSAGE = "The database is not reachable, so nothing from this request was saved."
FAILURES = {
    "operational": OperationalError("server closed the connection unexpectedly"),
    "interface": InterfaceError("connection already closed"),
    "pool": PoolTimeout("couldn't get a connection after 3.00 sec"),
    "bug": ValueError("a bug"),
}


@login_not_required
def failing_view(request, kind):
    raise FAILURES[kind]


# This module doubles as a URLconf (pytest.mark.urls): the app's URLs plus a failing view.
urlpatterns = [path("fail/<str:kind>/", failing_view), *app_urlpatterns]
handler500 = "annotations.views.errors.server_error"


def _failing_cursor(exception):
    return mock.patch("annotations.views.health.connection.cursor", side_effect=exception)


@pytest.mark.django_db
def test_healthz_answers_ok_without_signing_in(client):
    """GET /healthz needs no login and answers 200 "ok" while the database answers."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_and_says_nothing_else_when_the_database_fails(client):
    """No error text, no versions: only "unavailable" and a 503."""
    with _failing_cursor(OperationalError("connection refused to 10.0.0.5 (PostgreSQL 17)")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable"


@pytest.mark.django_db
def test_healthz_refuses_writes(client):
    """Only GET and HEAD: a health check has no side effects."""
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ["operational", "interface", "pool"])
def test_a_view_that_loses_the_database_answers_503_with_the_message(client, kind):
    """OperationalError, InterfaceError and the pool's timeout become a clear 503, not a 500."""
    response = client.get(f"/fail/{kind}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert MESSAGE in body
    assert "<h1>Database not reachable</h1>" in body
    assert f'href="/fail/{kind}/"' in body  # "Try again" loads the same page
    assert str(FAILURES[kind]) not in body  # no error text


@pytest.mark.urls(__name__)
def test_htmx_requests_get_the_message_as_plain_text(client):
    """htmx shows a short message instead of swapping a whole page into the review page."""
    response = client.get("/fail/operational/", headers={"HX-Request": "true"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == errors.DATABASE_UNAVAILABLE


@pytest.mark.urls(__name__)
def test_other_errors_are_still_a_500(client):
    """Only database outages are 503: a bug stays a 500 with its own page."""
    client.raise_request_exception = False
    response = client.get("/fail/bug/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
def test_an_article_page_is_503_when_no_query_gets_through(reviewer_client, article):
    """The real review page with every query failing: the 503 page, rendered without the DB."""
    reviewer_client.raise_request_exception = False
    outage = OperationalError("could not connect to server: Connection refused")
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=outage),
        mock.patch.object(CursorWrapper, "executemany", side_effect=outage),
    ):
        response = reviewer_client.get(reverse("article-detail", args=[article.pk]))
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()


@pytest.mark.django_db
def test_losing_the_database_while_loading_the_session_is_503_too(reviewer_client, article):
    """A failure in a middleware (the session), not the view, still answers 503."""
    reviewer_client.raise_request_exception = False
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("gone")):
        response = reviewer_client.get(reverse("article-detail", args=[article.pk]))
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()


def test_the_page_falls_back_to_plain_html_if_the_template_fails(rf):
    """If even the layout cannot render, the message still arrives, as static HTML."""
    request = rf.get("/articles/1/")
    with mock.patch("annotations.views.errors.render_to_string", side_effect=RuntimeError):
        response = errors.database_unavailable(request)
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()


def test_a_wrapped_database_error_is_recognised():
    """An outage raised from inside another exception (a template, a library) still counts."""
    wrapped = RuntimeError("rendering failed")
    wrapped.__cause__ = OperationalError("gone")
    assert errors.is_database_unavailable(wrapped)
    assert not errors.is_database_unavailable(ValueError("no"))
