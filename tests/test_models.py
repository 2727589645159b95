"""Database-level guarantees that hold on SQLite and PostgreSQL alike."""

import pytest
from django.db import IntegrityError, transaction

from annotations.models import Annotation, Article, Label
from tests.factories import make_article


@pytest.mark.django_db
@pytest.mark.parametrize("start,end", [(5, 5), (6, 2), (-1, 3)])
def test_database_refuses_empty_reversed_or_negative_spans(reviewer, article, start, end):
    """The check constraints stop a bad span even when code bypasses the services."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(
            article=article,
            label=Label.objects.get(slug="claim"),
            start=start,
            end=end,
            quote="x",
            author=reviewer,
        )
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_the_same_text_cannot_be_stored_twice(article):
    """content_hash is unique: a second article with the same body is refused."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(title="Copy", body=article.body)
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_two_labels_cannot_share_a_shortcut_key():
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(name="Rumour", slug="rumour", shortcut="1")
    assert not Label.objects.filter(slug="rumour").exists()


@pytest.mark.django_db
def test_labels_without_a_shortcut_are_allowed_side_by_side():
    Label.objects.create(name="Rumour", slug="rumour", shortcut="")
    Label.objects.create(name="Satire", slug="satire", shortcut="")
    assert Label.objects.filter(shortcut="").count() == 2


@pytest.mark.django_db
def test_unicode_bodies_round_trip_through_the_database():
    """Emoji, CJK, RTL, combining marks and NBSP are stored and read back unchanged."""
    body = "😀 東京 שלום q\u0307\u00a0end 👩\u200d👩\u200d👧"  # q̇ has no precomposed form
    article = make_article(body)
    article.refresh_from_db()
    assert article.body == body
    assert article.body[:1] == "😀" and len(article.body) == len(body)
