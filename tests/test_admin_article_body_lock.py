"""An article's text is locked in the admin while any span points into it, a span that
needs attention after a revision included (services.articles.spans_pointing_into, the
rule article_update applies); a refused save shows the form with its error and what was
typed, never a bare 409 page."""

import pytest
from django.urls import reverse

from annotations.models import Annotation, Article
from annotations.services.revisions import revise_article
from tests.factories import make_article, make_span

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def only_unplaced(reviewer):
    """An article whose one span a re-import of its URL with a changed text left unplaced."""
    article = make_article("Kept sentence here. Removed sentence there.", title="A")
    make_span(article, "Removed sentence", reviewer)
    revise_article(article=article, title="A", body="Kept sentence here. New end.", actor=None)
    assert not Annotation.objects.filter(article=article).exists()
    assert Annotation.all_objects.get(article=article).needs_attention
    return Article.objects.get(pk=article.pk)


def change_url(article):
    return reverse("admin:annotations_article_change", args=[article.pk])


def form_data(article, **changes):
    data = {
        "title": article.title,
        "author": article.author,
        "publisher": article.publisher,
        "published_at_0": "",
        "published_at_1": "",
        "source_url": article.source_url,
        "status": article.status,
        "assignee": "",
        "body": article.body,
    }
    return {**data, **changes}


def test_the_text_is_locked_and_the_spans_counted_when_the_only_span_needs_attention(
    admin_client, only_unplaced
):
    page = admin_client.get(change_url(only_unplaced)).content.decode()
    assert 'name="body"' not in page
    assert "The text is locked" in page
    assert "1 span(s)</a>, " in page and "1 of them need attention" in page


def test_a_posted_text_is_ignored_while_locked_and_the_rest_saved(admin_client, only_unplaced):
    response = admin_client.post(
        change_url(only_unplaced), form_data(only_unplaced, title="Typed title", body="New.")
    )
    # The body is read-only, so the posted one is ignored; the title change is saved.
    assert response.status_code == 302
    stored = Article.objects.get(pk=only_unplaced.pk)
    assert (stored.body, stored.title) == (only_unplaced.body, "Typed title")


def test_a_span_made_after_the_form_was_checked_refuses_it_with_the_form(
    admin_client, article, reviewer, monkeypatch
):
    """The form saw no span (one is made between its check and the save, here by
    making the form's count say 0): the service refuses under its lock, and the page is
    the form with the service's message and the typed values, not a 409."""
    from annotations.admin import articles as article_admin

    make_span(article, "Moscow denied it", reviewer)
    monkeypatch.setattr(article_admin, "spans_pointing_into", lambda article_id: 0)
    response = admin_client.post(
        change_url(article), form_data(article, title="Typed title", body="Typed text.")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The text cannot change: spans now point into it" in page
    assert "Typed title" in page and "Typed text." in page
    stored = Article.objects.get(pk=article.pk)
    assert (stored.body, stored.title) == (article.body, article.title)
