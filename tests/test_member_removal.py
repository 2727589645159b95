"""A member removed from a collection loses what the membership gave, in a collection
that requires assignment as in one that does not: their finished assignments stay as a
record of who reviewed the article, but open nothing, leave their queue and cannot be
moved on (permissions.standing_assignments, assignment_move_refusal)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from annotations import desk_queries, permissions
from annotations.models import Assignment, HistoryEvent
from annotations.services import assignments
from annotations.services import collections as service
from tests.desk_factories import make_assignment, make_collection
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db, editor):
    """The tester's blind desk: blind, requires assignment; r3 is a member."""
    r3 = make_user("r3", role="reviewer")
    collection = make_collection(
        "Blind desk", members=[r3], editors=[editor], blind=True, requires_assignment=True
    )
    article = make_article("The harbour council met on Monday to discuss the pier.")
    collection.articles.add(article)
    return collection, article, r3


def _remove(client, collection, user):
    membership = collection.memberships.get(user=user)
    url = reverse("collection-member-remove", args=[collection.slug, membership.pk])
    return client.post(url, follow=True)


def test_a_removed_member_loses_the_article_they_had_finished(client, editor, desk):
    collection, article, r3 = desk
    assignments.assign(collection, [article], [r3], editor)
    row = Assignment.objects.get(reviewer=r3)
    client.force_login(r3)
    assert client.post(reverse("queue-done", args=[row.pk])).status_code == 302
    assert client.get(reverse("article-detail", args=[article.pk])).status_code == 200

    client.force_login(editor)
    removed = _remove(client, collection, r3)
    assert "r3 removed; 0 unfinished assignment(s) withdrawn." in removed.content.decode()

    client.force_login(r3)
    page = client.get(reverse("article-detail", args=[article.pk]))
    assert page.status_code == 403
    assert permissions.NOT_A_MEMBER in page.content.decode()
    assert client.get(reverse("article-history", args=[article.pk])).status_code == 403
    queue = client.get(reverse("my-queue"))
    assert article.title not in queue.content.decode()
    assert list(queue.context["rows"]) == []
    assert desk_queries.nav_counts(r3).all_items == 0
    # Reopening it from an old page finds nothing in the queue (the 404 page).
    refused = client.post(reverse("queue-reopen", args=[row.pk]))
    assert refused.status_code == 404
    assert "No such assignment in your queue." in refused.content.decode()  # not the generic
    assert client.post(reverse("queue-start", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.status == "done"  # kept, as a record of who reviewed it


def test_the_service_refuses_a_non_member_moving_their_old_assignment(editor, desk):
    collection, article, r3 = desk
    row = make_assignment(collection, article, r3, status="done")
    service.member_remove(membership=collection.memberships.get(user=r3), actor=editor)
    events = HistoryEvent.objects.filter(kind="assignment").count()
    with pytest.raises(PermissionDenied) as caught:
        assignments.set_status(row, Assignment.Status.IN_PROGRESS, r3)
    assert str(caught.value) == (
        "You are no longer a member of Blind desk; this assignment is kept only as a record."
    )
    row.refresh_from_db()
    assert row.status == "done"
    assert HistoryEvent.objects.filter(kind="assignment").count() == events
    # The collection's editor may still correct it.
    assert assignments.set_status(row, Assignment.Status.IN_PROGRESS, editor).status == (
        "in_progress"
    )


def test_unfinished_work_is_withdrawn_with_history_and_finished_work_kept(editor, desk):
    collection, article, r3 = desk
    other = make_article("A second article of the blind desk, still to do.")
    collection.articles.add(other)
    done = make_assignment(collection, article, r3, status="done")
    todo = make_assignment(collection, other, r3)
    assert service.member_remove(membership=collection.memberships.get(user=r3), actor=editor) == 1
    assert list(Assignment.objects.values_list("pk", flat=True)) == [done.pk]
    event = HistoryEvent.objects.get(kind="assignment", action="delete")
    assert (event.object_id, event.actor) == (todo.pk, editor)


def test_a_member_added_back_finds_their_finished_assignment_again(editor, desk):
    collection, article, r3 = desk
    make_assignment(collection, article, r3, status="done")
    service.member_remove(membership=collection.memberships.get(user=r3), actor=editor)
    assert not permissions.can_open_article(r3, article)
    service.member_add(collection=collection, username="r3", role="reviewer", actor=editor)
    article = type(article).objects.get(pk=article.pk)  # a fresh instance: no memo
    assert permissions.can_open_article(r3, article)
    assert len(list(desk_queries.queue(r3))) == 1


def test_an_assignment_alone_never_opened_an_article_without_membership(desk):
    """However the row came to be (the admin, an old import), an assignment to a
    non-member opens nothing."""
    collection, article, _ = desk
    stranger = make_user("stranger", role="reviewer")
    make_assignment(collection, article, stranger)
    assert not permissions.can_open_article(stranger, article)
    assert list(desk_queries.queue(stranger)) == []


def test_removal_cuts_access_in_a_collection_without_the_assignment_rule(client, editor):
    r4 = make_user("r4", role="reviewer")
    open_desk = make_collection("Open desk", members=[r4], editors=[editor])
    article = make_article("An article of the open desk.")
    open_desk.articles.add(article)
    make_assignment(open_desk, article, r4, status="done")
    service.member_remove(membership=open_desk.memberships.get(user=r4), actor=editor)
    client.force_login(r4)
    assert client.get(reverse("article-detail", args=[article.pk])).status_code == 403
    assert list(desk_queries.queue(r4)) == []


def test_a_removed_member_cannot_carry_the_article_into_a_collection_they_edit(editor, desk):
    """r3 finished it, then left: r3 may not open it any more, so may not add it to a
    collection r3 edits either (the collection-article rule builds on the same access)."""
    collection, article, r3 = desk
    make_assignment(collection, article, r3, status="done")
    service.member_remove(membership=collection.memberships.get(user=r3), actor=editor)
    make_collection("Mine", editors=[r3])
    assert permissions.collection_article_refusals(r3, [article.pk]) == {
        article.pk: "you may not open it"
    }
