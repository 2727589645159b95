"""The CSV for Excel (UTF-8 BOM, CRLF) and its numbered source columns
(annotations/exporters/formats/csv.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.exporters.formats import csv as csv_format
from annotations.exporters.query import ExportFilters
from tests.factories import make_source
from tests.test_exporters import build_dataset, export_text

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def dataset(db):
    return build_dataset()


def download(client, **params) -> bytes:
    response = client.get(reverse("export-download"), {"format": "csv", **params})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_for_excel_the_file_starts_with_a_bom_and_rows_end_in_crlf(editor_client, dataset):
    """Excel reads UTF-8 only after a byte-order mark; every record ends in CRLF (a line
    break inside a quoted cell stays as it was written)."""
    body = download(editor_client, excel="on")
    assert body.startswith(BOM) and not body[3:].startswith(BOM)
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert text.endswith("\r\n")
    assert text.count("\r\n") == len(rows)  # one CRLF per record...
    in_cells = sum(cell.count("\n") for row in rows for cell in row)
    assert in_cells > 0  # the dataset has a context running over a line break
    assert text.count("\n") - text.count("\r\n") == in_cells  # ...and no bare LF between them


def test_curly_quotes_and_cjk_read_back_with_utf8_sig(editor_client, dataset):
    body = download(editor_client, excel="on")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0]["article_title"] == "Bridge “safe”, minister says"
    assert rows[2]["text"] == "北京 officials denied it"
    assert rows[3]["text"] == "no x\u0302 deal was signed"
    assert next(iter(rows[0])) == "article_id"  # the BOM is not part of the first name


def test_without_the_option_there_is_no_bom(editor_client, dataset):
    body = download(editor_client)
    assert not body.startswith(BOM)
    assert body.decode("utf-8") == export_text("csv")


def test_sources_are_numbered_columns_up_to_the_most_any_span_has(dataset):
    """Six columns a source, as many sources as the span with the most; a filter that
    leaves no source leaves no source column."""
    header = export_text("csv").splitlines()[0].split(",")
    assert header[-13:] == [
        *(f"source_1_{name}" for name in csv_format.SOURCE_FIELDS),
        *(f"source_2_{name}" for name in csv_format.SOURCE_FIELDS),
        "more_sources",
    ]
    denials = export_text("csv", ExportFilters(labels=("denial",))).splitlines()[0]
    assert "source_1_url" not in denials and denials.endswith(",created_at,more_sources")


def test_the_number_of_columns_is_one_aggregate_query(dataset, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert csv_format.most_sources(ExportFilters()) == 2
    with django_assert_num_queries(1):
        assert csv_format.most_sources(ExportFilters(labels=("denial",))) == 0


def test_sources_past_the_cap_go_to_more_sources_as_json(dataset, monkeypatch):
    """Above MAX_SOURCE_COLUMNS the rest of a span's sources are a JSON array in the last
    column: nothing is lost."""
    monkeypatch.setattr(csv_format, "MAX_SOURCE_COLUMNS", 1)
    make_source(
        dataset["bridge"], "https://third.example/", id=5009, title="Third", stance="context"
    )
    rows = list(csv.DictReader(io.StringIO(export_text("csv"), newline="")))
    bridge = next(r for r in rows if r["span_id"] == "7001")
    assert bridge["source_1_url"] == "https://gov.example/report"
    assert "source_2_url" not in bridge
    assert [s["url"] for s in json.loads(bridge["more_sources"])] == [
        "https://archive.example/a",
        "https://third.example/",
    ]


def test_an_export_of_nothing_is_the_header_alone(dataset):
    text = export_text("csv", ExportFilters(statuses=("adjudicated",)))
    assert text == ",".join(csv_format.header(0)) + "\r\n"


def test_the_command_writes_for_excel(dataset, tmp_path):
    target = tmp_path / "out.csv"
    call_command(
        "export_dataset", "--format", "csv", "--excel", "-o", str(target), stderr=io.StringIO()
    )
    data = target.read_bytes()
    assert data.startswith(BOM)
    assert data[3:].decode("utf-8") == export_text("csv")
