import gc

import pytest
from django.conf import settings as django_settings

from tests.factories import make_article, make_user


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test that reads only part of a streamed download leaves its generator, and the
    PostgreSQL server-side cursor it holds, to the garbage collector; collected during a
    later test, its CLOSE of a cursor that died with the earlier transaction aborts the
    later test's transaction. Collected here, before the next test's transaction begins,
    the failed CLOSE happens in autocommit and harms nothing."""
    if "postgresql" in django_settings.DATABASES["default"]["ENGINE"]:
        gc.collect()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests only need passwords to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reviewer(db):
    return make_user("rita", role="reviewer")


@pytest.fixture
def other_reviewer(db):
    return make_user("oscar", role="reviewer")


@pytest.fixture
def editor(db):
    return make_user("edith", role="editor")


@pytest.fixture
def admin_user(db):
    return make_user("ada", role="admin")


@pytest.fixture
def article(db):
    return make_article(
        "Kirby said “the talks are advancing” on Wednesday.\nMoscow denied it.",
        title="Talks advancing",
        author="Jane Doe",
    )


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
