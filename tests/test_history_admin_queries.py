"""The history admin's lists of article deletions ask the one restore rule
(article_restore_refusal) with what their own query looked up: a fixed number of queries
however many rows, and the same answers as the rule asked row by row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Article, HistoryEvent
from annotations.services.articles import articles_delete
from annotations.services.restore import (
    ARTICLE_RETURNED,
    article_restore,
    article_restore_refusal,
    known_restorability,
    with_restorability,
)
from tests.factories import make_annotation, make_article

pytestmark = pytest.mark.django_db

LIST = reverse("admin:annotations_historyevent_changelist")
DELETIONS = {"kind__exact": "article", "action__exact": "delete"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def deleted_articles(n: int, actor, first: int = 0) -> list[HistoryEvent]:
    ids = []
    for i in range(first, first + n):
        article = make_article(f"Deleted text {i}. The minister said so.", title=f"Gone {i}")
        make_annotation(article, 0, 7, author=actor)
        ids.append(article.pk)
    return articles_delete(article_ids=ids, actor=actor)


def queries_for(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url, params",
    [
        (LIST, DELETIONS),
        (LIST, None),
        (reverse("admin:annotations_historyevent_deleted_articles"), None),
    ],
)
def test_the_lists_cost_the_same_for_many_deletions_as_for_few(
    admin_client, admin_user, url, params
):
    deleted_articles(2, admin_user)
    queries_for(admin_client, url, params)  # the caches (content types, session)
    few = queries_for(admin_client, url, params)
    deleted_articles(20, admin_user, first=2)
    assert queries_for(admin_client, url, params) == few


def test_the_deleted_articles_page_is_three_queries(
    admin_client, admin_user, django_assert_num_queries
):
    deleted_articles(30, admin_user)
    # The session, the user, the deletions with what the rule asks.
    with django_assert_num_queries(3):
        admin_client.get(reverse("admin:annotations_historyevent_deleted_articles"))


def test_the_lists_give_the_rule_s_answers(admin_client, admin_user):
    kept, restored, returned = deleted_articles(3, admin_user)
    article_restore(event=restored, actor=admin_user)
    make_article(returned.before["body"], title="Imported again")
    events = with_restorability(HistoryEvent.objects.filter(kind="article", action="delete"))
    answers = {e.pk: article_restore_refusal(e, **known_restorability(e)) for e in events}
    assert answers == {e.pk: article_restore_refusal(e) for e in (kept, restored, returned)}
    assert answers[kept.pk] is None
    assert answers[restored.pk] == "This article has already been restored."
    assert answers[returned.pk] == ARTICLE_RETURNED

    page = admin_client.get(LIST, DELETIONS).content.decode()
    assert page.count('alt="True"') == 1 and page.count('alt="False"') == 2
    listing = admin_client.get(
        reverse("admin:annotations_historyevent_deleted_articles")
    ).content.decode()
    assert listing.count("Restore this article") == 1
    assert ARTICLE_RETURNED in listing.replace("&#x27;", "'")


def test_a_deletion_recorded_without_its_hash_is_still_checked_by_its_text(admin_user):
    (event,) = deleted_articles(1, admin_user)
    HistoryEvent.objects.filter(pk=event.pk).update(
        before={k: v for k, v in event.before.items() if k != "content_hash"}
    )
    make_article(event.before["body"], title="Imported again")
    (listed,) = with_restorability(HistoryEvent.objects.filter(pk=event.pk))
    assert article_restore_refusal(listed, **known_restorability(listed)) == ARTICLE_RETURNED
    assert Article.objects.filter(title="Imported again").exists()
