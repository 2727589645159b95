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
    assert f"factcheck-jsonl-{timezone.localdate():%Y-%m-%d}-all.jsonl" in html
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
    assert f"factcheck-csv-{timezone.localdate():%Y-%m-%d}-denial.csv" in html


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
    """The download streams (StreamingHttpResponse), is named factcheck-jsonl-<date>-all.jsonl
    as an attachment, has the JSONL media type and exactly the golden content."""
    response = editor_client.get(reverse("export-download"), {"format": "jsonl"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="factcheck-jsonl-{timezone.localdate():%Y-%m-%d}-all.jsonl"'
    )
    assert body_of(response) == (GOLDEN / "dataset.jsonl").read_bytes().decode("utf-8")


def test_the_download_reads_the_data_only_while_streaming(editor_client, dataset):
    """The view returns before any article, span or source is read: the rows are fetched
    as the body is sent, so the file is never built in memory."""
    with CaptureQueriesContext(connection) as before:
        response = editor_client.get(reverse("export-download"), {"format": "csv"})
    data_tables = (
        '"annotations_article"',
        '"annotations_annotation"',
        '"annotations_evidence"',
        '"annotations_source"',
        '"annotations_relation"',
    )
    assert not [q for q in before.captured_queries if any(t in q["sql"] for t in data_tables)]
    with CaptureQueriesContext(connection) as during:
        content = body_of(response)
    # The most sources on one span (the numbered columns); articles; spans; sources; and,
    # once the stream ends, the export's record (exporters/records.py).
    reads = [q for q in during.captured_queries if not q["sql"].startswith("INSERT")]
    assert len(reads) == 4
    writes = [q["sql"] for q in during.captured_queries if q["sql"].startswith("INSERT")]
    assert len(writes) == 1 and '"annotations_exportrecord"' in writes[0]
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


# --- hostile filters: refused before the download starts --------------------------------

OUT_OF_RANGE = "Enter a day from 1900-01-01 to 2999-12-31; "
HOSTILE_FILTERS = [
    ({"annotated_to": "9999-12-31"}, "Annotated until: " + OUT_OF_RANGE + "9999-12-31 is outside"),
    ({"published_to": "9999-12-31"}, "Published until: " + OUT_OF_RANGE + "9999-12-31 is outside"),
    ({"annotated_from": "0001-01-01"}, "Annotated from: " + OUT_OF_RANGE + "0001-01-01 is outside"),
    ({"published_from": "0001-01-01"}, "Published from: " + OUT_OF_RANGE + "0001-01-01 is outside"),
    ({"published_from": "0000-00-00"}, "Published from: Enter a valid date."),
    (
        {"articles": "99999999999999999999"},
        "Article ids go from 1 to 9223372036854775807 (the database&#x27;s id range); "
        "“99999999999999999999” is not one.",
    ),
    ({"articles": "0"}, "Article ids go from 1 to 9223372036854775807"),
    ({"articles": "1" * 10_000}, "“" + "1" * 39 + "…” is not one."),
    ({"articles": "²"}, "Article ids are whole numbers separated by commas; “²” is not."),
    ({"reviewer": "ri\x00ta"}, "A reviewer&#x27;s name cannot contain control characters"),
    ({"labels": ["claim\x00"]}, "Labels cannot contain control characters (such as NUL)."),
]


@pytest.mark.parametrize(("params", "message"), HOSTILE_FILTERS)
def test_a_filter_the_database_cannot_hold_is_a_400_page_not_a_broken_stream(
    editor_client, dataset, params, message
):
    """A day outside 1900-01-01..2999-12-31, an id outside 1..2**63-1 or a control
    character never reaches a query: the download is the form again (400, not a stream,
    no file), with a message naming the field and the allowed range."""
    response = editor_client.get(reverse("export-download"), {"format": "csv", **params})
    assert response.status_code == 400
    assert not response.streaming
    assert "Content-Disposition" not in response
    assert message in response.content.decode()


@pytest.mark.parametrize(("params", "message"), HOSTILE_FILTERS[:6])
def test_the_page_shows_the_same_errors_in_the_form(editor_client, dataset, params, message):
    """The export page itself answers 400 with the error by the field, and its htmx
    summary answers 200 with the error instead of counts."""
    page = editor_client.get(reverse("export"), params)
    assert page.status_code == 400
    assert message in page.content.decode()
    summary = editor_client.get(reverse("export"), params, headers={"HX-Request": "true"})
    assert summary.status_code == 200
    assert message in summary.content.decode()
    assert "<strong>" not in summary.content.decode()


def test_the_widest_allowed_range_downloads(editor_client, dataset):
    """1900-01-01 to 2999-12-31 is accepted and the whole file streams."""
    response = editor_client.get(
        reverse("export-download"),
        {
            "annotated_from": "1900-01-01",
            "annotated_to": "2999-12-31",
            "published_to": "2999-12-31",
        },
    )
    assert response.status_code == 200
    assert [json.loads(line)["id"] for line in body_of(response).splitlines()] == [9001, 9002]


def test_the_csv_is_spreadsheet_safe_unless_raw_cells_are_ticked(editor_client, dataset):
    """The download neutralises formulas by default; the page's "Raw CSV cells" box
    (csv_raw) gives the stored text back exactly."""
    from annotations.models import Speaker

    Speaker.objects.filter(annotations=7001).update(name="=HYPERLINK(1)")
    page = editor_client.get(reverse("export"))
    assert 'name="csv_raw"' in page.content.decode()
    safe = body_of(editor_client.get(reverse("export-download"), {"format": "csv"}))
    raw = body_of(editor_client.get(reverse("export-download"), {"format": "csv", "csv_raw": "on"}))
    assert ",'=HYPERLINK(1)," in safe and ",=HYPERLINK(1)," not in safe
    assert ",=HYPERLINK(1)," in raw
