"""The Parquet format (formats/parquet.py), read by pyarrow and pandas."""

from __future__ import annotations

import importlib
import io

import pytest

from annotations import exporters
from annotations.exporters import (
    ExportOptions,
    UnavailableFormat,
    all_formats,
    export_stream,
    get_format,
)
from annotations.exporters.formats import parquet as parquet_format
from annotations.exporters.query import ExportFilters
from tests.factories import make_annotation, make_article, make_user
from tests.test_exporters import build_dataset

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

NO_FILTERS = ExportFilters()


@pytest.fixture
def dataset(db):
    return build_dataset()


def parquet_bytes(filters: ExportFilters = NO_FILTERS) -> bytes:
    return b"".join(export_stream(get_format("parquet"), filters, ExportOptions()))


def test_one_row_per_article_with_spans_as_typed_structs(dataset):
    table = pq.read_table(io.BytesIO(parquet_bytes()))
    assert table.num_rows == 3
    spans = table.schema.field("spans").type
    assert pa.types.is_list(spans)
    span = spans.value_type
    assert span.field("start").type == pa.int64() and span.field("end").type == pa.int64()
    assert span.field("id").type == pa.int64()
    assert span.field("verdict").type == pa.string() and span.field("verdict").nullable
    sources = span.field("sources").type
    assert [sources.value_type.field(i).name for i in range(3)] == ["url", "title", "stance"]
    records = table.to_pylist()
    assert [r["id"] for r in records] == [9001, 9002, 9003]
    rich = records[0]
    assert rich["text"] == dataset["rich"].body
    for span in rich["spans"]:  # code points: Python slices give the span's text
        assert rich["text"][span["start"] : span["end"]] == span["text"]
    by_id = {span["id"]: span for span in rich["spans"]}
    assert by_id[7001]["verdict"] == "false" and by_id[7002]["verdict"] is None
    assert [s["url"] for s in by_id[7001]["sources"]] == [
        "https://gov.example/report",
        "https://archive.example/a",
    ]
    assert records[2]["spans"] == []


def test_pandas_reads_it(dataset, tmp_path):
    path = tmp_path / "export.parquet"
    path.write_bytes(parquet_bytes())
    frame = pd.read_parquet(path)
    assert list(frame["id"]) == [9001, 9002, 9003]
    assert frame["published_at"].dt.tz is not None
    assert [len(spans) for spans in frame["spans"]] == [4, 1, 0]


def test_an_export_of_nothing_keeps_the_schema(db):
    table = pq.read_table(io.BytesIO(parquet_bytes()))
    assert table.num_rows == 0
    assert table.schema.equals(parquet_format.schema())


def test_filters_choose_the_rows(dataset):
    table = pq.read_table(io.BytesIO(parquet_bytes(ExportFilters(labels=("denial",)))))
    (record,) = table.to_pylist()
    assert [span["label"] for span in record["spans"]] == ["denial"]


def test_articles_go_in_row_groups(db, monkeypatch):
    """Row groups of ROW_GROUP articles: the writer never holds more than one."""
    monkeypatch.setattr(parquet_format, "ROW_GROUP", 4)
    author = make_user("grouper")
    for number in range(10):
        article = make_article(f"Article {number}: the minister said so.")
        make_annotation(article, 0, 7, author=author)
    chunks = list(export_stream(get_format("parquet"), NO_FILTERS, ExportOptions()))
    metadata = pq.ParquetFile(io.BytesIO(b"".join(chunks))).metadata
    assert metadata.num_rows == 10
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 4, 2]
    assert len(chunks) >= 3  # streamed a row group at a time


def test_without_pyarrow_it_is_listed_unavailable_with_the_install_command(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    try:
        importlib.reload(parquet_format)
        exporters._registry.cache_clear()
        (listed,) = [f for f in all_formats() if f.name == "parquet"]
        assert not listed.available
        assert listed.requires == 'pip install "factcheck[parquet]"'
        with pytest.raises(UnavailableFormat) as error:
            get_format("parquet")
        assert 'pip install "factcheck[parquet]"' in str(error.value)
    finally:
        monkeypatch.undo()
        importlib.reload(parquet_format)
        exporters._registry.cache_clear()
    assert get_format("parquet").available


def test_the_command_writes_the_binary_formats_plain_and_gzipped(dataset, tmp_path):
    """export_dataset writes bytes as they are (and gzips them with --gzip)."""
    import gzip
    import zipfile

    from django.core.management import call_command

    for name, gzipped in (("parquet", False), ("datapackage", False), ("parquet", True)):
        path = tmp_path / f"{name}-{gzipped}.out"
        args = ["--format", name, "--output", str(path)] + (["--gzip"] if gzipped else [])
        call_command("export_dataset", *args, stderr=io.StringIO())
        data = gzip.decompress(path.read_bytes()) if gzipped else path.read_bytes()
        if name == "parquet":
            assert pq.read_table(io.BytesIO(data)).num_rows == 3
        else:
            assert "spans.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
