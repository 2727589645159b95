"""Deleting articles (one or many) is batched: a fixed number of queries per article,
however many spans it has, with the same history as span-by-span deletion had (each
span's deletion event with its sources and links, then the whole article) so that the
undo brings every span back."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import history, services
from annotations.models import Annotation, Article, HistoryEvent, Relation
from annotations.services.articles import article_delete, articles_delete
from annotations.services.restore import article_restore
from tests.factories import make_annotation, make_article, make_source

pytestmark = pytest.mark.django_db

WORDS = ["Kirby", "talks", "advancing", "minister", "bridge", "safe", "Moscow", "denied"]
WORDS += ["council", "budget"]


def article_with_spans(spans: int, author, n: int) -> Article:
    article = make_article(
        f"Report {n}. Kirby said the talks are advancing, the minister said the bridge is "
        "safe. Moscow denied it. The council said the budget is balanced.",
        title=f"Report {n}",
    )
    made = []
    for word in WORDS[:spans]:
        start = article.body.index(word)
        made.append(make_annotation(article, start, start + len(word), author=author))
    make_source(made[0], "https://example.org/a")
    make_source(made[0], "https://example.org/b")
    Relation.objects.create(from_span=made[1], to_span=made[0], type="denies")
    return article


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def bulk_delete(client, articles):
    return client.post(
        reverse("admin:annotations_article_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in articles],
            "post": "yes",
            "understand": "yes",
        },
    )


def test_bulk_delete_costs_the_same_queries_for_10_spans_as_for_2(admin_client, admin_user):
    few = [article_with_spans(2, admin_user, n) for n in range(3)]
    many = [article_with_spans(10, admin_user, n) for n in range(3, 6)]
    bulk_delete(admin_client, [make_article("Warming the caches.")])  # content types
    with CaptureQueriesContext(connection) as few_queries:
        assert bulk_delete(admin_client, few).status_code == 302
    with CaptureQueriesContext(connection) as many_queries:
        assert bulk_delete(admin_client, many).status_code == 302
    assert len(many_queries) == len(few_queries)
    assert not Article.objects.exists() and not Annotation.all_objects.exists()
    assert HistoryEvent.objects.filter(kind="annotation", action="delete").count() == 36


def test_the_confirmation_page_costs_the_same_for_10_spans_as_for_2(admin_client, admin_user):
    few = [article_with_spans(2, admin_user, n) for n in range(3)]
    many = [article_with_spans(10, admin_user, n) for n in range(3, 6)]
    url = reverse("admin:annotations_article_changelist")
    counts = []
    for articles in (few, few, many):  # the first warms the caches (content types)
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.post(
                url, {"action": "delete_selected", "_selected_action": [a.pk for a in articles]}
            )
        assert "I understand" in page.content.decode()
        counts.append(len(queries))
    assert counts[1] == counts[2]


def test_one_article_s_deletion_is_a_fixed_number_of_queries(admin_user, django_assert_num_queries):
    article = article_with_spans(10, admin_user, 1)
    # Lock the article, lock its spans, the whole-article snapshot (8), the spans'
    # deletion events (1), the article's event ids (1), the cascade (12), the event (1),
    # in a savepoint (2): 27 queries (a span at a time, this was 16 per span).
    with django_assert_num_queries(27):
        article_delete(article=article, actor=admin_user)
    several = [article_with_spans(n, admin_user, n).pk for n in (2, 5, 10)]
    with django_assert_num_queries(2 + 3 * 25):
        articles_delete(article_ids=several, actor=admin_user)


def test_each_span_s_deletion_event_is_what_deleting_the_span_alone_keeps(admin_user):
    article = article_with_spans(4, admin_user, 1)
    spans = list(Annotation.all_objects.filter(article=article).order_by("id"))
    # The snapshot annotation_delete took span by span, before deletion was batched.
    expected = {
        span.pk: history.snapshot_annotation(
            span,
            sources=span.sources.select_related("source").order_by("id"),
            relations=Relation.objects.filter(Q(from_span=span) | Q(to_span=span)).order_by("id"),
        )
        for span in spans
    }
    deletion = article_delete(article=article, actor=admin_user)
    events = HistoryEvent.objects.filter(kind="annotation", action="delete").order_by("id")
    assert [e.object_id for e in events] == [s.pk for s in spans]
    assert {e.object_id: e.before for e in events} == expected
    assert all(e.pk < deletion.pk for e in events)
    assert deletion.before["history_event_ids"] == [e.pk for e in events]
    assert len(expected[spans[0].pk]["sources"]) == 2
    assert len(expected[spans[0].pk]["relations"]) == 1


def test_bulk_delete_then_undo_brings_every_span_back(admin_client, admin_user):
    articles = [article_with_spans(n, admin_user, n) for n in (2, 10)]
    before = {a.pk: history.snapshot_article(Article.objects.get(pk=a.pk)) for a in articles}
    assert bulk_delete(admin_client, articles).status_code == 302
    for event in HistoryEvent.objects.filter(kind="article", action="delete"):
        article_restore(event=event, actor=admin_user)
    for pk, snapshot in before.items():
        assert history.snapshot_article(Article.objects.get(pk=pk)) == snapshot
    assert Annotation.all_objects.count() == 12
    # A restored span can be deleted again, span by span, as any other.
    span = Annotation.objects.order_by("id").first()
    services.annotation_delete(annotation=span, actor=admin_user)


def test_a_span_the_actor_may_not_delete_refuses_the_whole_deletion(editor, reviewer):
    """The article's spans are checked as annotation_delete checks each: a refusal stores
    nothing (an editor with delete_article but not change_any_annotation, say)."""
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="delete_article"))
    editor.user_permissions.remove(Permission.objects.get(codename="change_any_annotation"))
    editor.groups.clear()
    editor.user_permissions.add(Permission.objects.get(codename="delete_annotation"))
    editor = type(editor).objects.get(pk=editor.pk)
    article = article_with_spans(2, reviewer, 1)
    with pytest.raises(services.articles.PermissionDenied, match="span #"):
        articles_delete(article_ids=[article.pk], actor=editor)
    assert Annotation.all_objects.filter(article=article).count() == 2
    assert not HistoryEvent.objects.filter(action="delete").exists()
