"""The export page and the download (annotations/views/export.py)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.test_exporters import GOLDEN, build_dataset


@pytest.fixture
def dataset(db):
    return build_dataset()


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    """Anonymous users see only the login page."""
    for name in ("export", "export-download"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["export", "export-download"])
def test_a_reviewer_cannot_open_the_page_or_download(reviewer_client, dataset, name):
    """Reviewers lack annotations.export_dataset: both URLs answer 403 with a reason."""
    response = reviewer_client.get(reverse(name), {"format": "jsonl"})
    assert response.status_code == 403
    assert "Only editors can export datasets" in response.content.decode()


def test_the_page_lists_formats_filters_and_counts(editor_client, dataset):
    """An editor sees every format with its description and unit, the filters, and the
    counts of what an export would contain, before downloading anything."""
    response = editor_client.get(reverse("export"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in (
        "Factcheck JSONL",
        "CSV (one span a row)",
        "W3C Web Annotation",
        "schema.org ClaimReview",
        "doccano JSONL",
        "Label Studio JSON",
        "CoNLL IOB2",
    ):
        assert label in html
    assert "UTF-16 code units (JavaScript string indices)" in html
    assert 'hx-get="/export/"' in html and 'hx-trigger="change"' in html
    assert "<strong>3</strong> articles" in html and "<strong>5</strong> spans" in html
    assert f"factcheck-{timezone.localdate():%Y-%m-%d}.jsonl" in html
    assert 'aria-current="page"' in html  # the Export tab in the top bar


def test_the_summary_partial_follows_the_filters(editor_client, dataset):
    """An htmx request (HX-Request) gets only the summary region, counted for its filters."""
    response = editor_client.get(
        reverse("export"), {"format": "csv", "labels": ["denial"]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="export-summary"')
    assert "<html" not in html
    assert "<strong>1</strong> article," in html and "<strong>1</strong> span" in html
    assert f"factcheck-{timezone.localdate():%Y-%m-%d}.csv" in html


def test_an_invalid_filter_in_the_summary_is_shown_not_counted(editor_client, dataset):
    """htmx swaps only 2xx: the summary comes back with 200 and the error, and no counts."""
    response = editor_client.get(
        reverse("export"),
        {"annotated_from": "2026-11-30", "annotated_to": "2026-11-01"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The annotation range ends before it starts." in html
    assert "<strong>" not in html


def test_a_bad_filter_on_the_page_is_a_400_with_the_message(editor_client, dataset):
    """A full page with a bad filter is the form again, with its error, status 400."""
    response = editor_client.get(reverse("export"), {"labels": ["rumour"]})
    assert response.status_code == 400
    assert "There is no label “rumour”" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "xml"}, "Unknown export format “xml”. Known formats: jsonl, csv"),
        ({"annotated_from": "someday"}, "Enter a valid date."),
        ({"articles": "404"}, "No article with id 404."),
    ],
)
def test_a_bad_download_is_the_form_with_errors_not_a_500(editor_client, dataset, params, message):
    """Invalid filters on the download URL re-render the page with errors (400)."""
    response = editor_client.get(reverse("export-download"), params)
    assert response.status_code == 400
    assert not response.streaming
    assert message in response.content.decode()


def test_an_editor_downloads_a_streamed_jsonl_file(editor_client, dataset):
    """The download streams (StreamingHttpResponse), is named factcheck-<date>.jsonl as an
    attachment, has the JSONL media type and exactly the golden content."""
    response = editor_client.get(reverse("export-download"), {"format": "jsonl"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="factcheck-{timezone.localdate():%Y-%m-%d}.jsonl"'
    )
    assert body_of(response) == (GOLDEN / "dataset.jsonl").read_bytes().decode("utf-8")


def test_the_download_reads_the_data_only_while_streaming(editor_client, dataset):
    """The view returns before any article, span or source is read: the rows are fetched
    as the body is sent, so the file is never built in memory."""
    with CaptureQueriesContext(connection) as before:
        response = editor_client.get(reverse("export-download"), {"format": "csv"})
    data_tables = ('"annotations_article"', '"annotations_annotation"', '"annotations_source"')
    assert not [q for q in before.captured_queries if any(t in q["sql"] for t in data_tables)]
    with CaptureQueriesContext(connection) as during:
        content = body_of(response)
    assert len(during.captured_queries) == 3
    assert content.splitlines()[0].startswith("article_id,article_title,span_id")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_the_download_filters_like_the_page(editor_client, dataset):
    """Filters in the query string apply to the file, and JSON-LD ids link to this site."""
    response = editor_client.get(
        reverse("export-download"), {"format": "w3c", "labels": ["claim"], "reviewer": "rita"}
    )
    assert response["Content-Type"].startswith("application/ld+json")
    assert response["Content-Disposition"].endswith('.w3c.jsonld"')
    items = json.loads(body_of(response))["first"]["items"]
    assert [item["id"] for item in items] == [
        "http://testserver/annotations/7001/",
        "http://testserver/annotations/7004/",
    ]


def test_an_admin_can_export(client, admin_user, dataset):
    """Superusers hold every permission, export included."""
    client.force_login(admin_user)
    assert client.get(reverse("export")).status_code == 200
