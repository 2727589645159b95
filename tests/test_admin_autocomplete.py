"""The admin's autocompletes page through an ordered query (an unordered one can repeat
or skip rows between pages) and cost a fixed number of queries, however many results."""

import warnings

import pytest
from django.core.paginator import UnorderedObjectListWarning
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Article
from tests.factories import make_annotation, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def autocomplete(client, model_name, field_name, term, page=1):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "annotations",
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
                "page": page,
            },
        )
    assert response.status_code == 200
    return response.json()


def test_the_article_autocomplete_pages_in_the_list_s_order(admin_client):
    for n in range(25):
        make_article(f"Report body {n}.", title=f"Report {n:02}")
    first = autocomplete(admin_client, "annotation", "article", "Report")
    second = autocomplete(admin_client, "annotation", "article", "Report", page=2)
    ids = [int(r["id"]) for r in first["results"] + second["results"]]
    assert first["pagination"]["more"] and not second["pagination"]["more"]
    # Every article once, newest first (Meta.ordering: -published_at, -id).
    assert ids == list(
        Article.objects.filter(title__startswith="Report").values_list("pk", flat=True)
    )


def spans_saying_talks(n: int, author):
    article = make_article("The talks are advancing. " * n, title=f"Talks {n}")
    for i in range(n):
        start = 25 * i + 4
        make_annotation(article, start, start + 5, author=author)


def test_the_from_span_autocomplete_costs_the_same_for_20_results_as_for_2(
    admin_client, admin_user, django_assert_num_queries
):
    spans_saying_talks(2, admin_user)
    autocomplete(admin_client, "relation", "from_span", "talks")  # the caches
    with CaptureQueriesContext(connection) as few:
        assert len(autocomplete(admin_client, "relation", "from_span", "talks")["results"]) == 2
    spans_saying_talks(18, admin_user)
    # The session, the user, the count for the pagination and the page.
    with django_assert_num_queries(len(few)):
        results = autocomplete(admin_client, "relation", "from_span", "talks")["results"]
    assert len(results) == 20
    assert all("talks" in r["text"] for r in results)
    assert len(few) == 4
