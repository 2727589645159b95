"""The collections pages and services: create (unique names), settings, members and
roles, articles, and who may see or change what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotations.models import Assignment, Collection, HistoryEvent, Label, Membership
from annotations.services import collections as service
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow_post(client, url, data):
    return client.post(url, data, follow=True)


# --- creating -------------------------------------------------------------------------------


def test_an_editor_creates_a_collection_and_becomes_its_editor(editor_client, editor):
    response = editor_client.post(reverse("collection-list"), {"name": "  Election   desk "})
    collection = Collection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("collection-detail", args=[collection.slug])
    assert collection.name == "Election desk" and collection.slug == "election-desk"
    assert Membership.objects.get(collection=collection).user == editor
    assert Membership.objects.get(collection=collection).role == "editor"
    event = HistoryEvent.objects.get(kind="collection")
    assert event.action == "create" and event.after["name"] == "Election desk"


def test_a_taken_name_is_refused_case_insensitively_and_nothing_is_stored(editor_client, editor):
    make_collection("Election Desk")
    response = editor_client.post(reverse("collection-list"), {"name": "election desk"})
    assert response.status_code == 422
    assert "A collection with this name already exists." in response.content.decode()
    assert Collection.objects.count() == 1
    assert not HistoryEvent.objects.filter(kind="collection").exists()


def test_the_service_refuses_a_taken_name_too(editor):
    make_collection("Desk")
    with pytest.raises(ValidationError, match="A collection with this name already exists"):
        service.collection_create(name="DESK", actor=editor)
    assert Collection.objects.count() == 1


def test_an_empty_name_is_refused(editor_client):
    response = editor_client.post(reverse("collection-list"), {"name": "   "})
    assert response.status_code == 422
    assert "Give the collection a name." in response.content.decode()
    assert not Collection.objects.exists()


def test_slugs_stay_unique(editor):
    first = service.collection_create(name="Desk!", actor=editor)
    second = service.collection_create(name="Desk?", actor=editor)
    assert (first.slug, second.slug) == ("desk", "desk-2")


def test_a_reviewer_cannot_create(reviewer_client):
    response = reviewer_client.post(reverse("collection-list"), {"name": "Mine"})
    assert response.status_code == 403
    assert not Collection.objects.exists()


# --- the list page --------------------------------------------------------------------------


def test_the_list_shows_counts(editor_client, reviewer, other_reviewer):
    desk = make_collection("Desk", members=[reviewer, other_reviewer])
    articles = make_articles(3, desk)
    make_assignment(desk, articles[0], reviewer, status="done")
    make_assignment(desk, articles[1], other_reviewer)
    make_collection("Empty")
    response = editor_client.get(reverse("collection-list"))
    rows = {c.name: c for c in response.context["collections"]}
    assert (rows["Desk"].article_count, rows["Desk"].member_count) == (3, 2)
    assert (rows["Desk"].assigned_count, rows["Desk"].done_count) == (2, 1)
    assert (rows["Empty"].article_count, rows["Empty"].assigned_count) == (0, 0)
    assert "1 / 2" in response.content.decode()


def test_a_reviewer_sees_only_their_collections(reviewer_client, reviewer):
    make_collection("Theirs", members=[reviewer])
    make_collection("Others")
    response = reviewer_client.get(reverse("collection-list"))
    assert [c.name for c in response.context["collections"]] == ["Theirs"]
    assert "New collection" not in response.content.decode()


def test_the_list_runs_the_same_queries_for_more_collections(
    editor_client, django_assert_num_queries
):
    make_collection("One", articles=make_articles(2))
    editor_client.get(reverse("collection-list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        editor_client.get(reverse("collection-list"))
    for n in range(5):
        make_collection(f"More {n}", members=[make_user()], articles=make_articles(2))
    with django_assert_num_queries(len(few.captured_queries)):
        editor_client.get(reverse("collection-list"))


# --- one collection -------------------------------------------------------------------------


@pytest.fixture
def desk(editor, reviewer):
    return make_collection("Desk", members=[reviewer])


def detail(slug):
    return reverse("collection-detail", args=[slug])


def test_a_member_sees_the_collection_read_only(reviewer_client, desk):
    response = reviewer_client.get(detail(desk.slug))
    assert response.status_code == 200
    assert response.context["manages"] is False
    assert "Save settings" not in response.content.decode()
    assert "Add member" not in response.content.decode()


def test_a_non_member_may_not_open_it(client, desk):
    client.force_login(make_user("nina", role="reviewer"))
    response = client.get(detail(desk.slug))
    assert response.status_code == 403
    assert "You are not a member of Desk." in response.content.decode()


def test_a_member_reviewer_cannot_change_settings(reviewer_client, desk):
    response = reviewer_client.post(detail(desk.slug), {"reviewers_per_article": 3})
    assert response.status_code == 403
    desk.refresh_from_db()
    assert desk.reviewers_per_article == 1


def test_an_editor_changes_the_settings(editor_client, desk):
    claim = Label.objects.get(slug="claim")
    response = editor_client.post(
        detail(desk.slug),
        {
            "description": "Runoff",
            "labels": [claim.slug],
            "blind": "on",
            "requires_assignment": "on",
            "reviewers_per_article": 2,
        },
    )
    assert response.status_code == 302
    desk.refresh_from_db()
    assert (desk.description, desk.blind, desk.requires_assignment) == ("Runoff", True, True)
    assert desk.reviewers_per_article == 2
    assert list(desk.labels.all()) == [claim]
    event = HistoryEvent.objects.get(kind="collection", action="update")
    assert event.before["blind"] is False and event.after["blind"] is True


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reviewers_per_article": 0}, "greater than or equal to 1"),
        ({"reviewers_per_article": 1, "labels": ["99999999999999999999"]}, "valid choice"),
        ({"reviewers_per_article": 1, "rating_scale": "99999999999999999999"}, "valid choice"),
    ],
)
def test_bad_settings_are_a_form_error_and_store_nothing(editor_client, desk, data, message):
    response = editor_client.post(detail(desk.slug), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    desk.refresh_from_db()
    assert desk.reviewers_per_article == 1 and not desk.labels.exists()


def test_a_collection_editor_who_is_not_a_global_editor_manages_it(client, reviewer):
    lead = make_user("lena", role="reviewer")
    desk = make_collection("Desk", editors=[lead])
    client.force_login(lead)
    response = client.post(
        reverse("collection-member-add", args=[desk.slug]),
        {"username": reviewer.username, "role": "reviewer"},
    )
    assert response.status_code == 302
    assert desk.memberships.filter(user=reviewer).exists()


def test_the_page_links_to_the_agreement_when_it_exists(editor_client, desk):
    from django.urls import NoReverseMatch

    try:
        url = reverse("collection-agreement", args=[desk.slug])
    except NoReverseMatch:
        url = None
    content = editor_client.get(detail(desk.slug)).content.decode()
    if url:
        assert f'href="{url}"' in content
    else:
        assert "Agreement</a>" not in content


# --- members --------------------------------------------------------------------------------


def test_add_a_member(editor_client, desk):
    make_user("oscar", role="reviewer")
    response = follow_post(
        editor_client,
        reverse("collection-member-add", args=[desk.slug]),
        {"username": "Oscar", "role": "editor"},
    )
    assert "oscar added as editor." in messages_of(response)
    assert desk.memberships.get(user__username="oscar").role == "editor"


@pytest.mark.parametrize(
    "username, message",
    [("ghost", "No user named “ghost”."), ("rita", "rita is already a member of Desk.")],
)
def test_adding_a_member_refusals(editor_client, desk, username, message):
    before = Membership.objects.count()
    response = follow_post(
        editor_client,
        reverse("collection-member-add", args=[desk.slug]),
        {"username": username, "role": "reviewer"},
    )
    assert message in messages_of(response)
    assert Membership.objects.count() == before


def test_an_unknown_role_is_refused(editor_client, desk, reviewer):
    membership = desk.memberships.get(user=reviewer)
    response = follow_post(
        editor_client,
        reverse("collection-member-role", args=[desk.slug, membership.pk]),
        {"role": "boss"},
    )
    assert "Unknown role: reviewer or editor." in messages_of(response)
    membership.refresh_from_db()
    assert membership.role == "reviewer"


def test_change_a_role(editor_client, desk, reviewer):
    membership = desk.memberships.get(user=reviewer)
    follow_post(
        editor_client,
        reverse("collection-member-role", args=[desk.slug, membership.pk]),
        {"role": "editor"},
    )
    membership.refresh_from_db()
    assert membership.role == "editor"


def test_removing_a_member_withdraws_their_unfinished_work(editor_client, desk, reviewer):
    todo, done = make_articles(2, desk)
    make_assignment(desk, todo, reviewer)
    make_assignment(desk, done, reviewer, status="done")
    membership = desk.memberships.get(user=reviewer)
    response = follow_post(
        editor_client, reverse("collection-member-remove", args=[desk.slug, membership.pk]), {}
    )
    assert "rita removed; 1 unfinished assignment(s) withdrawn." in messages_of(response)
    assert not desk.memberships.filter(user=reviewer).exists()
    assert list(Assignment.objects.values_list("article_id", flat=True)) == [done.pk]


def test_a_reviewer_cannot_manage_members(reviewer_client, desk):
    make_user("oscar", role="reviewer")
    response = reviewer_client.post(
        reverse("collection-member-add", args=[desk.slug]), {"username": "oscar"}
    )
    assert response.status_code == 403
    assert desk.memberships.count() == 1


def test_the_service_checks_the_actor(desk, reviewer):
    with pytest.raises(PermissionDenied):
        service.member_add(collection=desk, username="rita", role="editor", actor=reviewer)


# --- articles -------------------------------------------------------------------------------


def test_add_articles_by_id(editor_client, desk):
    a, b = make_article(), make_article()
    desk.articles.add(a)
    response = follow_post(
        editor_client,
        reverse("collection-articles-add", args=[desk.slug]),
        {"ids": f"{a.pk}, {b.pk}"},
    )
    assert "1 article(s) added." in messages_of(response)
    assert set(desk.articles.values_list("pk", flat=True)) == {a.pk, b.pk}


@pytest.mark.parametrize(
    "ids, message",
    [
        ("12, x", "Article ids are whole numbers; “x” is not."),
        ("", "Give at least one article id."),
        ("999999", "No article with id 999999. Nothing was changed."),
        (
            "99999999999999999999",
            "There is no article with the id “99999999999999999999”: it is far too large.",
        ),
    ],
)
def test_bad_article_ids_store_nothing(editor_client, desk, ids, message):
    make_article()
    response = follow_post(
        editor_client, reverse("collection-articles-add", args=[desk.slug]), {"ids": ids}
    )
    assert message in messages_of(response)
    assert not desk.articles.exists()


# Digits str.isdigit() takes that are not ASCII: "²" makes int() raise (it was a 500),
# the others int() reads as another number (they were silently taken as ids).
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def unicode_ids(pk: int) -> list[str]:
    """`pk` written as no ASCII id: superscript two after it, in Arabic-Indic and in
    full-width digits (the two last would find the very row `pk` names)."""
    return [f"{pk}²", "²", str(pk).translate(ARABIC_INDIC), str(pk).translate(FULL_WIDTH)]


def test_only_ascii_digits_are_ids():
    from annotations.forms_desk import parse_ids

    assert parse_ids("12, 015 12") == [12, 15]
    for raw in unicode_ids(12):
        with pytest.raises(ValidationError) as refused:
            parse_ids(raw, "reviewer")
        assert refused.value.messages == [f"Reviewer ids are whole numbers; “{raw}” is not."]


@pytest.mark.parametrize("index", range(4))
def test_unicode_digits_add_no_article_and_say_why(editor_client, desk, index):
    article = make_article()
    raw = unicode_ids(article.pk)[index]
    response = follow_post(
        editor_client, reverse("collection-articles-add", args=[desk.slug]), {"ids": raw}
    )
    assert response.status_code == 200
    assert messages_of(response) == [f"Article ids are whole numbers; “{raw}” is not."]
    assert not desk.articles.exists()
    assert not HistoryEvent.objects.exists()


@pytest.mark.parametrize("index", range(4))
def test_unicode_digits_remove_no_article_and_say_why(editor_client, desk, reviewer, index):
    (article,) = make_articles(1, desk)
    make_assignment(desk, article, reviewer)
    raw = unicode_ids(article.pk)[index]
    response = follow_post(
        editor_client, reverse("collection-articles-remove", args=[desk.slug]), {"article": raw}
    )
    assert response.status_code == 200
    assert messages_of(response) == [
        f"Tick the articles to remove. Article ids are whole numbers; “{raw}” is not."
    ]
    assert list(desk.articles.all()) == [article]
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize("field", ["article", "reviewers"])
@pytest.mark.parametrize("index", range(4))
def test_unicode_digits_assign_nothing_and_say_why(editor_client, desk, reviewer, field, index):
    (article,) = make_articles(1, desk)
    data = {"article": [article.pk], "reviewers": [reviewer.pk]}
    raw = unicode_ids(data[field][0])[index]
    data[field] = [raw]
    response = follow_post(editor_client, reverse("collection-assign", args=[desk.slug]), data)
    assert response.status_code == 200
    what = "Article" if field == "article" else "Reviewer"
    assert messages_of(response) == [
        f"{what} ids are whole numbers; “{raw}” is not. Nothing was assigned."
    ]
    assert not Assignment.objects.exists()


def test_remove_articles_takes_their_assignments(editor_client, desk, reviewer):
    keep, drop = make_articles(2, desk)
    make_assignment(desk, drop, reviewer, status="done")
    response = follow_post(
        editor_client,
        reverse("collection-articles-remove", args=[desk.slug]),
        {"article": [drop.pk]},
    )
    assert "1 article(s) removed from the collection." in messages_of(response)
    assert list(desk.articles.all()) == [keep]
    assert not Assignment.objects.exists()


def test_the_page_shows_progress_per_reviewer(editor_client, desk, reviewer):
    articles = make_articles(3, desk)
    make_assignment(desk, articles[0], reviewer, status="done")
    make_assignment(desk, articles[1], reviewer, status="in_progress")
    make_assignment(desk, articles[2], reviewer)
    response = editor_client.get(detail(desk.slug))
    (row,) = response.context["progress"]
    assert (row.username, row.todo, row.in_progress, row.done) == ("rita", 1, 1, 1)
    assert "1 / 3" in response.content.decode()


def test_assign_the_unassigned_from_the_collection_page(editor_client, desk, reviewer):
    articles = make_articles(2, desk)
    response = follow_post(
        editor_client,
        reverse("collection-assign", args=[desk.slug]),
        {"unassigned": "1", "reviewers": [reviewer.pk], "per_article": 1},
    )
    assert "2 assignments made." in messages_of(response)
    assert set(Assignment.objects.values_list("article_id", flat=True)) == {a.pk for a in articles}


def test_withdraw_one_assignment(editor_client, desk, reviewer):
    row = make_assignment(desk, make_articles(1, desk)[0], reviewer)
    response = follow_post(
        editor_client, reverse("collection-assignment-remove", args=[desk.slug, row.pk]), {}
    )
    assert "Assignment withdrawn." in messages_of(response)
    assert not Assignment.objects.exists()
