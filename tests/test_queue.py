"""A reviewer's queue: its order, statuses and the Done-next flow; the review page's
queue bar; starting work on a first span; and the article status rollup."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations.models import Article, Assignment, HistoryEvent
from annotations.services import assignments
from annotations.status_rollup import CollectionProgress, rolled_up_status
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_span

pytestmark = pytest.mark.django_db


def at(minutes):
    return timezone.now() - timedelta(minutes=100 - minutes)


@pytest.fixture
def desks(reviewer):
    return (
        make_collection("Beta desk", members=[reviewer]),
        make_collection("Alpha desk", members=[reviewer]),
    )


def queued(collection, reviewer, minutes, status="todo"):
    article = make_articles(1, collection)[0]
    row = make_assignment(collection, article, reviewer, status=status)
    Assignment.objects.filter(pk=row.pk).update(assigned_at=at(minutes))
    return row


# --- the queue page -------------------------------------------------------------------------


def test_the_queue_is_per_collection_oldest_first(reviewer_client, reviewer, other_reviewer, desks):
    beta, alpha = desks
    b_late = queued(beta, reviewer, 30)
    a_late = queued(alpha, reviewer, 20)
    b_early = queued(beta, reviewer, 10, status="done")
    a_early = queued(alpha, reviewer, 5, status="in_progress")
    queued(alpha, other_reviewer, 1)  # someone else's
    response = reviewer_client.get(reverse("my-queue"))
    assert [row.pk for row in response.context["rows"]] == [
        a_early.pk,
        a_late.pk,
        b_early.pk,
        b_late.pk,
    ]
    content = response.content.decode()
    assert content.count('class="queue-group"') == 2
    assert "In progress" in content and "Done" in content and "To do" in content


def test_the_queue_filters_by_collection_and_status(reviewer_client, reviewer, desks):
    beta, alpha = desks
    keep = queued(alpha, reviewer, 1)
    queued(alpha, reviewer, 2, status="done")
    queued(beta, reviewer, 3)
    response = reviewer_client.get(
        reverse("my-queue"), {"collection": "alpha-desk", "status": "todo"}
    )
    assert [row.pk for row in response.context["rows"]] == [keep.pk]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"collection": "nope"}, "There is no collection “nope”; showing all of them."),
        ({"status": "lost"}, "Unknown filter; showing your whole queue."),
    ],
)
def test_bad_queue_filters_say_so(reviewer_client, reviewer, desks, params, message):
    queued(desks[0], reviewer, 1)
    response = reviewer_client.get(reverse("my-queue"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_an_empty_queue_says_so(reviewer_client):
    response = reviewer_client.get(reverse("my-queue"))
    assert "Your queue is empty." in response.content.decode()


def test_the_nav_counts_open_items(reviewer_client, reviewer, desks):
    queued(desks[0], reviewer, 1)
    queued(desks[0], reviewer, 2, status="in_progress")
    queued(desks[0], reviewer, 3, status="done")
    content = reviewer_client.get(reverse("my-queue")).content.decode()
    assert '<span class="nav-count" title="2 not done yet">2</span>' in content
    assert reverse("collection-list") in content


def test_the_queue_page_runs_the_same_queries_for_more_rows(
    reviewer_client, reviewer, desks, django_assert_num_queries
):
    queued(desks[0], reviewer, 1)
    reviewer_client.get(reverse("my-queue"))
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(reverse("my-queue"))
    for minute in range(2, 22):
        queued(desks[minute % 2], reviewer, minute, status=("todo", "done")[minute % 2])
    with django_assert_num_queries(len(few.captured_queries)):
        response = reviewer_client.get(reverse("my-queue"))
    assert len(response.context["rows"]) == 21


# --- moving through the queue ---------------------------------------------------------------


def test_start_opens_the_article_in_progress(reviewer_client, reviewer, desks):
    row = queued(desks[0], reviewer, 1)
    response = reviewer_client.post(reverse("queue-start", args=[row.pk]))
    assert response["Location"] == reverse("article-detail", args=[row.article_id])
    row.refresh_from_db()
    assert row.status == "in_progress" and row.started_at is not None
    assert Article.objects.get(pk=row.article_id).status == Article.Status.IN_REVIEW


def test_done_next_marks_done_and_opens_the_next_to_do(reviewer_client, reviewer, desks):
    beta, alpha = desks
    current = queued(alpha, reviewer, 1, status="in_progress")
    queued(alpha, reviewer, 2, status="done")
    following = queued(beta, reviewer, 3)
    response = reviewer_client.post(reverse("queue-done", args=[current.pk]))
    assert response["Location"] == reverse("article-detail", args=[following.article_id])
    current.refresh_from_db()
    following.refresh_from_db()
    assert current.status == "done" and current.done_at is not None
    assert following.status == "in_progress"
    events = HistoryEvent.objects.filter(kind="assignment", action="update")
    assert {(e.object_id, e.after["status"]) for e in events} == {
        (current.pk, "done"),
        (following.pk, "in_progress"),
    }


def test_done_next_on_the_last_item_goes_to_the_empty_queue(reviewer_client, reviewer, desks):
    row = queued(desks[0], reviewer, 1)
    response = reviewer_client.post(reverse("queue-done", args=[row.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("my-queue")
    content = response.content.decode()
    assert "Done. Your queue is empty." in content
    assert "Your queue is empty." in content


def test_done_next_answers_htmx_with_a_redirect_header(reviewer_client, reviewer, desks):
    row = queued(desks[0], reviewer, 1)
    response = reviewer_client.post(reverse("queue-done", args=[row.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("my-queue")


def test_a_reviewer_cannot_move_someone_elses_row(reviewer_client, other_reviewer, desks):
    row = queued(desks[0], other_reviewer, 1)
    response = reviewer_client.post(reverse("queue-done", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.status == "todo"


def test_the_service_refuses_someone_elses_row(reviewer, other_reviewer, desks):
    row = queued(desks[0], other_reviewer, 1)
    with pytest.raises(PermissionDenied):
        assignments.mark_done(row, reviewer)
    row.refresh_from_db()
    assert row.status == "todo"


def test_an_editor_of_the_collection_may_move_a_row(editor, other_reviewer, desks):
    row = queued(desks[0], other_reviewer, 1)
    assert assignments.mark_done(row, editor).status == "done"


def test_reopen_a_done_row(reviewer_client, reviewer, desks):
    row = queued(desks[0], reviewer, 1, status="done")
    reviewer_client.post(reverse("queue-reopen", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == "in_progress" and row.done_at is None


def test_an_unknown_status_is_refused(reviewer, desks):
    row = queued(desks[0], reviewer, 1)
    with pytest.raises(ValidationError):
        assignments.set_status(row, "lost", reviewer)


# --- the review page's queue bar ------------------------------------------------------------


def test_the_review_page_shows_the_queue_bar(reviewer_client, reviewer, desks):
    queued(desks[1], reviewer, 1, status="done")
    mine = queued(desks[1], reviewer, 2, status="in_progress")
    queued(desks[0], reviewer, 3)
    content = reviewer_client.get(
        reverse("article-detail", args=[mine.article_id])
    ).content.decode()
    assert "Your queue: 2 of 3" in content
    assert reverse("queue-done", args=[mine.pk]) in content
    assert "Done, next →" in content


def test_no_queue_bar_on_an_article_not_assigned(reviewer_client, article):
    content = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert "Your queue:" not in content


# --- starting by annotating -----------------------------------------------------------------


def test_a_first_span_starts_the_reviewers_assignment(reviewer, other_reviewer, desks):
    row = queued(desks[0], reviewer, 1)
    theirs = make_assignment(desks[0], row.article, other_reviewer)
    make_span(row.article, "minister", reviewer)
    row.refresh_from_db()
    theirs.refresh_from_db()
    assert row.status == "in_progress" and row.started_at is not None
    assert theirs.status == "todo"


# --- the status rollup ----------------------------------------------------------------------

P = CollectionProgress


@pytest.mark.parametrize(
    "current, progress, expected",
    [
        # Assigned nowhere: the status stays as it was set.
        ("reviewed", [], "reviewed"),
        ("in_review", [], "in_review"),
        # Nothing started.
        ("in_review", [P(1, ("todo",))], "new"),
        ("reviewed", [P(2, ("todo", "todo"))], "new"),
        # Something started.
        ("new", [P(2, ("in_progress", "todo"))], "in_review"),
        ("new", [P(2, ("done", "todo"))], "in_review"),
        # Enough done, in one collection.
        ("in_review", [P(2, ("done", "done"))], "reviewed"),
        ("in_review", [P(1, ("done", "todo"))], "reviewed"),
        ("in_review", [P(2, ("done",))], "in_review"),
        # Every collection it is assigned in must be done.
        ("in_review", [P(1, ("done",)), P(1, ("todo",))], "in_review"),
        ("in_review", [P(1, ("done",)), P(2, ("done", "done"))], "reviewed"),
        # A collection with no assignment of it does not count.
        ("in_review", [P(1, ("done",)), P(3, ())], "reviewed"),
        # Adjudicated is never downgraded.
        ("adjudicated", [P(2, ("todo", "todo"))], "adjudicated"),
        ("adjudicated", [P(1, ("in_progress",))], "adjudicated"),
    ],
)
def test_rollup_truth_table(current, progress, expected):
    assert rolled_up_status(current, progress) == expected


def test_the_article_is_reviewed_once_k_reviewers_are_done(reviewer, other_reviewer):
    desk = make_collection("Double", members=[reviewer, other_reviewer], reviewers_per_article=2)
    article = make_articles(1, desk)[0]
    first = make_assignment(desk, article, reviewer)
    second = make_assignment(desk, article, other_reviewer)
    assignments.mark_done(first, reviewer)
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    assignments.mark_done(second, other_reviewer)
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEWED


def test_an_adjudicated_article_stays_adjudicated(reviewer, desks):
    row = queued(desks[0], reviewer, 1)
    Article.objects.filter(pk=row.article_id).update(status=Article.Status.ADJUDICATED)
    assignments.mark_done(row, reviewer)
    assert Article.objects.get(pk=row.article_id).status == Article.Status.ADJUDICATED
