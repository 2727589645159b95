"""The data package format (formats/datapackage.py), handed to its real consumer:
`frictionless` validates the ZIP (types, primary and foreign keys)."""

from __future__ import annotations

import csv
import io
import json
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from annotations.exporters import ExportOptions, export_stream, get_format
from annotations.exporters.query import ExportFilters, export_articles
from annotations.models import Article
from tests.factories import make_annotation, make_article, make_user
from tests.test_exporters import GOLDEN, build_dataset

frictionless = pytest.importorskip("frictionless")

MEMBERS = ["datapackage.json", "articles.csv", "spans.csv", "sources.csv", "relations.csv"]


@pytest.fixture
def dataset(db):
    return build_dataset()


NO_FILTERS = ExportFilters()


def package_bytes(filters: ExportFilters = NO_FILTERS) -> bytes:
    return b"".join(export_stream(get_format("datapackage"), filters, ExportOptions()))


def rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "export.datapackage.zip"
    path.write_bytes(data)
    return path


def test_the_package_holds_four_linked_tables_and_its_descriptor(dataset):
    archive = zipfile.ZipFile(io.BytesIO(package_bytes()))
    assert archive.namelist() == MEMBERS
    articles = rows(archive, "articles.csv")
    spans = rows(archive, "spans.csv")
    assert [int(a["id"]) for a in articles] == [9001, 9002, 9003]
    texts = {int(a["id"]): a["text"] for a in articles}
    assert texts[9001] == dataset["rich"].body  # the exact text, emoji and all
    for span in spans:  # offsets are code points into the article's text
        text = texts[int(span["article_id"])]
        assert text[int(span["start"]) : int(span["end"])] == span["text"]
    assert {int(s["id"]) for s in spans} == {7001, 7002, 7003, 7004, 7005}
    sources = rows(archive, "sources.csv")
    assert [(s["span_id"], s["position"], s["url"]) for s in sources] == [
        ("7001", "1", "https://gov.example/report"),
        ("7001", "2", "https://archive.example/a"),
        ("7004", "1", "https://wire.example/deal"),
    ]
    relations = rows(archive, "relations.csv")
    assert {(r["from_span_id"], r["to_span_id"], r["type"]) for r in relations} == {
        ("7003", "7001", "denies"),
        ("7004", "7003", "responds_to"),
    }
    descriptor = json.loads(archive.read("datapackage.json"))
    spans_schema = next(r for r in descriptor["resources"] if r["name"] == "spans")["schema"]
    start = next(f for f in spans_schema["fields"] if f["name"] == "start")
    assert "code points" in start["description"]
    assert spans_schema["foreignKeys"] == [
        {"fields": "article_id", "reference": {"resource": "articles", "fields": "id"}}
    ]


def test_frictionless_finds_the_package_valid(dataset, tmp_path):
    """Types, required cells, primary keys and every foreign key check out."""
    report = frictionless.validate(str(write(tmp_path, package_bytes())))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 4


def test_a_broken_foreign_key_makes_it_invalid(dataset, tmp_path):
    """The check can fail: a span pointing at an article not in the package."""
    original = zipfile.ZipFile(io.BytesIO(package_bytes()))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for name in original.namelist():
            data = original.read(name)
            if name == "spans.csv":
                data = data.replace(b"\r\n7005,9002,", b"\r\n7005,4242,")
            archive.writestr(name, data)
    report = frictionless.validate(str(write(tmp_path, broken.getvalue())))
    assert not report.valid
    assert {error_type for (error_type,) in report.flatten(["type"])} == {"foreign-key"}


def test_filters_and_the_layer_choose_the_rows(dataset, tmp_path):
    data = package_bytes(ExportFilters(labels=("denial",)))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert [a["id"] for a in rows(archive, "articles.csv")] == ["9001"]
    assert [s["id"] for s in rows(archive, "spans.csv")] == ["7003"]
    # The link 7003 -> 7001 points at a span left out: it is not written, so the
    # package stays valid.
    assert rows(archive, "relations.csv") == []
    assert frictionless.validate(str(write(tmp_path, data))).valid
    gold = zipfile.ZipFile(io.BytesIO(package_bytes(ExportFilters(layer="gold"))))
    assert rows(gold, "articles.csv") == [] and rows(gold, "spans.csv") == []


def test_an_export_of_nothing_is_a_valid_empty_package(db, tmp_path):
    data = package_bytes()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == MEMBERS
    assert rows(archive, "articles.csv") == []
    assert frictionless.validate(str(write(tmp_path, data))).valid


@pytest.mark.parametrize("member", MEMBERS)
def test_each_member_matches_its_golden_file(dataset, member):
    """Set UPDATE_GOLDEN=1 to rewrite them after a deliberate change (then review)."""
    archive = zipfile.ZipFile(io.BytesIO(package_bytes()))
    path = GOLDEN / "datapackage" / member
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(archive.read(member))
    assert archive.read(member) == path.read_bytes()


def peak_allocation(consume) -> int:
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_zip_streams_in_flat_memory(db):
    """300 articles of 20,000 code points each (24 MB as Python strings) stream in
    pieces, and the package adds little to what reading the articles takes (the query
    holds a batch of 500): rows are never all held."""
    author = make_user("streamer")
    body = ("Ein Satz mit Umlauten, 北京 und 😀. " * 600)[:20_000]
    for number in range(300):
        article = make_article(f"{number}. {body}")
        make_annotation(article, 0, 8, author=author)
    sizes = []

    def read_articles():
        for _ in export_articles():
            pass

    def stream_package():
        chunks = export_stream(get_format("datapackage"), ExportFilters(), ExportOptions())
        sizes.extend(len(chunk) for chunk in chunks)

    reading = peak_allocation(read_articles)
    streaming = peak_allocation(stream_package)
    assert Article.objects.count() == 300 and len(sizes) > 3
    assert streaming < reading + 2 * 1024 * 1024, f"{streaming:,} bytes against {reading:,}"


def test_the_download_is_the_zip(client, dataset):
    from django.urls import reverse

    editor = make_user("edna", role="editor")
    client.force_login(editor)
    response = client.get(reverse("export-download"), {"format": "datapackage"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert ".datapackage.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == MEMBERS


def test_rows_come_from_the_shared_query(dataset):
    """The package holds exactly the spans the shared query exports."""
    expected = {span.id for article in export_articles() for span in article.spans}
    archive = zipfile.ZipFile(io.BytesIO(package_bytes()))
    assert {int(s["id"]) for s in rows(archive, "spans.csv")} == expected


def test_the_same_data_gives_the_same_zip_byte_for_byte(dataset, monkeypatch):
    """Every member is dated 1980-01-01 (the descriptor was stamped with the time of the
    export): two exports of the same data, a day apart, are the same bytes."""
    import time
    from types import SimpleNamespace

    first = package_bytes()
    later = time.time() + 86_400
    clock = SimpleNamespace(time=lambda: later, localtime=time.localtime)
    monkeypatch.setattr(zipfile, "time", clock)  # what zipfile stamps a member with
    assert package_bytes() == first
    dates = {
        info.filename: info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()
    }
    assert dates == dict.fromkeys(MEMBERS, (1980, 1, 1, 0, 0, 0))
