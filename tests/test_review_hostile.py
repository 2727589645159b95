"""Hostile values in the review page's forms, one field at a time (the URL walker sends
them all at once): each is a 4xx with a message, nothing is stored, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, HistoryEvent, Source
from tests.factories import label

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HUGE = "9" * 30


def stored():
    return (
        list(Annotation.objects.order_by("pk").values()),
        list(Source.objects.order_by("pk").values()),
        HistoryEvent.objects.count(),
    )


@pytest.fixture
def annotation(article, reviewer):
    start = article.body.index("Moscow")
    return services.annotation_create(
        article=article,
        label=label("claim"),
        start=start,
        end=start + 6,
        quote="Moscow",
        author=reviewer,
    )


@pytest.mark.parametrize(
    "override",
    [
        {"start": "-1"},
        {"end": HUGE},
        {"start": HUGE, "end": HUGE},
        {"start": "1e3"},
        {"quote": "Mos\x00cow"},
        {"quote": "x" * 10_000},
        {"label": "claim\x00"},
        {"label": HUGE},
        {"label": ["claim", "denial"], "start": ["0", "1"]},
    ],
)
def test_hostile_span_fields(reviewer_client, article, annotation, override):
    """A bad offset, quote or label is refused with a 400 and a message; nothing stored."""
    start = article.body.index("Kirby")
    data = {"label": "claim", "start": start, "end": start + 5, "quote": "Kirby", **override}
    before = stored()
    response = reviewer_client.post(reverse("annotation-create", args=[article.pk]), data, **HTMX)
    assert 400 <= response.status_code < 500, response.status_code
    assert response.content.strip()
    assert stored() == before


@pytest.mark.parametrize(
    "override",
    [
        {"edit-version": "0"},
        {"edit-version": HUGE},
        {"edit-version": "abc"},
        {"edit-label": HUGE},
        {"edit-label": "-1"},
        {"edit-speaker": "x" * 10_000},
        {"edit-speaker": "Kir\x00by"},
        {"edit-note": "a\x00b"},
    ],
)
def test_hostile_edit_fields(reviewer_client, annotation, override):
    """A bad version, label, speaker or note is a form error (422), nothing stored."""
    data = {
        "edit-label": label("claim").pk,
        "edit-speaker": "",
        "edit-note": "",
        "edit-version": "1",
        **override,
    }
    before = stored()
    url = reverse("annotation-detail", args=[annotation.pk])
    response = reviewer_client.post(url, data, **HTMX)
    assert response.status_code == 422, response.status_code
    assert 'class="errorlist' in response.content.decode()
    assert stored() == before


@pytest.mark.parametrize(
    "override",
    [
        {"source-url": "javascript:alert(1)"},
        {"source-url": "https://e.org/" + "x" * 3000},
        {"source-title": "t" * 10_000},
        {"source-stance": "maybe"},
        {"source-accessed_on": "9999-99-99"},
        {"source-quoted_passage": "a\x00b"},
    ],
)
def test_hostile_source_fields(reviewer_client, annotation, override):
    """A bad source field is a form error (422) keeping what was typed; nothing stored."""
    data = {"source-url": "https://example.org/r", "source-stance": "supports", **override}
    before = stored()
    url = reverse("source-create", args=[annotation.pk])
    response = reviewer_client.post(url, data, **HTMX)
    assert response.status_code == 422, response.status_code
    assert stored() == before


@pytest.mark.parametrize("status", ["done", "", "x" * 10_000, "new\x00"])
def test_hostile_status(reviewer_client, article, status):
    """An unknown status is a 400; the article keeps its status."""
    response = reviewer_client.post(
        reverse("article-status", args=[article.pk]), {"status": status}, **HTMX
    )
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.status == "new"
