"""Only articles an editor opens and sees in full join a collection they edit
(permissions.collection_article_refusals): an editor of one collection cannot lift
another's blind mode or assignment rule by adding its articles to their own, from the
desk or the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import permissions
from annotations.models import HistoryEvent
from annotations.services import collections as service
from tests.blind_world import A_NOTE, make_blind_world
from tests.desk_factories import collection_admin_form, make_collection
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

REFUSED_TAIL = (
    "Only articles you can open and see in full (every reviewer's spans) can be added to "
    "a collection. Nothing was added."
)


@pytest.fixture
def world(db):
    """The tester's set-up: a blind desk that requires assignment, where A and B review
    the article; `ce` is a member there (not assigned it) and the editor of Other desk."""
    world = make_blind_world(requires_assignment=True)
    world.ce = make_user("ce", role="reviewer")
    make_collection("Placeholder", slug="placeholder")  # ids differ from the blind desk's
    world.collection.memberships.create(user=world.ce, role="reviewer")
    world.other = make_collection("Other desk", editors=[world.ce])
    return world


def _add(client, collection, ids):
    url = reverse("collection-articles-add", args=[collection.slug])
    response = client.post(url, {"ids": ids}, follow=True)
    return [str(m) for m in response.context["messages"]]


def _added_events(collection):
    return HistoryEvent.objects.filter(kind="collection", object_id=collection.pk)


def test_an_article_the_editor_cannot_open_is_refused_and_stays_closed(client, world):
    client.force_login(world.ce)
    article = world.article
    assert client.get(reverse("article-detail", args=[article.pk])).status_code == 403
    messages = _add(client, world.other, str(article.pk))
    assert messages == [f"Article #{article.pk}: you may not open it. {REFUSED_TAIL}"]
    assert not world.other.articles.exists()
    assert not _added_events(world.other).exists()
    for name in ("article-detail", "article-history"):
        assert client.get(reverse(name, args=[article.pk])).status_code == 403
    assert client.get(reverse("annotation-detail", args=[world.a_span.pk])).status_code in (
        403,
        404,
    )


def test_a_blind_reviewer_cannot_add_their_own_assignment_to_see_the_others(client, world):
    """B may open the article (assigned) but sees only their own spans there."""
    world.other.memberships.create(user=world.b, role="editor")
    client.force_login(world.b)
    messages = _add(client, world.other, str(world.article.pk))
    assert messages == [
        f"Article #{world.article.pk}: blind mode hides other reviewers' spans on it from "
        f"you. {REFUSED_TAIL}"
    ]
    assert not world.other.articles.exists()
    page = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert f'data-annotation-id="{world.b_span.pk}"' in page
    assert f'data-annotation-id="{world.a_span.pk}"' not in page
    assert A_NOTE not in page
    assert permissions.is_blind_for(world.b, world.article)


def test_one_refused_article_among_allowed_ones_adds_none_and_names_it(client, world):
    free = make_article("An article in no collection at all.")
    client.force_login(world.ce)
    messages = _add(client, world.other, f"{free.pk}, {world.article.pk}")
    assert messages == [f"Article #{world.article.pk}: you may not open it. {REFUSED_TAIL}"]
    assert not world.other.articles.exists()


def test_articles_the_editor_opens_and_sees_in_full_are_added(client, world):
    free = make_article("An article in no collection at all.")
    open_desk = make_collection("Open desk", members=[world.ce])
    shared = make_article("An article of an open desk ce belongs to.")
    open_desk.articles.add(shared)
    client.force_login(world.ce)
    messages = _add(client, world.other, f"{free.pk}, {shared.pk}")
    assert messages == ["2 article(s) added."]
    assert set(world.other.articles.values_list("pk", flat=True)) == {free.pk, shared.pk}


def test_an_editor_of_the_blind_desk_may_add_its_article_elsewhere(world):
    editor = make_user("blind_editor", role="reviewer")
    world.collection.memberships.create(user=editor, role="editor")
    world.other.memberships.create(user=editor, role="editor")
    assert (
        service.articles_add(collection=world.other, article_ids=[world.article.pk], actor=editor)
        == 1
    )


def test_a_global_editor_may_add_any_article(world):
    editor = make_user("global_editor", role="editor")
    assert permissions.collection_article_refusals(editor, [world.article.pk]) == {}
    assert (
        service.articles_add(collection=world.other, article_ids=[world.article.pk], actor=editor)
        == 1
    )


def test_the_service_refuses_as_the_page_does(world):
    with pytest.raises(ValidationError) as caught:
        service.articles_add(collection=world.other, article_ids=[world.article.pk], actor=world.ce)
    assert "you may not open it" in caught.value.messages[0]
    assert not world.other.articles.exists()


def test_an_article_already_in_the_collection_is_no_refusal(world):
    """Adding again what is there changes nothing and refuses nothing."""
    world.other.articles.add(world.article)
    assert (
        service.articles_add(collection=world.other, article_ids=[world.article.pk], actor=world.ce)
        == 0
    )


def test_the_importer_with_no_actor_is_trusted(world):
    assert (
        service.articles_add(collection=world.other, article_ids=[world.article.pk], actor=None)
        == 1
    )


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_refuses_the_same_article_with_the_same_message(client, world):
    """A staff member who may change collections in the admin, but is an editor of Other
    desk only, gets the desk's refusal on the form; nothing is stored."""
    world.ce.is_staff = True
    world.ce.save(update_fields=["is_staff"])
    world.ce.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_collection", "view_collection"])
    )
    client.force_login(world.ce)
    url = reverse("admin:annotations_collection_change", args=[world.other.pk])
    data = collection_admin_form(
        world.other, articles=[world.article], memberships=list(world.other.memberships.all())
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"Article #{world.article.pk}: you may not open it." in response.content.decode()
    assert not world.other.articles.exists()
    assert not _added_events(world.other).exists()


def test_the_admin_adds_an_allowed_article_through_the_service(client, admin_user, world):
    client.force_login(admin_user)
    free = make_article("An article in no collection at all.")
    url = reverse("admin:annotations_collection_change", args=[world.other.pk])
    data = collection_admin_form(
        world.other, articles=[free], memberships=list(world.other.memberships.all())
    )
    assert client.post(url, data).status_code == 302
    assert list(world.other.articles.all()) == [free]
    event = _added_events(world.other).get()
    assert (event.after, event.origin) == ({"articles_added": [free.pk]}, "admin")
