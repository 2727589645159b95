"""The article list with the desk: the collection filter, only openable articles,
blind-aware span counts, each row's reviewers and the editors' bulk assign bar."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Assignment, Membership
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db
LIST = reverse("article-list")


def titles(response):
    return [article.title for article in response.context["page"]]


@pytest.fixture
def desk(reviewer, other_reviewer):
    return make_collection("Desk", members=[reviewer, other_reviewer])


def test_the_collection_filter_shows_its_articles(editor_client, desk):
    inside = make_articles(2, desk)
    make_article(title="Elsewhere")
    response = editor_client.get(LIST, {"collection": "desk"})
    assert sorted(titles(response)) == sorted(a.title for a in inside)


def test_an_unknown_collection_is_a_message_not_an_error(editor_client, desk):
    make_articles(1, desk)
    make_article()
    response = editor_client.get(LIST, {"collection": "nope"})
    assert response.status_code == 200
    assert "There is no collection “nope” among yours; showing all articles." in (
        response.content.decode()
    )
    assert len(titles(response)) == 2


def test_a_reviewer_sees_only_articles_they_may_open(client, reviewer, other_reviewer):
    locked = make_collection("Locked", members=[reviewer], requires_assignment=True)
    assigned, not_assigned = make_articles(2, locked)
    make_assignment(locked, assigned, reviewer)
    private = make_collection("Private")
    hidden = make_articles(1, private)[0]
    free = make_article(title="Free")
    client.force_login(reviewer)
    shown = set(titles(client.get(LIST)))
    assert shown == {assigned.title, free.title}
    assert not_assigned.title not in shown and hidden.title not in shown


def test_counts_respect_blind_mode(client, reviewer, other_reviewer):
    blind = make_collection("Blind", members=[reviewer, other_reviewer], blind=True)
    article = make_articles(1, blind, body="The minister said the bridge is safe.")[0]
    make_annotation(article, 4, 12, author=reviewer)
    make_annotation(article, 13, 17, author=other_reviewer)
    client.force_login(reviewer)
    (row,) = client.get(LIST).context["page"]
    assert {label.slug: n for label, n in row.label_counts}["claim"] == 1
    # The label filter does not reveal the other reviewer's spans either.
    client.force_login(other_reviewer)
    make_annotation(article, 18, 22, author=reviewer, label_slug="denial")
    assert titles(client.get(LIST, {"label": "denial"})) == []


def test_each_row_shows_its_reviewers_and_statuses(editor_client, desk, reviewer, other_reviewer):
    article = make_articles(1, desk)[0]
    make_assignment(desk, article, reviewer, status="done")
    make_assignment(desk, article, other_reviewer, status="in_progress")
    content = editor_client.get(LIST).content.decode()
    assert "rita · done" in content and "oscar · in progress" in content


def test_the_bulk_bar_needs_a_collection_and_an_editor(editor_client, client, reviewer, desk):
    make_articles(1, desk)
    assert editor_client.get(LIST).context["bulk"] is None
    bar = editor_client.get(LIST, {"collection": "desk"}).context["bulk"]
    assert [r.username for r in bar["reviewers"]] == ["oscar", "rita"]
    assert 'form="bulk-assign"' in editor_client.get(LIST, {"collection": "desk"}).content.decode()
    client.force_login(reviewer)
    response = client.get(LIST, {"collection": "desk"})
    assert response.context["bulk"] is None
    assert "bulk-assign" not in response.content.decode()


def test_bulk_assign_from_the_list(editor_client, desk, reviewer, other_reviewer):
    articles = make_articles(3, desk)
    back = f"{LIST}?collection=desk"
    response = editor_client.post(
        reverse("collection-assign", args=["desk"]),
        {
            "article": [a.pk for a in articles],
            "reviewers": [reviewer.pk, other_reviewer.pk],
            "per_article": 2,
            "next": back,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == back
    assert "6 assignments made." in [str(m) for m in response.context["messages"]]
    assert Assignment.objects.count() == 6


def test_bulk_assign_to_a_non_member_stores_nothing(editor_client, desk, reviewer):
    stranger = make_user("zed", role="reviewer")
    articles = make_articles(2, desk)
    response = editor_client.post(
        reverse("collection-assign", args=["desk"]),
        {"article": [a.pk for a in articles], "reviewers": [reviewer.pk, stranger.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["zed is not a member of Desk. Nothing was assigned."]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reviewers": ["R"]}, "Tick at least one article to assign."),
        ({"article": ["A"]}, "Choose at least one reviewer."),
        ({"article": ["x"], "reviewers": ["R"]}, "Article ids are whole numbers"),
        ({"article": ["A"], "reviewers": ["R"], "per_article": 0}, "at least 1 reviewer"),
    ],
)
def test_bad_bulk_input_is_a_message(editor_client, desk, reviewer, data, message):
    article = make_articles(1, desk)[0]
    values = {"A": article.pk, "R": reviewer.pk}
    data = {
        k: [values.get(v, v) for v in vs] if isinstance(vs, list) else vs for k, vs in data.items()
    }
    response = editor_client.post(reverse("collection-assign", args=["desk"]), data, follow=True)
    assert any(message in str(m) for m in response.context["messages"])
    assert not Assignment.objects.exists()


def test_a_reviewer_cannot_bulk_assign(reviewer_client, desk, reviewer):
    article = make_articles(1, desk)[0]
    response = reviewer_client.post(
        reverse("collection-assign", args=["desk"]),
        {"article": [article.pk], "reviewers": [reviewer.pk]},
    )
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_the_list_runs_the_same_queries_for_more_rows(
    client, reviewer, other_reviewer, desk, django_assert_num_queries
):
    Membership.objects.create(collection=desk, user=make_user("lead", role="editor"), role="editor")
    articles = make_articles(2, desk)
    make_assignment(desk, articles[0], reviewer)
    client.force_login(reviewer)
    client.get(LIST, {"collection": "desk"})
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"collection": "desk"})
    for article in make_articles(20, desk):
        make_assignment(desk, article, reviewer)
        make_assignment(desk, article, other_reviewer, status="done")
        make_annotation(article, 0, 7, author=reviewer)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST, {"collection": "desk"})
    assert len(titles(response)) == 22


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reviewers", "99999999999999999999", "There is no reviewer with the id"),
        ("reviewers", "987654", "There is no such reviewer."),
        ("per_article", "99999999999999999999", "less than or equal to 20"),
    ],
)
def test_hostile_bulk_input_is_a_message(editor_client, desk, reviewer, field, value, message):
    article = make_articles(1, desk)[0]
    data = {"article": [article.pk], "reviewers": [reviewer.pk], field: value}
    response = editor_client.post(reverse("collection-assign", args=["desk"]), data, follow=True)
    assert response.status_code == 200
    assert any(message in str(m) for m in response.context["messages"])
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("target", ["99999", "https://evil.example/", "//evil.example/x"])
def test_bulk_assign_returns_only_to_our_own_pages(editor_client, desk, reviewer, target):
    article = make_articles(1, desk)[0]
    response = editor_client.post(
        reverse("collection-assign", args=["desk"]),
        {"article": [article.pk], "reviewers": [reviewer.pk], "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("collection-detail", args=["desk"])
