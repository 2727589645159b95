"""Spans that need attention in the admin: listed and filterable, view-only (they are
placed on the attention page), deleted as a discard (with its history)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Annotation, HistoryEvent
from annotations.services.revisions import revise_article
from tests.factories import make_article, make_span


@pytest.fixture
def unplaced(db, reviewer):
    article = make_article("Kept sentence here. Removed sentence there.", title="A")
    make_span(article, "Kept sentence", reviewer)
    gone = make_span(article, "Removed sentence", reviewer)
    revise_article(article=article, title="A", body="Kept sentence here. New end.", actor=None)
    return Annotation.all_objects.get(pk=gone.pk)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_changelist_lists_and_filters_spans_that_need_attention(admin_client, unplaced):
    url = reverse("admin:annotations_annotation_changelist")
    listed = admin_client.get(url).content.decode()
    assert "Removed sentence" in listed and "Kept sentence" in listed
    only = admin_client.get(url, {"needs_attention__exact": "1"}).content.decode()
    assert "Removed sentence" in only and "Kept sentence" not in only


def test_an_unplaced_span_is_view_only(admin_client, unplaced):
    url = reverse("admin:annotations_annotation_change", args=[unplaced.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    admin_client.post(url, {"label": unplaced.label_id, "note": "changed"})
    assert Annotation.all_objects.get(pk=unplaced.pk).note == ""


def test_deleting_it_in_the_admin_is_a_discard_with_history(admin_client, unplaced):
    url = reverse("admin:annotations_annotation_changelist")
    response = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [unplaced.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Annotation.all_objects.filter(pk=unplaced.pk).exists()
    assert HistoryEvent.objects.filter(object_id=unplaced.pk, action="delete").exists()


def test_autocomplete_offers_placed_spans_only(admin_client, unplaced):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "annotations",
            "model_name": "relation",
            "field_name": "from_span",
            "term": "sentence",
        },
    )
    if response.status_code != 200:
        pytest.skip("no span autocomplete in this admin")
    texts = [r["text"] for r in response.json()["results"]]
    assert any("Kept" in t for t in texts)
    assert not any("Removed" in t for t in texts)
