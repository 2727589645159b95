"""An article added in the admin is stored through services.articles.article_create, as
an import stores each article: its arrival in the history (the importer's event), its
text's hash and canonical URL, and its search index."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from annotations import history
from annotations.importers.service import import_data
from annotations.models import Article, HistoryEvent
from annotations.models.article import body_hash
from annotations.search import search
from annotations.services.articles import article_create

pytestmark = pytest.mark.django_db

ADD = reverse("admin:annotations_article_add")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def added(client, **fields):
    data = {
        "title": "Typed by hand",
        "author": "Jane Doe",
        "publisher": "The Desk",
        "published_at_0": "2026-03-01",
        "published_at_1": "10:30:00",
        "source_url": "https://WWW.Example.org/typed/?utm_source=x",
        "status": "new",
        "assignee": "",
        "body": "Quarantined zebras crossed the bridge on Monday.",
        **fields,
    }
    return client.post(ADD, data)


def test_an_article_added_in_the_admin_arrives_in_the_history(admin_client, admin_user):
    response = added(admin_client)
    assert response.status_code == 302
    article = Article.objects.get(title="Typed by hand")
    assert article.content_hash == body_hash(article.body)
    assert article.canonical_url and "utm_source" not in article.canonical_url
    assert article.import_metadata == {"importer": "admin", "imported_by": admin_user.username}
    (event,) = HistoryEvent.objects.filter(article=article)
    assert (event.kind, event.action, event.origin, event.actor) == (
        "article",
        "create",
        "admin",
        admin_user,
    )
    assert event.after == history.snapshot_arrival(article, spans=0)
    assert event.after["published_at"].endswith("+00:00")
    # Found by a word of its text, at once.
    assert [a.title for a in search(Article.objects.all(), "zebras")[0:10]] == ["Typed by hand"]


def test_its_arrival_event_is_the_one_an_import_records(admin_user):
    """The same snapshot an import writes for an article it creates (spans apart)."""
    line = (
        '{"title": "Imported", "text": "Imported zebras.", "published_at": '
        '"2026-03-01T10:30:00+01:00", "source_url": "https://example.org/i"}'
    )
    import_data(name="one.jsonl", data=line.encode(), user=admin_user)
    imported = HistoryEvent.objects.get(kind="article", action="create")
    made = article_create(
        actor=admin_user,
        fields={
            "title": "Typed",
            "body": "Typed zebras.",
            "published_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            "source_url": "https://example.org/t",
        },
        import_metadata={},
    )
    typed = HistoryEvent.objects.get(kind="article", action="create", object_id=made.pk)
    assert set(typed.after) == set(imported.after)
    assert typed.after["published_at"] == imported.after["published_at"]


def test_a_duplicate_text_is_refused_with_the_form(admin_client):
    added(admin_client)
    response = added(admin_client, title="Again")
    assert response.status_code == 200
    assert "An article with exactly this text already exists" in response.content.decode()
    assert not Article.objects.filter(title="Again").exists()


def test_a_page_already_here_is_refused_with_the_form(admin_client):
    """The same address (as the importers compare it: host's case, utm_ tags, trailing
    slash) is the same article: a second one with another text is refused, pointing to
    the import, which makes a revision and keeps the spans."""
    added(admin_client)
    response = added(
        admin_client,
        title="Other text",
        body="Another text of the same page.",
        source_url="https://www.example.org/typed",
    )
    assert response.status_code == 200
    assert "An article from this address already exists" in response.content.decode()
    assert not Article.objects.filter(title="Other text").exists()
    assert HistoryEvent.objects.count() == 1  # the first article's arrival only


def test_only_who_may_add_articles_can(reviewer):
    with pytest.raises(PermissionDenied):
        article_create(actor=reviewer, fields={"title": "X", "body": "Y."}, import_metadata={})
    assert not Article.objects.exists() and not HistoryEvent.objects.exists()
