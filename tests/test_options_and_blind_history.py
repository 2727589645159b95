"""Corpus-wide lists and the history tell a user nothing they may not see: speaker and
source options leave out names used only on articles the user may not open
(permissions.annotations_seen_by), and in blind mode another reviewer's assignment
moving on is neither in the history nor in the state tag (visible_history_events)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.blind_world import make_blind_world
from tests.desk_factories import make_assignment, make_collection
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


# --- blind mode: other reviewers' assignments --------------------------------------------------


@pytest.fixture
def world(db):
    """A blind desk where A is at work and C, a third reviewer, has not started yet."""
    world = make_blind_world()
    world.c = make_user("carl_blind", role="reviewer")
    world.collection.memberships.create(user=world.c, role="reviewer")
    world.c_row = make_assignment(world.collection, world.article, world.c)
    return world


def test_another_reviewers_first_span_leaves_the_state_tag_as_it_was(client, world):
    url = reverse("article-state", args=[world.article.pk])
    client.force_login(world.a)
    before = client.get(url)["ETag"]
    make_span(world.article, "discuss the harbour", world.c)  # C's to do → in progress
    world.c_row.refresh_from_db()
    assert world.c_row.status == "in_progress"
    assert client.get(url, headers={"If-None-Match": before}).status_code == 304


def test_another_reviewers_assignment_is_not_in_the_history(client, world, editor):
    make_span(world.article, "discuss the harbour", world.c)
    client.force_login(world.a)
    page = client.get(reverse("article-history", args=[world.article.pk])).content.decode()
    assert "carl_blind" not in page
    # An editor sees it.
    client.force_login(editor)
    page = client.get(reverse("article-history", args=[world.article.pk])).content.decode()
    assert "carl_blind" in page


def test_a_reviewer_still_sees_their_own_assignment_in_the_history(client, world):
    from annotations.services import assignments

    assignments.mark_done(world.c_row, world.c)
    client.force_login(world.c)
    page = client.get(reverse("article-history", args=[world.article.pk])).content.decode()
    assert "Assignment" in page and "Done" in page


def test_names_from_a_deleted_span_stay_hidden_from_who_could_not_see_it(client):
    """A reviewer's span on a closed desk's article, with a speaker and a source they
    typed, is deleted: no span uses them any more, but they are still that article's
    (the deletion can be undone). An outsider is not offered them; their maker is, and
    a record of the desk's own directory (made by no one) stays offered to everyone."""
    from annotations import services
    from annotations.models import Speaker

    maker = make_user("maker", role="reviewer")
    article = make_article("The source told reporters the plant would close in May.")
    make_collection("Closed desk", members=[maker], articles=[article])
    span = make_span(article, "the plant would close in May", maker, speaker=SECRET_SPEAKER)
    services.source_create(annotation=span, url=SECRET_URL, title=SECRET_TITLE, actor=maker)
    services.annotation_delete(annotation=span, actor=maker)
    Speaker.objects.create(name="Confidential Directory Entry")

    outsider = make_user("outsider", role="reviewer")
    offered = _options(client, outsider, "speaker-options", q="Confidential")
    assert SECRET_SPEAKER not in offered and "Confidential Directory Entry" in offered
    assert SECRET_TITLE not in _options(client, outsider, "source-options", q="Confidential")
    assert SECRET_SPEAKER in _options(client, maker, "speaker-options", q="Confidential")
    assert SECRET_TITLE in _options(client, maker, "source-options", q="Confidential")
