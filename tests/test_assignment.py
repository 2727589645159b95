"""Assigning a collection's articles to its reviewers: the round robin, K reviewers an
article, balanced load, idempotency, refusals that store nothing, and the command."""

from collections import Counter
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from annotations.assignment_plan import plan_assignments
from annotations.models import Article, Assignment, HistoryEvent
from annotations.services import assignments
from tests.desk_factories import make_articles, make_assignment, make_collection
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return [make_user(name, role="reviewer") for name in ("ann", "bob", "cat")]


@pytest.fixture
def desk(team, editor):
    return make_collection("Election desk", members=team, editors=[editor])


def pairs(result):
    return [(a.article_id, a.reviewer.username) for a in result.created]


# --- the plan, pure -------------------------------------------------------------------------


def test_the_plan_goes_round_the_reviewers_in_turn():
    plan = plan_assignments([1, 2, 3, 4], [10, 20, 30], per_article=1)
    assert plan.pairs == [(1, 10), (2, 20), (3, 30), (4, 10)]


def test_the_plan_gives_each_article_k_different_reviewers_and_balances():
    plan = plan_assignments(list(range(1, 7)), [10, 20, 30], per_article=2)
    by_article = Counter(article for article, _ in plan.pairs)
    assert set(by_article.values()) == {2}
    assert all(len({r for a, r in plan.pairs if a == art}) == 2 for art in by_article)
    assert set(Counter(r for _, r in plan.pairs).values()) == {4}


def test_the_plan_counts_existing_reviewers_and_open_work():
    plan = plan_assignments(
        [1, 2], [10, 20], per_article=1, existing=[(1, 99)], open_load={10: 5, 20: 0}
    )
    # Article 1 already has a reviewer (99); article 2 goes to the idle reviewer.
    assert plan.pairs == [(2, 20)]
    assert plan.already_covered == [1]


# --- assign ---------------------------------------------------------------------------------


def test_assign_round_robin_one_reviewer_each(desk, team, editor):
    articles = make_articles(6, desk)
    result = assignments.assign(desk, articles, team, editor)
    assert pairs(result) == [
        (articles[0].pk, "ann"),
        (articles[1].pk, "bob"),
        (articles[2].pk, "cat"),
        (articles[3].pk, "ann"),
        (articles[4].pk, "bob"),
        (articles[5].pk, "cat"),
    ]
    assert Assignment.objects.filter(collection=desk, status="todo").count() == 6
    assert set(Assignment.objects.values_list("assigned_by", flat=True)) == {editor.pk}


def test_assign_k_per_article_from_the_collection_setting(team, editor):
    desk = make_collection("Double", members=team, editors=[editor], reviewers_per_article=2)
    articles = make_articles(3, desk)
    assignments.assign(desk, articles, team, editor)
    per_article = Counter(Assignment.objects.values_list("article_id", flat=True))
    assert per_article == {a.pk: 2 for a in articles}
    per_reviewer = Counter(Assignment.objects.values_list("reviewer__username", flat=True))
    assert per_reviewer == {"ann": 2, "bob": 2, "cat": 2}


def test_assign_per_article_argument_overrides_the_setting(desk, team, editor):
    article = make_articles(1, desk)[0]
    result = assignments.assign(desk, [article], team, editor, per_article=3)
    assert sorted(name for _, name in pairs(result)) == ["ann", "bob", "cat"]


def test_assign_balances_against_open_work(desk, team, editor):
    ann = team[0]
    busy = make_articles(2, desk)
    for article in busy:
        make_assignment(desk, article, ann)
    fresh = make_articles(2, desk)
    result = assignments.assign(desk, fresh, team, editor)
    assert sorted(name for _, name in pairs(result)) == ["bob", "cat"]


def test_assign_twice_adds_nothing(desk, team, editor):
    articles = make_articles(4, desk)
    assignments.assign(desk, articles, team, editor, per_article=2)
    events = HistoryEvent.objects.filter(kind="assignment").count()
    again = assignments.assign(desk, articles, team, editor, per_article=2)
    assert again.created == []
    assert again.already_covered == [a.pk for a in articles]
    assert Assignment.objects.count() == 8
    assert HistoryEvent.objects.filter(kind="assignment").count() == events


def test_assign_records_history_with_the_origin(desk, team, editor):
    from annotations.history import recording_origin

    article = make_articles(1, desk)[0]
    with recording_origin("command"):
        result = assignments.assign(desk, [article], team[:1], editor)
    event = HistoryEvent.objects.get(kind="assignment")
    assert event.object_id == result.created[0].pk
    assert event.action == "create" and event.origin == "command"
    assert event.after["reviewer_id"] == team[0].pk and event.article_id == article.pk


def test_assign_refuses_a_non_member_and_stores_nothing(desk, team, editor):
    stranger = make_user("zed", role="reviewer")
    articles = make_articles(2, desk)
    with pytest.raises(ValidationError) as refused:
        assignments.assign(desk, articles, [team[0], stranger], editor)
    assert "zed is not a member of Election desk" in refused.value.messages[0]
    assert not Assignment.objects.exists()
    assert not HistoryEvent.objects.filter(kind="assignment").exists()


def test_assign_refuses_an_article_outside_the_collection(desk, team, editor):
    outside = make_article()
    with pytest.raises(ValidationError, match=rf"#{outside.pk} is not in Election desk"):
        assignments.assign(desk, [outside], team, editor)
    assert not Assignment.objects.exists()


def test_assign_is_for_the_collections_editors(desk, team):
    article = make_articles(1, desk)[0]
    with pytest.raises(PermissionDenied):
        assignments.assign(desk, [article], team, team[0])
    assert not Assignment.objects.exists()


def test_assign_reports_articles_left_short(desk, team, editor):
    article = make_articles(1, desk)[0]
    result = assignments.assign(desk, [article], team[:1], editor, per_article=2)
    assert result.short == [article.pk]
    assert len(result.created) == 1


def test_assigning_moves_an_article_back_to_new(desk, team, editor):
    article = make_articles(1, desk, status=Article.Status.REVIEWED)[0]
    assignments.assign(desk, [article], team[:1], editor)
    article.refresh_from_db()
    assert article.status == Article.Status.NEW


def test_unassign_removes_the_row_with_history(desk, team, editor):
    article = make_articles(1, desk)[0]
    row = assignments.assign(desk, [article], team[:1], editor).created[0]
    assignments.unassign(row, editor)
    assert not Assignment.objects.exists()
    assert HistoryEvent.objects.filter(kind="assignment", action="delete").count() == 1


def test_a_reviewer_cannot_unassign(desk, team):
    row = make_assignment(desk, make_articles(1, desk)[0], team[0])
    with pytest.raises(PermissionDenied):
        assignments.unassign(row, team[0])
    assert Assignment.objects.filter(pk=row.pk).exists()


# --- the command ----------------------------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command("assign_articles", *args, stdout=out)
    return out.getvalue()


def test_command_assigns_the_unassigned_and_prints_it(desk, team):
    articles = make_articles(3, desk)
    make_assignment(desk, articles[0], team[2])
    out = run("--collection", "election desk", "--to", "ann", "bob", "--unassigned")
    assert f"#{articles[1].pk} “{articles[1].title}” → ann" in out
    assert f"#{articles[2].pk} “{articles[2].title}” → bob" in out
    assert "2 assignments made" in out
    assert Assignment.objects.count() == 3
    assert set(HistoryEvent.objects.filter(kind="assignment").values_list("origin", flat=True)) == {
        "command"
    }


def test_command_with_article_ids_and_k(desk, team):
    articles = make_articles(2, desk)
    ids = ",".join(str(a.pk) for a in articles)
    out = run(
        "--collection",
        "Election desk",
        "--to",
        "ann",
        "bob",
        "--article",
        ids,
        "--per-article",
        "2",
    )
    assert "4 assignments made" in out
    assert Assignment.objects.count() == 4


def test_command_run_twice_says_nothing_to_do(desk, team):
    make_articles(2, desk)
    run("--collection", "Election desk", "--to", "ann", "--unassigned")
    out = run("--collection", "Election desk", "--to", "ann", "bob", "--unassigned")
    assert "Nothing to assign" in out
    assert Assignment.objects.count() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--collection", "Nope", "--to", "ann", "--unassigned"], "No collection named “Nope”"),
        (
            ["--collection", "Election desk", "--to", "ghost", "--unassigned"],
            "No user named “ghost”",
        ),
        (
            ["--collection", "Election desk", "--to", "zed", "--unassigned"],
            "zed is not a member of Election desk",
        ),
        (
            ["--collection", "Election desk", "--to", "ann", "--article", "1,x"],
            "--article takes article ids separated by commas",
        ),
        (
            ["--collection", "Election desk", "--to", "ann", "--article", "999999"],
            "No article with id 999999",
        ),
        (
            ["--collection", "Election desk", "--to", "ann", "--unassigned", "--per-article", "0"],
            "--per-article must be at least 1",
        ),
    ],
)
def test_command_errors_are_clear_and_store_nothing(desk, team, args, message):
    make_user("zed", role="reviewer")
    make_articles(1, desk)
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Assignment.objects.exists()


def test_command_needs_articles_or_unassigned(desk, team):
    with pytest.raises(CommandError, match="--article"):
        run("--collection", "Election desk", "--to", "ann")
