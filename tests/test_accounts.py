"""Signing in: throttling (django-axes), password rules, sessions that expire."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import make_user

LOCKED = "Too many failed sign-ins for this user from this address."


def _sign_in(client, username, password, *, address="10.0.0.1", url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_user_on_that_address(client, reviewer):
    """25 wrong passwords: locked with our message (429, our layout); then even the right one
    is refused while the lock lasts."""
    statuses = [_sign_in(client, "rita", f"wrong {i}").status_code for i in range(25)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(statuses[limit:]) == {429}
    response = _sign_in(client, "rita", "pw")
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED in body
    assert "Sign in to Factcheck" in body and 'class="topbar"' in body
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_locked_attempt_costs_no_password_hashing(client, reviewer, monkeypatch):
    """The throttle backend refuses before ModelBackend checks (and hashes) the password."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "rita", f"wrong {i}")
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, raw: checked.append(raw))
    assert _sign_in(client, "rita", "pw").status_code == 429
    assert checked == []


@pytest.mark.django_db
def test_the_lock_does_not_reach_other_users_or_other_addresses(client, reviewer, other_reviewer):
    """Another user from the same address signs in; the same user from elsewhere does too."""
    for i in range(25):
        _sign_in(client, "rita", f"wrong {i}")
    assert _sign_in(Client(), "oscar", "pw").status_code == 302
    assert _sign_in(Client(), "rita", "pw", address="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(client, reviewer, settings):
    """After AXES_COOLOFF_TIME the right password works again."""
    from datetime import timedelta

    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for i in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "rita", f"wrong {i}")
    assert _sign_in(client, "rita", "pw").status_code == 429
    time.sleep(1.1)
    assert _sign_in(client, "rita", "pw").status_code == 302


@pytest.mark.django_db
def test_a_success_before_the_limit_forgets_the_failures(client, reviewer):
    """Typos on Monday do not add up to a lockout on Friday."""
    for _ in range(3):
        for i in range(settings.AXES_FAILURE_LIMIT - 1):
            _sign_in(client, "rita", f"wrong {i}")
        assert _sign_in(client, "rita", "pw").status_code == 302
        client.post(reverse("logout"))


@pytest.mark.django_db
def test_the_admin_login_is_throttled_too(client, admin_user):
    """The admin's own login form counts and refuses in the same way."""
    url = reverse("admin:login")
    for i in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "ada", f"wrong {i}", url=url)
    response = _sign_in(client, "ada", "pw", url=url)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client, reviewer, settings):
    """With one trusted proxy, two clients behind it are told apart by X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "rita", "password": f"wrong {i}"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    elsewhere = Client().post(
        reverse("login"),
        {"username": "rita", "password": "pw"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_lock(client, reviewer, settings):
    """Entries the client prepends to X-Forwarded-For are ignored: the proxy's is used."""
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            reverse("login"),
            {"username": "rita", "password": "pw" if i == settings.AXES_FAILURE_LIMIT else "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7",
        )
    assert response.status_code == 429


@pytest.mark.django_db
def test_an_absurdly_long_user_name_is_refused_not_a_500(client, reviewer):
    """10,000 characters of user name: the form's error, then the lock; never a 500."""
    statuses = {_sign_in(client, "x" * 10_000, "wrong").status_code for _ in range(6)}
    assert statuses == {200, 429}


@pytest.mark.django_db
def test_force_login_and_the_test_clients_login_still_work(client, reviewer):
    """Tests sign in without a request (client.login) or without a password (force_login)."""
    assert client.login(username="rita", password="pw")
    assert client.get(reverse("article-list")).status_code == 200


@pytest.mark.django_db
def test_the_admin_refuses_a_weak_password_for_a_new_user(admin_client):
    """The password validators in settings apply where passwords are set: the admin forms."""
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newbie", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This password is too common." in body
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_short_or_numeric_password_change(admin_client, reviewer):
    """Changing someone's password in the admin is held to the same rules."""
    url = reverse("admin:auth_user_password_change", args=[reviewer.pk])
    response = admin_client.post(url, {"password1": "31415", "password2": "31415"})
    body = response.content.decode()
    assert "This password is too short." in body
    assert "This password is entirely numeric." in body
    reviewer.refresh_from_db()
    assert reviewer.check_password("pw")


@pytest.mark.django_db
def test_a_strong_password_is_accepted(admin_client):
    """The rules refuse weak passwords only."""
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "password1": "violet staple 93 harbor",
            "password2": "violet staple 93 harbor",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newbie").check_password("violet staple 93 harbor")


@pytest.mark.django_db
def test_sessions_expire_after_the_configured_hours_of_inactivity(client, reviewer):
    """Signing in gives a session good for SESSION_COOKIE_AGE (12 h by default)."""
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert _sign_in(client, "rita", "pw").status_code == 302
    age = client.session.get_expiry_age()
    assert 12 * 3600 - 60 <= age <= 12 * 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 12 * 3600


@pytest.mark.django_db
def test_activity_renews_the_session_without_writing_every_request(client, reviewer):
    """The expiry slides forward once the session is 1/24 of its age old; not on every request."""
    from django.contrib.sessions.models import Session

    from annotations.middleware import SlidingSessionMiddleware

    _sign_in(client, "rita", "pw")
    key = client.session.session_key
    first_expiry = Session.objects.get(pk=key).expire_date
    assert client.get(reverse("article-list")).status_code == 200
    assert Session.objects.get(pk=key).expire_date == first_expiry  # no write
    session = client.session
    session[SlidingSessionMiddleware.REFRESHED_AT] -= settings.SESSION_COOKIE_AGE // 24
    session.save()
    Session.objects.filter(pk=key).update(expire_date=first_expiry)  # as it was
    client.get(reverse("article-list"))
    assert Session.objects.get(pk=key).expire_date > first_expiry  # renewed by the request


@pytest.mark.django_db
def test_a_session_past_its_age_is_signed_out(client, reviewer):
    """An expired session sends the reviewer to the login page."""
    from django.contrib.sessions.models import Session

    client.force_login(reviewer)
    Session.objects.update(expire_date="2000-01-01T00:00:00Z")
    response = client.get(reverse("article-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_demo_accounts_keep_their_simple_passwords(settings):
    """make run's demo accounts are created directly, so the validators do not block them."""
    from io import StringIO

    from django.core.management import call_command

    settings.USING_LOCAL_DEFAULT_DATABASE = True
    call_command("demo_accounts", stdout=StringIO())
    assert User.objects.get(username="reviewer").check_password("reviewer")
    make_user("extra")  # factories too
