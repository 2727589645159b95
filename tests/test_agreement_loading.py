"""Loading an agreement selection from the database: whose spans, which reviewers, and
a constant number of queries."""

import pytest

from annotations.agreement import Span
from annotations.agreement.loading import has_two_reviewers, load_selection
from annotations.models import Annotation, Article
from tests.agreement_factories import assign, make_collection
from tests.factories import make_annotation, make_article, make_user

pytestmark = pytest.mark.django_db

TEXT = "The minister said the bridge is safe. Moscow denied it."


def test_reviewer_spans_by_author_with_assigned_reviewers_who_made_none(reviewer, editor):
    article = make_article(TEXT)
    quiet = make_user("quinn")
    other_desk_only = make_user("olga")
    desk = make_collection(articles=[article])
    other = make_collection(articles=[article])
    assign(desk, article, reviewer, quiet)
    assign(other, article, other_desk_only)
    make_annotation(article, 4, 12, author=reviewer)
    make_annotation(article, 38, 44, author=editor, label_slug="denial")
    # An adjudicated (gold) span is not a reviewer's: it is left out.
    make_annotation(article, 4, 17, author=editor, layer=Annotation.Layer.GOLD)

    [loaded] = load_selection(Article.objects.filter(pk=article.pk), collection=desk).articles

    assert loaded.spans == {
        "rita": [Span(4, 12, "claim")],
        "edith": [Span(38, 44, "denial")],
        "quinn": [],  # assigned in this collection, no span yet: still counts
    }
    # Without a collection, every assignment counts.
    [anywhere] = load_selection(Article.objects.filter(pk=article.pk)).articles
    assert set(anywhere.spans) == {"rita", "edith", "quinn", "olga"}


def _articles_with_two_reviewers(count, first, second):
    desk = make_collection()
    for n in range(count):
        article = make_article(f"{TEXT} ({n})")
        desk.articles.add(article)
        assign(desk, article, first, second)
        make_annotation(article, 4, 12, author=first)
        make_annotation(article, 38, 44, author=second)
    return desk


@pytest.mark.parametrize("count", [2, 25])
def test_loading_runs_four_queries_whatever_the_number_of_articles(
    count, django_assert_num_queries, reviewer, other_reviewer
):
    desk = _articles_with_two_reviewers(count, reviewer, other_reviewer)
    with django_assert_num_queries(4):
        selection = load_selection(desk.articles.all(), collection=desk)
    assert len(selection.articles) == count
    assert all(len(a.spans) == 2 for a in selection.articles)


def test_has_two_reviewers_counts_assignments_and_authors(reviewer, other_reviewer):
    article = make_article(TEXT)
    make_annotation(article, 4, 12, author=reviewer)
    make_annotation(article, 13, 17, author=reviewer)
    assert not has_two_reviewers(article)
    assign(make_collection(articles=[article]), article, other_reviewer)
    assert has_two_reviewers(article)
