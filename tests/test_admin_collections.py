"""Collections and assignments in the admin: the pages open, and an assignment saved
there keeps the desk's rules and lands in the history."""

import pytest
from django.urls import reverse

from annotations.models import Assignment, HistoryEvent
from tests.desk_factories import make_articles, make_assignment, make_collection
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
