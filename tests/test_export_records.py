"""Every export is recorded (annotations/exporters/records.py): who, what, counts, size and
SHA-256 of the very bytes that went out; a stored export downloads again, identically."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.exporters.jobs import export_storage
from annotations.exporters.progress import bar_line
from annotations.exporters.query import ExportFilters, ExportStats, export_summary
from annotations.exporters.records import (
    ExportRequest,
    filters_as_json,
    filters_from_json,
    recorded,
)
from annotations.forms_export import ExportForm
from annotations.models import ExportRecord
from tests.test_exporters import build_dataset


@pytest.fixture
def dataset(db):
    return build_dataset()


@pytest.fixture(autouse=True)
def _exports_in_tmp(exports_in_tmp):
    """Background exports write under this test's tmp_path (tests/conftest.py)."""


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_streamed_download_is_recorded_with_the_bytes_it_sent(editor_client, editor, dataset):
    response = editor_client.get(reverse("export-download"), {"format": "csv", "labels": "claim"})
    assert not ExportRecord.objects.exists()  # recorded when the stream ends, not before
    body = streamed(response)
    record = ExportRecord.objects.get()
    assert record.status == ExportRecord.Status.DONE
    assert record.via == ExportRecord.Via.PAGE
    assert record.created_by == editor
    assert record.format == "csv"
    assert record.filters == {"labels": ["claim"], "layer": "all"}
    assert record.layer == "all"
    assert record.size_bytes == len(body)
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    expected = export_summary(ExportFilters(labels=("claim",)))
    assert (record.articles, record.spans) == (expected["articles"], expected["spans"])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert record.spans == len(rows) - 1  # a row per span, and the header
    assert record.file_name in response["Content-Disposition"]
    assert record.storage_path == ""  # streamed, not stored


def test_a_gzip_download_records_the_compressed_bytes(editor_client, dataset):
    response = editor_client.get(reverse("export-download"), {"format": "jsonl", "gzip": "on"})
    body = streamed(response)
    record = ExportRecord.objects.get()
    lines = gzip.decompress(body).decode().splitlines()
    assert record.options["gzip"] is True
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert record.articles == len(lines)
    assert record.spans == export_summary(ExportFilters())["spans"]


def test_a_stream_closed_early_is_recorded_as_interrupted(db, editor):
    """What the server does when the client goes away: it closes the stream."""
    asked = ExportRequest(
        format="csv",
        filters=ExportFilters(labels=("claim",)),
        form_data={"format": ["csv"], "labels": ["claim"]},
        gzip=False,
        file_name="factcheck-csv-2026-12-02-claim.csv",
        options={"excel": False, "csv_raw": False, "base_url": ""},
    )
    stats = ExportStats(articles=1, spans=2)
    stream = recorded(iter([b"first,", b"second"]), asked, stats, user=editor, via="page")
    assert next(stream) == b"first,"
    assert not ExportRecord.objects.exists()
    stream.close()
    record = ExportRecord.objects.get()
    assert record.status == ExportRecord.Status.INTERRUPTED
    assert record.size_bytes == len(b"first,") and record.sha256 == ""
    assert (record.articles, record.spans, record.created_by) == (1, 2, editor)
    assert record.filters == {"labels": ["claim"], "layer": "all"}


def test_the_export_page_lists_recent_exports(editor_client, dataset):
    streamed(editor_client.get(reverse("export-download"), {"format": "csv", "layer": "gold"}))
    html = editor_client.get(reverse("export")).content.decode()
    record = ExportRecord.objects.get()
    assert "Recent exports" in html
    assert record.sha256[:12] in html
    assert "edith" in html and "gold" in html
    assert "streamed, not stored" in html


def test_a_stored_export_downloads_again_byte_for_byte(editor_client, dataset):
    response = editor_client.get(
        reverse("export-download"), {"format": "jsonl", "background": "on"}
    )
    record = ExportRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export-record", args=[record.pk])
    record.refresh_from_db()
    assert record.status == ExportRecord.Status.DONE, record.error
    first = b"".join(editor_client.get(reverse("export-record-download", args=[record.pk])))
    again = editor_client.get(reverse("export-record-download", args=[record.pk]))
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == first
    assert hashlib.sha256(first).hexdigest() == record.sha256
    assert len(first) == record.size_bytes
    # The same export streamed from the page gives the same bytes.
    streamed_body = streamed(editor_client.get(reverse("export-download"), {"format": "jsonl"}))
    assert streamed_body == first
    html = editor_client.get(reverse("export")).content.decode()
    assert reverse("export-record-download", args=[record.pk]) in html


def test_a_stored_export_whose_file_is_gone_says_so(editor_client, dataset):
    editor_client.get(reverse("export-download"), {"format": "csv", "background": "on"})
    record = ExportRecord.objects.get()
    export_storage().delete(record.storage_path)
    response = editor_client.get(reverse("export-record-download", args=[record.pk]))
    assert response.status_code == 410
    assert "This export&#x27;s file is no longer stored; run it again." in response.content.decode()


def test_a_streamed_export_has_nothing_to_download_again(editor_client, dataset):
    streamed(editor_client.get(reverse("export-download"), {"format": "csv"}))
    record = ExportRecord.objects.get()
    response = editor_client.get(reverse("export-record-download", args=[record.pk]))
    assert response.status_code == 410
    assert "no longer stored" in response.content.decode()


@pytest.mark.parametrize("name", ["export-records", "export-record", "export-record-download"])
def test_reviewers_cannot_see_or_download_exports(reviewer_client, editor, dataset, name):
    record = ExportRecord.objects.create(created_by=editor, format="csv", file_name="x.csv")
    args = [] if name == "export-records" else [record.pk]
    response = reviewer_client.get(reverse(name, args=args))
    assert response.status_code == 403
    assert "Only editors can export datasets" in response.content.decode()


def test_the_records_list_shows_every_export(editor_client, dataset):
    streamed(editor_client.get(reverse("export-download"), {"format": "csv"}))
    streamed(editor_client.get(reverse("export-download"), {"format": "conll"}))
    html = editor_client.get(reverse("export-records")).content.decode()
    assert html.count("export-status-done") == 2
    assert "conll" in html and "csv" in html


def test_the_command_records_its_export_under_the_user(dataset, tmp_path):
    out = tmp_path / "out.jsonl"
    call_command(
        "export_dataset",
        "--format",
        "jsonl",
        "-o",
        str(out),
        "--user",
        "rita",
        stderr=io.StringIO(),
    )
    record = ExportRecord.objects.get()
    body = out.read_bytes()
    assert record.via == ExportRecord.Via.COMMAND
    assert record.created_by.username == "rita"
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert record.size_bytes == len(body)
    assert record.articles == len(body.splitlines())


def test_the_command_without_a_user_records_nobody(dataset, tmp_path):
    stderr = io.StringIO()
    call_command("export_dataset", "-o", str(tmp_path / "a.jsonl"), stderr=stderr)
    assert ExportRecord.objects.get().created_by is None
    assert "[" not in stderr.getvalue()  # no progress bar when stderr is not a terminal


def test_the_command_refuses_an_unknown_user(dataset, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--user: nobody is called “nobody”"):
        call_command("export_dataset", "-o", str(tmp_path / "a.jsonl"), "--user", "nobody")
    assert not ExportRecord.objects.exists()
    assert not (tmp_path / "a.jsonl").exists()


def test_filters_go_to_json_and_back():
    from datetime import date

    filters = ExportFilters(
        labels=("claim",), annotated_from=date(2026, 1, 2), article_ids=(3, 4), layer="gold"
    )
    data = filters_as_json(filters)
    assert data == {
        "labels": ["claim"],
        "annotated_from": "2026-01-02",
        "article_ids": [3, 4],
        "layer": "gold",
    }
    assert filters_from_json(data) == filters


def test_the_progress_bar_line():
    assert bar_line(0, 10, width=10) == "[..........]   0%  0/10 articles"
    assert bar_line(5, 10, width=10) == "[#####.....]  50%  5/10 articles"
    assert bar_line(1_000, 1_000, width=4) == "[####] 100%  1,000/1,000 articles"
    assert bar_line(0, 0, width=2) == "[..]   0%  0/0 articles"


# --- what a record keeps of the request: the cleaned choices, never raw parameters ---------

NUL_QUERIES = [
    "format=jsonl&foo=%00",
    "format=jsonl&%00=1",
    "format=jsonl&gzip=%00",
    "format=csv&csv_raw=%00",
    "format=jsonl&background=on&foo=%00",
    "format=jsonl&background=%00",
]


@pytest.mark.parametrize("query", NUL_QUERIES)
def test_a_nul_in_any_parameter_is_never_a_500_and_the_export_is_recorded(
    editor_client, dataset, query
):
    """PostgreSQL's JSONB refuses \\u0000: the raw request in the record was a 500 when
    preparing in the background, and a streamed download went out unrecorded. The record
    keeps the form's cleaned values alone (an unknown parameter is left out; a box sent
    as NUL is ticked, "on"), so it is always written, on SQLite and PostgreSQL."""
    response = editor_client.get(f"{reverse('export-download')}?{query}")
    assert response.status_code in (200, 302)
    if response.streaming:
        streamed(response)
    record = ExportRecord.objects.get()
    assert record.status == ExportRecord.Status.DONE, record.error
    kept = json.dumps(record.options)
    assert "\\u0000" not in kept and "foo" not in kept
    assert set(record.options["form"]) <= set(ExportForm().fields)


def test_a_box_sent_as_nul_is_ticked_in_the_record_and_in_the_file(editor_client, dataset):
    """A checkbox is ticked by any value: the record says "on", and the file is gzipped
    as the streamed download was."""
    response = editor_client.get(f"{reverse('export-download')}?format=jsonl&gzip=%00")
    body = streamed(response)
    record = ExportRecord.objects.get()
    assert record.options["gzip"] is True
    assert record.options["form"] == {"format": ["jsonl"], "layer": ["all"], "gzip": ["on"]}
    assert gzip.decompress(body)


def test_the_recorded_form_runs_again_as_the_same_export(dataset):
    """ExportForm.submitted() (what a record keeps, what a background job re-runs) gives
    back every field's cleaned value through the form, and covers every field."""
    from annotations.exporters.records import form_data_from_json

    asked = {
        "format": "csv",
        "labels": ["claim", "denial"],
        "status": ["new"],
        "reviewer": "rita",
        "annotated_from": "2020-01-02",
        "annotated_to": "2999-12-31",
        "published_from": "1900-01-01",
        "published_to": "2030-05-06",
        "articles": " 9002, 9001;9001 ",
        "layer": " all ",
        "collection": "",
        "csv_raw": "on",
        "excel": "yes",
        "gzip": "\x00",
        "background": "on",
        "unknown": "\x00",
    }
    form = ExportForm(asked)
    assert form.is_valid(), form.errors
    kept = form.submitted()
    assert set(kept) == set(ExportForm().fields) - {"collection"}  # the empty one left out
    again = ExportForm(form_data_from_json(json.loads(json.dumps(kept))))
    assert again.is_valid(), again.errors
    assert again.filters() == form.filters()
    assert again.options() == form.options()
    assert again.cleaned_data["gzip"] is True and again.submitted() == kept
