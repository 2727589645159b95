"""The Agreement pages: who may see them, the figures, the CSV, the clear messages."""

import csv
import io

import pytest
from django.urls import reverse

from annotations import permissions
from annotations.agreement.serialise import CSV_HEADER
from annotations.models import Annotation, Assignment
from tests.agreement_factories import assign, make_collection
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db

TEXT = "The minister said the bridge is safe. Moscow denied it."


@pytest.fixture
def desk(reviewer, other_reviewer):
    """Two articles, both reviewed by rita and oscar: one in perfect agreement, one not."""
    agreed = make_article(TEXT, title="Agreed")
    disputed = make_article(TEXT + " (2)", title="Disputed")
    collection = make_collection("Election desk", articles=[agreed, disputed])
    assign(collection, agreed, reviewer, other_reviewer)
    assign(collection, disputed, reviewer, other_reviewer)
    make_annotation(agreed, 4, 12, author=reviewer)
    make_annotation(agreed, 4, 12, author=other_reviewer)
    make_annotation(disputed, 4, 12, author=reviewer)
    make_annotation(disputed, 38, 44, author=other_reviewer, label_slug="denial")
    collection.agreed, collection.disputed = agreed, disputed
    return collection


def test_an_editor_sees_the_figures_the_pairs_and_the_articles_that_disagree_most(
    editor_client, desk
):
    response = editor_client.get(reverse("collection-agreement", args=[desk.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    # One exact match of 2 + 2 spans: F1 = 2·1 / 4.
    assert '<span class="figure">0.500</span>' in page
    assert "<bdi>oscar</bdi> · <bdi>rita</bdi>" in page
    assert '<svg class="agreement-chart" role="img"' in page
    assert '<title id="agreement-chart-title">Agreement per label</title>' in page
    # The disputed article is listed before the agreed one, linking to its page.
    disputed = page.index(reverse("article-agreement", args=[desk.disputed.pk]))
    agreed = page.index(reverse("article-agreement", args=[desk.agreed.pk]))
    assert disputed < agreed


def test_a_collection_editor_who_is_not_a_global_editor_sees_it(client, desk, reviewer):
    lead = make_user("lena", role="reviewer")
    desk.memberships.create(user=lead, role="editor")
    client.force_login(lead)
    assert client.get(reverse("collection-agreement", args=[desk.slug])).status_code == 200
    article_page = client.get(reverse("article-agreement", args=[desk.agreed.pk]))
    assert article_page.status_code == 200


def test_a_reviewer_is_refused_with_a_clear_message(reviewer_client, desk):
    response = reviewer_client.get(reverse("collection-agreement", args=[desk.slug]))
    assert response.status_code == 403
    assert "Only the editors of “Election desk” can see its agreement figures." in (
        response.content.decode()
    )
    response = reviewer_client.get(reverse("article-agreement", args=[desk.agreed.pk]))
    assert response.status_code == 403
    assert "Only editors of one of this article" in response.content.decode()


def test_an_unknown_collection_or_article_is_a_clear_404(editor_client):
    response = editor_client.get(reverse("collection-agreement", args=["no-such-desk"]))
    assert response.status_code == 404
    assert "There is no collection “no-such-desk”." in response.content.decode()
    response = editor_client.get(reverse("article-agreement", args=[987654]))
    assert response.status_code == 404
    assert "There is no article #987654." in response.content.decode()


def test_the_csv_download(editor_client, desk):
    response = editor_client.get(
        reverse("collection-agreement", args=[desk.slug]), {"format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="agreement-{desk.slug}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_HEADER
    scopes = [row[0] for row in rows[1:]]
    assert scopes == ["overall", "label", "label", "pair", "article", "article"]
    overall = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert float(overall["f1_exact"]) == 0.5


def test_an_unknown_format_is_a_clear_400(editor_client, desk):
    response = editor_client.get(
        reverse("collection-agreement", args=[desk.slug]), {"format": "xml"}
    )
    assert response.status_code == 400
    assert "Unknown format “xml”" in response.content.decode()


def test_an_article_with_one_reviewer_says_it_needs_two(editor_client, reviewer):
    article = make_article(TEXT)
    make_annotation(article, 4, 12, author=reviewer)
    for params in ({}, {"format": "csv"}):
        response = editor_client.get(reverse("article-agreement", args=[article.pk]), params)
        assert response.status_code == 200
        page = response.content.decode()
        assert "This article needs two reviewers." in page
        assert "only <bdi>rita</bdi> has reviewed it" in page
        assert "Download CSV" not in page


def test_the_article_page_counts_an_assigned_reviewer_without_spans(editor_client, reviewer):
    article = make_article(TEXT)
    quiet = make_user("quinn")
    assign(make_collection(articles=[article]), article, quiet)
    make_annotation(article, 4, 12, author=reviewer)
    response = editor_client.get(reverse("article-agreement", args=[article.pk]))
    page = response.content.decode()
    assert "needs two reviewers" not in page
    assert "Reviewers: <bdi>quinn</bdi>, <bdi>rita</bdi>." in page


def test_the_review_page_links_to_agreement_for_editors_once_two_reviewers_count(
    client, editor, reviewer, other_reviewer
):
    article = make_article(TEXT)
    make_annotation(article, 4, 12, author=reviewer)
    url = reverse("article-detail", args=[article.pk])
    link = f'href="{reverse("article-agreement", args=[article.pk])}"'
    client.force_login(editor)
    assert link not in client.get(url).content.decode()  # one reviewer so far
    make_annotation(article, 38, 44, author=other_reviewer)
    assert link in client.get(url).content.decode()
    client.force_login(reviewer)
    assert link not in client.get(url).content.decode()  # reviewers never see it


def test_the_pages_store_nothing(editor_client, desk):
    before = (Annotation.objects.count(), Assignment.objects.count())
    editor_client.get(reverse("collection-agreement", args=[desk.slug]))
    editor_client.get(reverse("collection-agreement", args=[desk.slug]), {"format": "csv"})
    assert (Annotation.objects.count(), Assignment.objects.count()) == before


def test_an_undefined_figure_is_a_dash_that_says_why(editor_client, reviewer, other_reviewer):
    article = make_article(TEXT)
    desk = make_collection(articles=[article])
    # Both assigned, neither has made a span: every figure is undefined.
    assign(desk, article, reviewer, other_reviewer)
    page = editor_client.get(reverse("collection-agreement", args=[desk.slug])).content.decode()
    assert 'title="Neither side made a span: F1 is undefined.">—' in page
    assert "kappa is undefined" in page


def test_the_review_page_link_for_a_collection_editor_only_of_the_articles_collection(
    client, reviewer, other_reviewer
):
    article = make_article(TEXT)
    make_annotation(article, 4, 12, author=reviewer)
    make_annotation(article, 38, 44, author=other_reviewer)
    lead, elsewhere = make_user("lena"), make_user("emil")
    # emil reviews in the article's collection and edits another one.
    make_collection(articles=[article], editors=[lead], reviewers=[elsewhere])
    make_collection(editors=[elsewhere])
    url = reverse("article-detail", args=[article.pk])
    link = f'href="{reverse("article-agreement", args=[article.pk])}"'
    client.force_login(lead)
    assert link in client.get(url).content.decode()
    client.force_login(elsewhere)
    response = client.get(url)
    assert response.status_code == 200 and link not in response.content.decode()


def test_the_article_csv_is_named_after_the_article(editor_client, desk):
    url = reverse("article-agreement", args=[desk.disputed.pk])
    response = editor_client.get(url, {"format": "csv"})
    expected = f'attachment; filename="agreement-article-{desk.disputed.pk}.csv"'
    assert response["Content-Disposition"] == expected
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[0] for row in rows[1:]] == ["overall", "label", "label", "pair", "article"]


def test_the_review_page_link_costs_one_query(django_assert_num_queries, desk, editor, reviewer):
    from annotations.templatetags.agreement import agreement_url

    lead = make_user("lena")
    desk.memberships.create(user=lead, role="editor")
    for user in (editor, lead, reviewer):
        user.has_perm("annotations.change_any_annotation")  # the permission cache, as a page
        permissions.article_access(user, desk.agreed)  # the page's access check, as a page
        # Whether the user edits here comes with the access check: only an editor, who may
        # see the link, pays for the reviewer count.
        with django_assert_num_queries(0 if user == reviewer else 1):
            url = agreement_url(desk.agreed, user)
        assert bool(url) == (user != reviewer)
