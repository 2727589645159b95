"""Corpus-wide lists tell a user nothing they may not see: speaker and source options
leave out names used only on articles the user may not open
(permissions.annotations_seen_by)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.desk_factories import make_collection
from tests.factories import make_article, make_source, make_span, make_user

pytestmark = pytest.mark.django_db

SECRET_SPEAKER = "ConfidentialWhistleblower"
SECRET_URL = "https://confidential-dossier.example.org/leak"
SECRET_TITLE = "Confidential dossier"


@pytest.fixture
def closed_article(db, editor):
    """An article only in Other desk, with a speaker and a source only it uses."""
    desk = make_collection("Other desk", editors=[editor])
    article = make_article("The source told reporters the plant would close in May.")
    desk.articles.add(article)
    span = make_span(article, "the plant would close in May", editor, speaker=SECRET_SPEAKER)
    make_source(span, SECRET_URL, title=SECRET_TITLE)
    return article


def _options(client, user, name, **query):
    client.force_login(user)
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    return response.content.decode()


def test_speaker_options_leave_out_names_from_articles_the_user_may_not_open(
    client, editor, closed_article
):
    outsider = make_user("outsider", role="reviewer")
    client.force_login(outsider)
    assert client.get(reverse("article-detail", args=[closed_article.pk])).status_code == 403
    assert SECRET_SPEAKER not in _options(client, outsider, "speaker-options", q="Confidential")
    assert SECRET_SPEAKER in _options(client, editor, "speaker-options", q="Confidential")


def test_source_options_leave_out_records_from_articles_the_user_may_not_open(
    client, editor, closed_article
):
    outsider = make_user("outsider", role="reviewer")
    for typed in ("confidential-dossier", "Confidential"):
        assert SECRET_TITLE not in _options(client, outsider, "source-options", q=typed)
        assert SECRET_TITLE in _options(client, editor, "source-options", q=typed)


def test_a_member_who_may_open_the_article_is_offered_its_speaker(client, closed_article):
    member = make_user("insider", role="reviewer")
    closed_article.collections.get().memberships.create(user=member, role="reviewer")
    assert SECRET_SPEAKER in _options(client, member, "speaker-options", q="Confidential")
