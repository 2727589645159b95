"""The review page's "Mark reviewed, next →" on an article whose status follows its
assignments: a reviewer's click marks their own assignment done (the status follows the
rollup: "reviewed" once enough reviewers are done) and opens the next in their queue;
only an editor sets such an article's status by hand. An article nobody is assigned
keeps the button as it was: it sets the status."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from annotations import permissions, services
from annotations.models import Article, Assignment, HistoryEvent
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_article, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import needs_postgresql, race

HTMX = {"HTTP_HX_REQUEST": "true"}


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def pair(db):
    """The tester's case: a desk needing two reviewers; r1 has started, r2 not."""
    r1, r2 = make_user("r1"), make_user("r2")
    desk = make_collection("Pair desk", members=[r1, r2], reviewers_per_article=2)
    article, later = make_articles(2, desk)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.IN_REVIEW)
    article.refresh_from_db()
    rows = {
        "r1": make_assignment(desk, article, r1, status="in_progress"),
        "r2": make_assignment(desk, article, r2),
        "r1_later": make_assignment(desk, later, r1),
    }
    return desk, article, later, r1, r2, rows


def statuses(article):
    return dict(
        Assignment.objects.filter(article=article).values_list("reviewer__username", "status")
    )


def test_a_reviewers_click_marks_their_assignment_done_not_the_article(client, pair):
    _desk, article, later, r1, r2, rows = pair
    client.force_login(r1)
    response = client.post(reverse("article-reviewed-next", args=[article.pk]), follow=True)
    # The next one in r1's queue opens, started.
    assert response.redirect_chain[0][0] == reverse("article-detail", args=[later.pk])
    assert messages_of(response) == [
        f"Your assignment on “{article.title}” is done; the article is in review until "
        "enough reviewers are done. Here is the next article in your queue."
    ]
    assert statuses(article) == {"r1": "done", "r2": "todo"}
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW  # one of the two needed
    rows["r1_later"].refresh_from_db()
    assert rows["r1_later"].status == "in_progress"
    # No status set by hand: the article's history has no change of it.
    assert not HistoryEvent.objects.filter(kind="article", object_id=article.pk).exists()

    # The second reviewer's click makes it reviewed, by the rollup.
    client.force_login(r2)
    response = client.post(reverse("article-reviewed-next", args=[article.pk]), **HTMX)
    assert response["HX-Redirect"] == reverse("my-queue")
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEWED


def test_a_reviewer_cannot_set_such_an_articles_status_by_hand(client, pair):
    _desk, article, *_ = pair
    client.force_login(pair[3])
    for status in ("reviewed", "new"):
        response = client.post(
            reverse("article-status", args=[article.pk]), {"status": status}, **HTMX
        )
        assert response.status_code == 403
        assert permissions.ROLLUP_REFUSAL in response.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    assert statuses(article) == {"r1": "in_progress", "r2": "todo"}
    assert not HistoryEvent.objects.exists()


def test_a_member_with_no_assignment_on_it_is_refused_and_nothing_changes(client, pair):
    desk, article, *_ = pair
    r3 = make_user("r3")
    desk.memberships.create(user=r3, role="reviewer")
    client.force_login(r3)
    response = client.post(reverse("article-reviewed-next", args=[article.pk]))
    assert response.status_code == 403
    refusal = f"{permissions.ROLLUP_REFUSAL} None of its assignments is yours."
    assert escape(refusal) in response.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    assert statuses(article) == {"r1": "in_progress", "r2": "todo"}
    assert not HistoryEvent.objects.exists()


def test_a_second_click_says_it_was_done_already(client, pair):
    _desk, article, _later, r1, *_ = pair
    client.force_login(r1)
    url = reverse("article-reviewed-next", args=[article.pk])
    client.post(url, follow=True)  # its message shown
    response = client.post(url, follow=True)
    assert messages_of(response)[0].startswith(
        f"Your assignment on “{article.title}” is done already;"
    )
    assert statuses(article) == {"r1": "done", "r2": "todo"}


def test_an_editor_still_sets_the_status_by_hand(client, pair):
    _desk, article, *_ = pair
    editor = make_user("eddie", role="editor")
    client.force_login(editor)
    response = client.post(reverse("article-reviewed-next", args=[article.pk]))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEWED
    assert statuses(article) == {"r1": "in_progress", "r2": "todo"}  # nobody's work moved


def test_a_collection_editor_who_is_not_a_global_editor_may_too(client, pair):
    desk, article, *_ = pair
    lead = make_user("lead")
    desk.memberships.create(user=lead, role="editor")
    client.force_login(lead)
    response = client.post(
        reverse("article-status", args=[article.pk]), {"status": "reviewed"}, **HTMX
    )
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEWED


def test_an_article_nobody_is_assigned_keeps_the_button_setting_its_status(client, db):
    reviewer = make_user("solo")
    article, other = make_article("One. Two."), make_article("Three. Four.")
    client.force_login(reviewer)
    response = client.post(reverse("article-reviewed-next", args=[other.pk]))
    assert response["Location"] == reverse("article-detail", args=[article.pk])
    other.refresh_from_db()
    assert other.status == Article.Status.REVIEWED


def test_the_page_says_what_the_buttons_do(client, pair):
    _desk, article, _, r1, *_ = pair
    client.force_login(r1)
    page = client.get(reverse("article-detail", args=[article.pk])).content.decode()
    # No status picker and no "Mark reviewed" for r1: the queue bar's "Done, next →" is
    # their way on, and the page says why.
    assert reverse("article-reviewed-next", args=[article.pk]) not in page
    assert 'id="status-select"' not in page
    assert "Status follows the reviewers' assignments" in page
    assert "Mark your assignment done and open the next one in your queue" in page
    client.force_login(make_user("eddie", role="editor"))
    page = client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert reverse("article-reviewed-next", args=[article.pk]) in page
    assert "Set this article's status to reviewed" in page


# --- two reviewers at once ----------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_both_reviewers_clicking_at_once_leave_it_reviewed():
    """The two assignments done on their own threads: the rollup sees both, whichever
    commits second, and the article is reviewed; no error, no deadlock."""
    restore_migration_rows()
    r1, r2 = make_user("r1"), make_user("r2")
    for trial in range(5):
        desk = make_collection(f"Race {trial}", members=[r1, r2], reviewers_per_article=2)
        (article,) = make_articles(1, desk)
        for reviewer in (r1, r2):
            make_assignment(desk, article, reviewer, status="in_progress")
        outcomes = race(
            *(
                lambda r=r, a=article: len(services.article_mark_reviewed(article=a, actor=r))
                for r in (r1, r2)
            )
        )
        assert outcomes == [("ok", 1), ("ok", 1)], (trial, outcomes)
        article.refresh_from_db()
        assert article.status == Article.Status.REVIEWED
        assert statuses(article) == {"r1": "done", "r2": "done"}
