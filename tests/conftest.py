import pytest

from tests.factories import make_article, make_user


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


@pytest.fixture
def exports_in_tmp(settings, tmp_path):
    """The "exports" storage (background exports' files) in this test's tmp_path."""
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "exports"},
        },
    }
