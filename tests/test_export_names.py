"""File names (format, day, filter summary), streamed gzip, exports of nothing and formats
whose optional package is missing (annotations/exporters/naming.py, base.py, registry)."""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from annotations.exporters import _registry, get_format
from annotations.exporters.base import gzip_stream
from annotations.exporters.formats import jsonl
from annotations.exporters.naming import MAX_SUMMARY, filter_summary
from annotations.exporters.query import ExportFilters
from tests.test_exporters import build_dataset

EMPTY = "No articles match these filters: the file is empty."


@pytest.fixture
def dataset(db):
    return build_dataset()


def today() -> str:
    return f"{timezone.localdate():%Y-%m-%d}"


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "summary"),
    [
        (ExportFilters(), "all"),
        (ExportFilters(layer="gold", labels=("claim", "denial")), "gold-claim-denial"),
        (ExportFilters(layer="reviewer:rita"), "reviewer-rita"),
        (ExportFilters(statuses=("reviewed",), reviewer="oscar"), "reviewed-by-oscar"),
        (
            ExportFilters(annotated_from=date(2026, 11, 1), annotated_to=date(2026, 11, 30)),
            "annotated-2026-11-01-to-2026-11-30",
        ),
        (ExportFilters(published_from=date(2026, 1, 1)), "published-2026-01-01-to-now"),
        (ExportFilters(article_ids=(12,)), "article-12"),
        (ExportFilters(article_ids=(12, 15, 31)), "3-articles"),
        (ExportFilters(collection="election-desk"), "election-desk"),
    ],
)
def test_the_summary_names_the_filters(filters, summary):
    assert filter_summary(filters) == summary


def test_a_long_summary_is_cut_and_still_tells_filters_apart():
    many = tuple(f"label-number-{n}" for n in range(20))
    first = filter_summary(ExportFilters(labels=many))
    second = filter_summary(ExportFilters(labels=many[:-1]))
    assert len(first) <= MAX_SUMMARY and len(second) <= MAX_SUMMARY
    assert first != second


def test_the_name_carries_format_day_and_summary():
    export_format = get_format("jsonl")
    assert (
        export_format.filename(date(2026, 12, 2), "gold-claim-denial")
        == "factcheck-jsonl-2026-12-02-gold-claim-denial.jsonl"
    )
    assert get_format("csv").filename(date(2026, 12, 2), gzip=True) == (
        "factcheck-csv-2026-12-02-all.csv.gz"
    )


def test_filtered_and_full_downloads_get_different_names(editor_client, dataset):
    full = editor_client.get(reverse("export-download"), {"format": "jsonl"})
    filtered = editor_client.get(
        reverse("export-download"), {"format": "jsonl", "labels": ["claim", "denial"]}
    )
    assert full["Content-Disposition"].endswith(f'factcheck-jsonl-{today()}-all.jsonl"')
    assert filtered["Content-Disposition"].endswith(
        f'factcheck-jsonl-{today()}-claim-denial.jsonl"'
    )


def test_the_page_shows_the_name_the_download_will_have(editor_client, dataset):
    html = editor_client.get(
        reverse("export"), {"format": "csv", "layer": "gold", "gzip": "on"}
    ).content.decode()
    assert f"factcheck-csv-{today()}-gold.csv.gz" in html


def test_the_command_names_the_file_in_a_folder(dataset, tmp_path):
    err = io.StringIO()
    call_command("export_dataset", "--label", "claim", "-o", str(tmp_path), stderr=err)
    [written] = tmp_path.iterdir()
    assert written.name == f"factcheck-jsonl-{today()}-claim.jsonl"
    assert str(written) in err.getvalue()


# --- gzip -------------------------------------------------------------------------------


def test_gzip_stream_decompresses_to_the_same_bytes():
    chunks = ["x" * 70_000, "", "北京 ünïcode\n", "end"]
    assert gzip.decompress(b"".join(gzip_stream(chunks))) == "".join(chunks).encode("utf-8")


def test_a_gzip_download_is_the_same_file_compressed(editor_client, dataset):
    plain = editor_client.get(reverse("export-download"), {"format": "csv"})
    packed = editor_client.get(reverse("export-download"), {"format": "csv", "gzip": "on"})
    assert packed.streaming
    assert packed["Content-Type"] == "application/gzip"
    assert packed["Content-Disposition"].endswith(f'factcheck-csv-{today()}-all.csv.gz"')
    body = b"".join(packed.streaming_content)
    assert body[:2] == b"\x1f\x8b"  # the gzip magic number
    assert gzip.decompress(body) == b"".join(plain.streaming_content)


def test_the_command_gzips_to_a_file(dataset, tmp_path):
    call_command("export_dataset", "--format", "conll", "-o", str(tmp_path / "a.conll"))
    call_command(
        "export_dataset", "--format", "conll", "--gzip", "-o", str(tmp_path), stderr=io.StringIO()
    )
    packed = tmp_path / f"factcheck-conll-{today()}-all.conll.gz"
    assert gzip.decompress(packed.read_bytes()) == (tmp_path / "a.conll").read_bytes()


def test_gzip_to_a_text_stream_is_refused(dataset):
    with pytest.raises(CommandError, match="--gzip: standard output is not a binary stream"):
        call_command("export_dataset", "--gzip", stdout=io.StringIO())


# --- an export of nothing ---------------------------------------------------------------


def test_the_page_says_the_file_will_be_empty(editor_client, dataset):
    html = editor_client.get(reverse("export"), {"status": ["adjudicated"]}).content.decode()
    assert EMPTY in html
    assert EMPTY not in editor_client.get(reverse("export")).content.decode()


@pytest.mark.parametrize(
    ("name", "content"),
    [("jsonl", b""), ("claimreview", b"[]\n"), ("claimreview-jsonl", b""), ("doccano", b"")],
)
def test_an_empty_download_is_a_valid_empty_file(editor_client, dataset, name, content):
    response = editor_client.get(
        reverse("export-download"), {"format": name, "status": ["adjudicated"]}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content


def test_the_command_says_the_file_is_empty(dataset, tmp_path):
    err = io.StringIO()
    target = tmp_path / "none.jsonl"
    call_command("export_dataset", "--status", "adjudicated", "-o", str(target), stderr=err)
    assert target.read_bytes() == b""
    assert EMPTY in err.getvalue()


# --- a format whose optional package is missing -----------------------------------------


@pytest.fixture
def unavailable(monkeypatch):
    fake = dataclasses.replace(
        jsonl.FORMAT,
        name="spacy",
        label="spaCy DocBin",
        extension="spacy",
        available=False,
        requires="pip install factcheck[spacy]",
    )
    monkeypatch.setitem(_registry(), "spacy", fake)
    return fake


def test_the_page_lists_it_as_unavailable_with_the_install_command(
    editor_client, dataset, unavailable
):
    html = editor_client.get(reverse("export")).content.decode()
    assert "spaCy DocBin" in html
    assert "Unavailable: install it with <code>pip install factcheck[spacy]</code>" in html
    assert re.search(r'value="spacy"\s+disabled>', html)


def test_downloading_it_is_a_400_naming_the_install_command(editor_client, dataset, unavailable):
    response = editor_client.get(reverse("export-download"), {"format": "spacy"})
    assert response.status_code == 400
    assert not response.streaming
    assert "run `pip install factcheck[spacy]`" in response.content.decode()


def test_the_command_refuses_it_and_writes_nothing(dataset, unavailable, tmp_path):
    with pytest.raises(CommandError, match=r"needs a package that is not installed: run `pip"):
        call_command("export_dataset", "--format", "spacy", "-o", str(tmp_path / "x.spacy"))
    assert list(tmp_path.iterdir()) == []


def test_get_format_refuses_it_too(unavailable):
    from annotations.exporters import UnavailableFormat

    with pytest.raises(UnavailableFormat, match="factcheck\\[spacy\\]"):
        get_format("spacy")
