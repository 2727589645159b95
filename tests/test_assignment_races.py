"""Two editors assigning the same articles at the same moment, and reviewers finishing
the same article together, raced on real threads (PostgreSQL only: see tests/races.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from annotations.models import Article, Assignment
from annotations.services import assignments
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_span, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import needs_postgresql, race

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]

TRIALS = 5


@pytest.fixture(autouse=True)
def migration_rows(transactional_db):
    """A flushed database has lost the labels and groups that migrations create."""
    restore_migration_rows()


@pytest.fixture
def team(db):
    return [make_user(name, role="reviewer") for name in ("ann", "bob", "cat")]


@pytest.fixture
def editors(db):
    return make_user("edith", role="editor"), make_user("eddie", role="editor")


def test_two_editors_assigning_at_once_make_no_duplicates_and_no_errors(team, editors):
    for trial in range(TRIALS):
        desk = make_collection(f"Desk {trial}", members=team, reviewers_per_article=2)
        articles = make_articles(6, desk)
        outcomes = race(
            *(lambda e=e, d=desk, a=articles: assignments.assign(d, a, team, e) for e in editors)
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        made = [len(result.created) for _, result in outcomes]
        # One of them did the work; the other found it done.
        assert sorted(made) == [0, 12]
        per_article = Counter(
            Assignment.objects.filter(collection=desk).values_list("article_id", flat=True)
        )
        assert per_article == {a.pk: 2 for a in articles}


def test_two_reviewers_finishing_together_leave_the_article_reviewed(team):
    for trial in range(TRIALS):
        desk = make_collection(f"Double {trial}", members=team[:2], reviewers_per_article=2)
        article = make_articles(1, desk)[0]
        rows = [make_assignment(desk, article, r, status="in_progress") for r in team[:2]]
        outcomes = race(
            *(
                lambda row=row, r=r: assignments.mark_done(row, r)
                for row, r in zip(rows, team[:2], strict=True)
            )
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        article.refresh_from_db()
        assert article.status == Article.Status.REVIEWED


def test_a_span_and_done_on_the_same_article_do_not_deadlock(team):
    ann, bob = team[:2]
    for trial in range(TRIALS):
        desk = make_collection(f"Mixed {trial}", members=[ann, bob])
        article = make_articles(
            1, desk, body=f"Trial {trial}: the minister said the bridge is safe."
        )[0]
        started = make_assignment(desk, article, bob, status="in_progress")
        make_assignment(desk, article, ann)
        outcomes = race(
            lambda a=article: make_span(a, "minister", ann),
            lambda row=started: assignments.mark_done(row, bob),
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        assert set(Assignment.objects.filter(article=article).values_list("status", flat=True)) == {
            "in_progress",
            "done",
        }
