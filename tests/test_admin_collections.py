"""Collections and assignments in the admin: the pages open, and an assignment saved
there keeps the desk's rules and lands in the history."""

import pytest
from django.urls import reverse

from annotations.models import Article, Assignment, HistoryEvent
from tests.desk_factories import (
    collection_admin_form,
    make_articles,
    make_assignment,
    make_collection,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_collection_pages_open(admin_client, reviewer):
    desk = make_collection("Desk", members=[reviewer], articles=make_articles(2))
    assert admin_client.get(reverse("admin:annotations_collection_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:annotations_collection_change", args=[desk.pk]))
    assert page.status_code == 200
    assert "rita" in page.content.decode()  # the membership inline


def test_an_assignment_for_a_non_member_is_refused(admin_client, reviewer):
    desk = make_collection("Desk")
    article = make_articles(1, desk)[0]
    response = admin_client.post(
        reverse("admin:annotations_assignment_add"),
        {"collection": desk.pk, "article": article.pk, "reviewer": reviewer.pk, "status": "todo"},
    )
    assert response.status_code == 200
    assert "rita is not a member of Desk." in response.content.decode()
    assert not Assignment.objects.exists()


def test_an_assignment_saved_in_the_admin_is_in_the_history(admin_client, reviewer):
    desk = make_collection("Desk", members=[reviewer])
    article = make_articles(1, desk)[0]
    row = make_assignment(desk, article, reviewer)
    response = admin_client.post(
        reverse("admin:annotations_assignment_change", args=[row.pk]),
        {"collection": desk.pk, "article": article.pk, "reviewer": reviewer.pk, "status": "done"},
    )
    assert response.status_code == 302
    event = HistoryEvent.objects.get(kind="assignment")
    assert (event.before["status"], event.after["status"], event.origin) == (
        "todo",
        "done",
        "admin",
    )
    article.refresh_from_db()
    assert article.status == "reviewed"


def test_a_reviewer_cannot_open_the_assignment_admin(client):
    client.force_login(make_user("r2", role="reviewer"))
    response = client.get(reverse("admin:annotations_assignment_changelist"))
    assert response.status_code in (302, 403)


# --- members and articles taken off in the admin go through the desk's services ------------


def test_deleting_a_member_and_removing_an_article_withdraws_their_assignments(
    admin_client, client, reviewer
):
    other = make_user("oona", role="reviewer")
    desk = make_collection("Desk", members=[reviewer, other], requires_assignment=True)
    kept, dropped = make_articles(2, desk)
    leaving = make_assignment(desk, kept, reviewer, status="in_progress")
    on_dropped = make_assignment(desk, dropped, other)
    stays = make_assignment(desk, kept, other)
    membership = desk.memberships.get(user=reviewer)
    data = collection_admin_form(
        desk,
        articles=[kept],
        memberships=list(desk.memberships.order_by("pk")),
        delete=[membership],
    )
    response = admin_client.post(
        reverse("admin:annotations_collection_change", args=[desk.pk]), data, follow=True
    )
    assert response.status_code == 200
    assert "2 assignments withdrawn." in [str(m) for m in response.context["messages"]]
    assert list(desk.articles.all()) == [kept]
    assert not desk.memberships.filter(user=reviewer).exists()
    assert list(Assignment.objects.values_list("pk", flat=True)) == [stays.pk]
    deleted = HistoryEvent.objects.filter(kind="assignment", action="delete")
    assert sorted(deleted.values_list("object_id", "origin")) == [
        (leaving.pk, "admin"),
        (on_dropped.pk, "admin"),
    ]
    client.force_login(reviewer)
    assert list(client.get(reverse("my-queue")).context["rows"]) == []
    assert client.get(reverse("article-detail", args=[kept.pk])).status_code == 403


def test_putting_another_user_on_a_member_row_is_refused(admin_client, reviewer):
    desk = make_collection("Desk", members=[reviewer])
    article = make_articles(1, desk)[0]
    make_assignment(desk, article, reviewer)
    newcomer = make_user("nina", role="reviewer")
    data = collection_admin_form(desk, articles=[article], memberships=list(desk.memberships.all()))
    data["memberships-0-user"] = newcomer.pk
    response = admin_client.post(
        reverse("admin:annotations_collection_change", args=[desk.pk]), data
    )
    assert response.status_code == 200
    assert "A member cannot be replaced in place" in response.content.decode()
    assert list(desk.memberships.values_list("user_id", flat=True)) == [reviewer.pk]
    assert Assignment.objects.get().reviewer == reviewer


def test_bulk_deleting_assignments_records_each_and_rolls_the_status_up(admin_client, reviewer):
    other = make_user("oona", role="reviewer")
    desk = make_collection("Desk", members=[reviewer, other], reviewers_per_article=2)
    first, second = make_articles(2, desk)
    for article in (first, second):
        for user in (reviewer, other):
            make_assignment(desk, article, user, status="done")
    Article.objects.filter(pk__in=[first.pk, second.pk]).update(status="reviewed")
    doomed = list(Assignment.objects.filter(reviewer=other).order_by("pk"))
    response = admin_client.post(
        reverse("admin:annotations_assignment_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in doomed], "post": "yes"},
    )
    assert response.status_code == 302
    assert set(Assignment.objects.values_list("reviewer_id", flat=True)) == {reviewer.pk}
    events = HistoryEvent.objects.filter(kind="assignment", action="delete")
    assert sorted(events.values_list("object_id", "origin")) == [
        (doomed[0].pk, "admin"),
        (doomed[1].pk, "admin"),
    ]
    assert all(e.before["status"] == "done" for e in events)
    # One of the two reviewers it needs is gone: no longer reviewed.
    assert set(Article.objects.values_list("status", flat=True)) == {"in_review"}


def test_deleting_one_assignment_records_it_once(admin_client, reviewer):
    desk = make_collection("Desk", members=[reviewer])
    article = make_articles(1, desk)[0]
    row = make_assignment(desk, article, reviewer, status="done")
    response = admin_client.post(
        reverse("admin:annotations_assignment_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Assignment.objects.exists()
    event = HistoryEvent.objects.get(kind="assignment")
    assert (event.action, event.object_id, event.origin) == ("delete", row.pk, "admin")


def test_a_member_added_or_given_a_role_in_the_admin_is_in_the_history(admin_client, reviewer):
    """A member row added in the admin joins as on the desk (member_add): recorded in the
    collection's history; a role changed there is recorded too (member_set_role)."""
    desk = make_collection("Desk", members=[reviewer])
    newcomer = make_user("nina", role="reviewer")
    data = collection_admin_form(desk, articles=[], memberships=list(desk.memberships.all()))
    data["memberships-0-role"] = "editor"
    data |= {
        "memberships-TOTAL_FORMS": 2,
        "memberships-1-collection": desk.pk,
        "memberships-1-user": newcomer.pk,
        "memberships-1-role": "reviewer",
    }
    response = admin_client.post(
        reverse("admin:annotations_collection_change", args=[desk.pk]), data
    )
    assert response.status_code == 302
    assert dict(desk.memberships.values_list("user__username", "role")) == {
        reviewer.username: "editor",
        "nina": "reviewer",
    }
    events = HistoryEvent.objects.filter(kind="collection", object_id=desk.pk)
    changes = [(e.before, e.after, e.origin) for e in events.order_by("pk")]
    assert (None, {"member": "nina", "role": "reviewer"}, "admin") in changes
    assert (
        {"member": reviewer.username, "role": "reviewer"},
        {"member": reviewer.username, "role": "editor"},
        "admin",
    ) in changes


def test_a_deactivated_account_is_refused_as_a_new_member_row(admin_client, reviewer):
    desk = make_collection("Desk", members=[reviewer])
    gone = make_user("gone", role="reviewer")
    gone.is_active = False
    gone.save()
    data = collection_admin_form(desk, articles=[], memberships=list(desk.memberships.all()))
    data |= {
        "memberships-TOTAL_FORMS": 2,
        "memberships-1-collection": desk.pk,
        "memberships-1-user": gone.pk,
        "memberships-1-role": "reviewer",
    }
    response = admin_client.post(
        reverse("admin:annotations_collection_change", args=[desk.pk]), data
    )
    assert response.status_code == 200
    assert "gone&#x27;s account is deactivated." in response.content.decode()
    assert list(desk.memberships.values_list("user_id", flat=True)) == [reviewer.pk]
    assert not HistoryEvent.objects.filter(kind="collection").exists()
