"""The Parquet format (formats/parquet.py, written by formats/_parquet_writer.py), read by
pyarrow and pandas."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from annotations import exporters
from annotations.exporters import (
    ExportOptions,
    all_formats,
    export_stream,
    get_format,
)
from annotations.exporters.formats import parquet as parquet_format
from annotations.exporters.query import (
    ExportArticle,
    ExportFilters,
    ExportSource,
    ExportSpan,
    ExportVerdict,
)
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
    """Row groups of ROW_GROUP articles at most: the writer never holds more than one."""
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


def test_it_is_available_without_pyarrow(monkeypatch):
    """The file is written with the standard library: the format is listed and exports
    though pyarrow cannot be imported."""
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` fails
    try:
        importlib.reload(parquet_format)
        exporters._registry.cache_clear()
        (listed,) = [f for f in all_formats() if f.name == "parquet"]
        assert listed.available and not listed.requires
        article = ExportArticle(1, "T", "Bridge", "", None, "", "", "new", [])
        data = b"".join(parquet_format.render(iter([article]), ExportOptions()))
    finally:
        monkeypatch.undo()
        importlib.reload(parquet_format)
        exporters._registry.cache_clear()
    assert pq.read_table(io.BytesIO(data)).to_pylist()[0]["text"] == "Bridge"


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


def test_row_groups_close_at_group_bytes(db, monkeypatch):
    """A group is sized by its data, not its rows: articles of 1,000 to 2,000 bytes
    close a group of 2,000 bytes every second article, though ROW_GROUP is far off."""
    monkeypatch.setattr(parquet_format, "GROUP_BYTES", 2_000)
    for number in range(9):
        make_article(f"{number} " + "x" * 998)
    metadata = pq.ParquetFile(io.BytesIO(parquet_bytes())).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
        2,
        2,
        2,
        2,
        1,
    ]


def span(number: int, text: str, start: int, **fields) -> ExportSpan:
    end = start + 4
    values = {
        "id": number,
        "start": start,
        "end": end,
        "text": text[start:end],
        "label": "claim" if number % 2 else "denial",
        "label_name": "Claim",
        "speaker": "" if number % 3 else "北京 officials",
        "note": "",
        "annotator": "rita",
        "created_at": f"2026-11-19T08:00:{number % 60:02d}.{number:06d}+00:00",
    }
    return ExportSpan(**(values | fields))


def unusual_articles() -> list[ExportArticle]:
    """Rows with every kind of null and empty: no date, a naive date, no spans, no
    verdict, a verdict without a rating, no sources and several; more than 8 of each so
    that the validity bitmaps span several bytes."""
    articles = []
    for number in range(21):
        text = f"{number}: Officials in 北京 denied 😀 x\u0302 it. " * (1 + number % 4)
        spans = []
        for k in range(number % 5):
            verdict = None
            if k % 3 == 1:
                verdict = ExportVerdict("Default", "false", "False", 1, "why", "rita", None)
            elif k % 3 == 2:  # an explanation given before the rating was chosen
                verdict = ExportVerdict(None, None, None, None, "why", "rita", None)
            sources = [
                ExportSource(f"https://s.example/{number}/{i}", f"T{i}", "", "supports", "", None)
                for i in range(k)
            ]
            spans.append(span(number * 10 + k, text, k, verdict=verdict, sources=sources))
        published = None
        if number % 3 == 1:
            published = datetime(2026, 1, number + 1, 9, 30, tzinfo=UTC)
        elif number % 3 == 2:
            published = datetime(2025, 12, number + 1, 23, 59, 59, 999999)  # naive
        articles.append(
            ExportArticle(
                id=number + 1,
                title=f"Title {number}" if number % 4 else "",
                text=text,
                author="Jane Doe" if number % 2 else "",
                published_at=published,
                source_url=f"https://news.example/{number}",
                publisher="Daily Example",
                status="reviewed",
                spans=spans,
            )
        )
    return articles


def as_pyarrow_would(article: ExportArticle) -> dict:
    """The row as the format used to hand it to `pa.Table.from_pylist`."""
    return {
        "id": article.id,
        "title": article.title,
        "text": article.text,
        "author": article.author,
        "published_at": article.published_at,
        "source_url": article.source_url,
        "publisher": article.publisher,
        "status": article.status,
        "offset_unit": "python_code_point",
        "spans": [
            {
                "id": s.id,
                "start": s.start,
                "end": s.end,
                "label": s.label,
                "text": s.text,
                "speaker": s.speaker,
                "annotator": s.annotator,
                "note": s.note,
                "created_at": datetime.fromisoformat(s.created_at),
                "verdict": s.verdict.slug if s.verdict else None,
                "verdict_name": s.verdict.name if s.verdict else None,
                "verdict_value": s.verdict.value if s.verdict else None,
                "sources": [
                    {"url": x.url, "title": x.title, "stance": x.stance} for x in s.sources
                ],
            }
            for s in article.spans
        ],
    }


def test_the_columns_hold_what_pyarrow_makes_of_the_rows(monkeypatch):
    """The arrays built from buffers equal pyarrow's own conversion of the same rows,
    nulls, naive dates and row group boundaries included."""
    monkeypatch.setattr(parquet_format, "GROUP_BYTES", 1_500)
    articles = unusual_articles()
    data = b"".join(parquet_format.render(iter(articles), ExportOptions()))
    table = pq.read_table(io.BytesIO(data))
    expected = pa.Table.from_pylist(
        [as_pyarrow_would(a) for a in articles], schema=parquet_format.schema()
    )
    assert pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups > 3
    assert table.schema.equals(expected.schema, check_metadata=False)
    assert table.to_pylist() == expected.to_pylist()
    assert table.equals(expected)


def test_columns_carry_statistics_but_free_text_no_min_max(dataset):
    """Every column chunk has its null count; the short columns their least and greatest
    value (what readers skip row groups by); the article's text, a span's text and its
    note no min/max (long, and no reader filters on them)."""
    data = parquet_bytes()
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
    columns = {metadata.column(i).path_in_schema: metadata.column(i) for i in range(24)}
    assert metadata.num_columns == len(columns) == 24
    for path in ("text", "spans.list.element.text", "spans.list.element.note"):
        assert columns[path].is_stats_set and not columns[path].statistics.has_min_max
        assert columns[path].statistics.null_count == 0
    rows = pq.read_table(io.BytesIO(data)).to_pylist()
    spans = [span for row in rows for span in row["spans"]]
    expected = {
        "id": [row["id"] for row in rows],
        "title": [row["title"] for row in rows],
        "published_at": [row["published_at"] for row in rows if row["published_at"]],
        "spans.list.element.label": [span["label"] for span in spans],
        "spans.list.element.start": [span["start"] for span in spans],
        "spans.list.element.created_at": [span["created_at"] for span in spans],
    }
    for path, values in expected.items():
        statistics = columns[path].statistics
        assert statistics.has_min_max, path
        assert (statistics.min, statistics.max) == (min(values), max(values)), path
    published = columns["published_at"].statistics
    assert published.null_count == sum(1 for row in rows if row["published_at"] is None)
    verdicts = [span["verdict"] for span in spans]
    assert columns["spans.list.element.verdict"].statistics.null_count == verdicts.count(None)


def test_an_export_imports_neither_pyarrow_nor_numpy(tmp_path):
    """In a fresh interpreter: writing the file needs none of pyarrow (~95 MB of RSS to
    import), numpy or pandas."""
    script = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings_test")
django.setup()
from annotations.exporters.base import ExportOptions
from annotations.exporters.formats import parquet
from annotations.exporters.query import ExportArticle, ExportSpan
spans = [ExportSpan(1, 0, 4, "Brid", "claim", "Claim", "", "", "rita", "2026-01-01T00:00:00+00:00")]
article = ExportArticle(1, "T", "Bridge", "", None, "", "", "new", spans)
data = b"".join(parquet.render(iter([article]), ExportOptions()))
print(data[:4] == data[-4:] == b"PAR1", *(m in sys.modules for m in ("pyarrow", "numpy", "pandas")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"FACTCHECK_VAR_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "False", "False"]
