"""The admin's writes keep the services' rules: a source moved to another span really
moves, a change form opened before someone else's save is refused with the saved values
(nothing overwritten), and restoring an older deletion is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, Evidence, HistoryEvent
from tests.factories import label, make_span

pytestmark = pytest.mark.django_db

NO_SOURCES = {
    "sources-TOTAL_FORMS": "0",
    "sources-INITIAL_FORMS": "0",
    "sources-MIN_NUM_FORMS": "0",
    "sources-MAX_NUM_FORMS": "1000",
}


create = make_span


def source_form(source, **changes):
    data = {
        "annotation": source.annotation_id,
        "url": source.url,
        "stance": source.stance,
        "title": source.title,
        "publisher": source.publisher,
        "quoted_passage": source.quoted_passage,
        "accessed_on": source.accessed_on.isoformat() if source.accessed_on else "",
        "version": source.version,
        "record_version": source.source.version,
    }
    data.update(changes)
    return data


def test_moving_a_source_to_another_span_saves_it(editor_client, editor, article, reviewer):
    """Choosing another span for a source in its change form moves it there."""
    first = create(article, "Moscow denied it", reviewer)
    second = create(article, "Kirby said", reviewer)
    source = services.source_create(annotation=first, actor=reviewer, url="https://e.org/a")
    url = reverse("admin:annotations_evidence_change", args=[source.pk])
    response = editor_client.post(url, source_form(source, annotation=second.pk))
    assert response.status_code == 302
    assert Evidence.objects.get(pk=source.pk).annotation_id == second.pk


def test_stale_source_form_is_refused_with_the_saved_values(
    editor_client, editor, article, reviewer
):
    """A source changed by someone else after the form was opened: the form comes back
    with an error naming the saved title; the saved title stays."""
    annotation = create(article, "Moscow denied it", reviewer)
    source = services.source_create(annotation=annotation, actor=reviewer, url="https://e.org/a")
    opened = Evidence.objects.select_related("source").get(pk=source.pk)
    services.source_update(source=source, actor=reviewer, title="Saved by the reviewer")
    url = reverse("admin:annotations_evidence_change", args=[source.pk])
    response = editor_client.post(url, source_form(opened, title="Editor's title"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this source" in page and "Saved by the reviewer" in page
    assert Evidence.objects.get(pk=source.pk).title == "Saved by the reviewer"


def test_stale_annotation_form_is_refused_with_the_saved_values(editor_client, article, reviewer):
    """The note was changed after the editor opened the span: the save is refused with
    the saved note shown and the editor's note still in the form; resubmitting applies it."""
    annotation = create(article, "Moscow denied it", reviewer)
    services.annotation_update(annotation=annotation, actor=reviewer, note="Reviewer's note")
    url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
    data = {
        "label": label("claim").pk,
        "speaker": "",
        "note": "Editor's note",
        "version": 1,
        **NO_SOURCES,
    }
    response = editor_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this span" in page
    assert "Reviewer&#x27;s note" in page and "Editor&#x27;s note" in page
    assert Annotation.objects.get(pk=annotation.pk).note == "Reviewer's note"
    again = editor_client.post(url, {**data, "version": 2})
    assert again.status_code == 302
    assert Annotation.objects.get(pk=annotation.pk).note == "Editor's note"


def test_admin_restore_of_an_older_deletion_is_refused(editor_client, article, reviewer):
    """The admin's restore action follows the same rule as the page: an older deletion
    of a span that was restored, edited and deleted again is not restored."""
    annotation = create(article, "Moscow denied it", reviewer)
    first = services.annotation_delete(annotation=annotation, actor=reviewer)
    restored = services.annotation_restore(event=first, actor=reviewer)
    services.annotation_update(annotation=restored, actor=reviewer, note="later edit")
    services.annotation_delete(annotation=restored, actor=reviewer)
    response = editor_client.post(
        reverse("admin:annotations_historyevent_changelist"),
        {"action": "restore_deleted_annotations", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "deleted again later" in response.content.decode()
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    listing = editor_client.get(reverse("admin:annotations_historyevent_changelist"))
    assert listing.status_code == 200
    assert HistoryEvent.objects.filter(action="restore").count() == 1
