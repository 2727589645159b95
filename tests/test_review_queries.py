"""The review desk's endpoints run a constant number of queries, whatever the span count.

The review page itself is covered in test_review_views.py; here: creating a span (the
htmx POST behind a label key) and opening the span editor (the htmx GET behind a click).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Annotation, Article
from tests.factories import make_article, make_source

HTMX = {"HTTP_HX_REQUEST": "true"}
WORD = "word "  # five code points a span step


def article_with_spans(count, author):
    """An article in review with `count` spans, a quarter of them with a source (bodies
    differ by their last word: equal texts are one article)."""
    article = make_article(WORD * 3000 + str(count), status=Article.Status.IN_REVIEW)
    Annotation.objects.bulk_create(
        Annotation(
            article=article,
            label_id=1 + i % 3,
            start=i * 5,
            end=i * 5 + 4 + 5 * (i % 2),  # every other span overlaps the next
            quote=article.body[i * 5 : i * 5 + 4 + 5 * (i % 2)],
            author=author,
        )
        for i in range(count)
    )
    for annotation in Annotation.objects.filter(article=article)[: max(1, count // 4)]:
        make_source(annotation)
    return article


def create(client, article, index):
    """POST a new span over the word at `index` past the existing spans, as review.js does."""
    start = len(WORD) * index
    data = {"label": "denial", "start": start, "end": start + 4, "quote": "word"}
    return client.post(reverse("annotation-create", args=[article.pk]), data, **HTMX)


@pytest.fixture
def articles(reviewer):
    return article_with_spans(10, reviewer), article_with_spans(1000, reviewer)


@pytest.mark.django_db
def test_creating_a_span_runs_the_same_queries_for_10_and_1000_spans(
    client, django_assert_num_queries, reviewer, articles
):
    """The create endpoint's query count does not grow with the article's spans."""
    small, large = articles
    client.force_login(reviewer)
    assert create(client, small, 2000).status_code == 200  # warm the session
    assert create(client, large, 2000).status_code == 200
    with CaptureQueriesContext(connection) as small_run:
        response = create(client, small, 2001)
    assert response.status_code == 200
    with django_assert_num_queries(len(small_run.captured_queries)):
        response = create(client, large, 2001)
    assert response.status_code == 200
    created = Annotation.objects.get(article=large, start=len(WORD) * 2001)
    assert f'data-annotation-id="{created.pk}"'.encode() in response.content
    assert Annotation.objects.filter(article=large).count() == 1002


@pytest.mark.django_db
def test_opening_the_span_editor_runs_the_same_queries_for_10_and_1000_spans(
    client, django_assert_num_queries, reviewer, articles
):
    """The editor partial (htmx GET /annotations/<id>/) does not grow with the spans."""
    small, large = articles
    client.force_login(reviewer)
    # A span with a source in each article, so both editors list one.
    small_span = Annotation.objects.filter(article=small, sources__isnull=False).first()
    large_span = Annotation.objects.filter(article=large, sources__isnull=False).first()
    client.get(reverse("annotation-detail", args=[small_span.pk]), **HTMX)  # warm up
    with CaptureQueriesContext(connection) as small_run:
        response = client.get(reverse("annotation-detail", args=[small_span.pk]), **HTMX)
    assert response.status_code == 200
    with django_assert_num_queries(len(small_run.captured_queries)):
        response = client.get(reverse("annotation-detail", args=[large_span.pk]), **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert f'data-annotation-ref="{large_span.pk}"' in content


@pytest.mark.django_db
def test_the_queries_of_a_create_stay_few(client, reviewer, articles):
    """One create stays within a small fixed budget of queries (session, user, article,
    label, the locked write and its history, and the region sent back)."""
    _, large = articles
    client.force_login(reviewer)
    create(client, large, 2000)
    with CaptureQueriesContext(connection) as run:
        assert create(client, large, 2002).status_code == 200
    assert len(run.captured_queries) <= 25, [q["sql"][:80] for q in run.captured_queries]


def test_a_new_spans_editor_reads_no_links(client, reviewer):
    """A span that was just made has no links yet: its editor is drawn without asking the
    database for them."""
    client.force_login(reviewer)
    article = article_with_spans(3, reviewer)
    with CaptureQueriesContext(connection) as run:
        response = create(client, article, 10)
    assert response.status_code == 200, response.content.decode()[:500]
    read = " ".join(q["sql"] for q in run.captured_queries if q["sql"].startswith("SELECT"))
    assert "annotations_relation" not in read
