"""The review page's answers when someone else got there first: a stale edit shows both
versions and keeps what was typed, a deleted span says so, a second restore is a 409,
and a database integrity error is a 409 with a message, never a 500."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, Article, HistoryEvent, Source
from tests.factories import label, make_span

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def annotation(article, reviewer):
    return make_span(article, "Moscow denied it", reviewer)


def post_edit(client, annotation, version, **values):
    data = {
        "edit-label": label("claim").pk,
        "edit-speaker": "",
        "edit-note": "",
        "edit-version": version,
    }
    data.update({f"edit-{k}": v for k, v in values.items()})
    return client.post(reverse("annotation-detail", args=[annotation.pk]), data, **HTMX)


def test_editor_form_carries_the_version(reviewer_client, annotation):
    """The edit form holds the version it was rendered from, as a hidden field."""
    response = reviewer_client.get(reverse("annotation-detail", args=[annotation.pk]), **HTMX)
    assert 'name="edit-version" value="1"' in response.content.decode()


def test_stale_edit_shows_both_versions_and_keeps_what_was_typed(
    reviewer_client, editor, annotation
):
    """The editor changed the note; the reviewer saves a note from the old form: 409, the
    saved note and the reviewer's note are both on the page, the form now carries the
    saved version, and the stored note is the editor's."""
    services.annotation_update(annotation=annotation, actor=editor, note="Editor's note")
    response = post_edit(reviewer_client, annotation, 1, note="Reviewer's note")
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this span" in page
    assert "Editor&#x27;s note" in page and "Reviewer&#x27;s note" in page
    assert "edith" in page
    assert 'name="edit-version" value="2"' in page
    assert Annotation.objects.get(pk=annotation.pk).note == "Editor's note"

    again = post_edit(reviewer_client, annotation, 2, note="Reviewer's note")
    assert again.status_code == 200
    assert Annotation.objects.get(pk=annotation.pk).note == "Reviewer's note"


def test_stale_edit_of_another_field_merges(reviewer_client, editor, annotation):
    """The editor set the note; the reviewer sets the speaker from the old form: both."""
    services.annotation_update(annotation=annotation, actor=editor, note="Checked")
    response = post_edit(reviewer_client, annotation, 1, speaker="Zakharova")
    assert response.status_code == 200
    stored = Annotation.objects.get(pk=annotation.pk)
    assert (stored.speaker.name, stored.note) == ("Zakharova", "Checked")


def test_editing_a_deleted_span_says_it_was_deleted(reviewer_client, editor, annotation):
    """An edit of a span an editor deleted: 409 naming who deleted it; nothing stored."""
    services.annotation_delete(annotation=annotation, actor=editor)
    events = HistoryEvent.objects.count()
    response = post_edit(reviewer_client, annotation, 1, note="late")
    assert response.status_code == 409
    assert "This span was deleted by edith" in response.content.decode()
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    assert HistoryEvent.objects.count() == events


def test_opening_a_deleted_span_says_it_was_deleted(reviewer_client, reviewer, annotation):
    """The editor of a deleted span is not a bare 404 but says it was deleted."""
    services.annotation_delete(annotation=annotation, actor=reviewer)
    response = reviewer_client.get(reverse("annotation-detail", args=[annotation.pk]), **HTMX)
    assert response.status_code == 409
    assert "was deleted by rita" in response.content.decode()


def test_never_existing_span_is_404(reviewer_client):
    """A span id that never existed is a 404."""
    response = reviewer_client.get(reverse("annotation-detail", args=[987654]))
    assert response.status_code == 404


def test_source_for_a_deleted_span_is_a_409(reviewer_client, reviewer, annotation):
    """Adding a source to a span deleted meanwhile: 409 with a message, no source."""
    services.annotation_delete(annotation=annotation, actor=reviewer)
    response = reviewer_client.post(
        reverse("source-create", args=[annotation.pk]),
        {"source-url": "https://example.org/x", "source-stance": "supports"},
        **HTMX,
    )
    assert response.status_code == 409
    assert "deleted" in response.content.decode()
    assert Source.objects.count() == 0


def test_second_restore_is_a_409_with_a_message(reviewer_client, reviewer, annotation):
    """Restore clicked twice: the second answers 409 and changes nothing."""
    deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
    url = reverse("annotation-restore", args=[deletion.pk])
    assert reviewer_client.post(url, **HTMX).status_code == 200
    events = HistoryEvent.objects.count()
    again = reviewer_client.post(url, **HTMX)
    assert again.status_code == 409
    assert "already been restored" in again.content.decode()
    assert HistoryEvent.objects.count() == events


def test_restore_after_the_text_changed_is_a_409_not_a_500(reviewer_client, reviewer, annotation):
    """The body changed so the span's text is gone: a 409 that says so."""
    deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
    Article.objects.filter(pk=annotation.article_id).update(body="Something else.")
    response = reviewer_client.post(reverse("annotation-restore", args=[deletion.pk]), **HTMX)
    assert response.status_code == 409
    assert "cannot be restored" in response.content.decode()
    assert not Annotation.objects.filter(pk=annotation.pk).exists()


def test_integrity_error_is_a_409(reviewer_client, annotation, monkeypatch):
    """Two writes meeting in the database (an IntegrityError) answer 409 with a message."""

    def collide(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "annotation_delete", collide)
    response = reviewer_client.post(reverse("annotation-delete", args=[annotation.pk]), **HTMX)
    assert response.status_code == 409
    assert "nothing was saved" in response.content.decode()
    page = reviewer_client.post(reverse("annotation-delete", args=[annotation.pk]))
    assert page.status_code == 409
    assert "Conflict" in page.content.decode()


def test_delete_button_follows_the_delete_permission(reviewer_client, reviewer, annotation):
    """A reviewer whose group lost delete_annotation sees no Delete button and gets a
    403 from the endpoint; the span stays."""
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="Reviewers").permissions.remove(
        Permission.objects.get(codename="delete_annotation")
    )
    page = reviewer_client.get(reverse("annotation-detail", args=[annotation.pk])).content.decode()
    assert "Delete span" not in page
    response = reviewer_client.post(reverse("annotation-delete", args=[annotation.pk]), **HTMX)
    assert response.status_code == 403
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_a_row_vanishing_mid_request_is_a_409(reviewer_client, annotation, monkeypatch):
    """A span read after the view's check but deleted in between (DoesNotExist escaping a
    view) answers 409 with a message, never a 500."""

    def vanished(**kwargs):
        raise Annotation.DoesNotExist("Annotation matching query does not exist.")

    monkeypatch.setattr(services, "annotation_delete", vanished)
    response = reviewer_client.post(reverse("annotation-delete", args=[annotation.pk]), **HTMX)
    assert response.status_code == 409
    assert "deleted in the meantime" in response.content.decode()
