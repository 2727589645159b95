"""The data package imports back (importers/datapackage.py): export, import into an
empty database, export again gives the same tables apart from ids."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.exporters import ExportOptions, export_stream, get_format
from annotations.exporters.query import ExportFilters
from annotations.importers.datapackage import is_datapackage, parse_package, read_package
from annotations.importers.service import store_read
from annotations.models import Annotation, Article, Evidence, Relation, Source
from annotations.offsets import canonical_text
from tests.factories import make_annotation, make_article, make_user
from tests.test_exporters import build_dataset

# Ids are the database's, so they change on import; the links between tables are
# compared through the rows they point at instead.
ID_COLUMNS = {
    "articles.csv": ("id",),
    "spans.csv": ("id", "article_id"),
    "sources.csv": ("span_id",),
    "relations.csv": ("from_span_id", "to_span_id"),
}


def package() -> bytes:
    return b"".join(export_stream(get_format("datapackage"), ExportFilters(), ExportOptions()))


def tables(data: bytes) -> dict[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
        for name in ID_COLUMNS
    }


def without_ids(data: bytes) -> dict[str, list]:
    """Each table's rows with ids replaced by what they name (an article's title, a
    span's article title and offsets), sorted: the same data whatever the ids."""
    found = tables(data)
    titles = {row["id"]: row["title"] for row in found["articles.csv"]}
    spans = {
        row["id"]: (titles[row["article_id"]], row["start"], row["end"], row["label"])
        for row in found["spans.csv"]
    }
    named = {
        "articles.csv": [{**row, "id": row["title"]} for row in found["articles.csv"]],
        "spans.csv": [
            {**row, "id": spans[row["id"]], "article_id": titles[row["article_id"]]}
            for row in found["spans.csv"]
        ],
        "sources.csv": [{**row, "span_id": spans[row["span_id"]]} for row in found["sources.csv"]],
        "relations.csv": [
            {
                **row,
                "from_span_id": spans[row["from_span_id"]],
                "to_span_id": spans[row["to_span_id"]],
            }
            for row in found["relations.csv"]
        ],
    }
    return {name: sorted(map(repr, rows)) for name, rows in named.items()}


def empty_the_database() -> None:
    """No article, span, source or link left (users, labels and scales stay: the import
    finds annotators and verdicts by name)."""
    Relation.objects.all().delete()
    Evidence.objects.all().delete()
    Annotation.all_objects.all().delete()
    Source.objects.all().delete()
    Article.objects.all().delete()


@pytest.mark.django_db
def test_export_import_export_gives_the_same_tables_but_for_ids():
    build_dataset()
    first = package()
    assert is_datapackage(first)
    empty_the_database()
    assert not Article.objects.exists()
    result = store_read(read_package("export.datapackage.zip", first))
    assert not result.reason, result.reason
    assert len(result.created) == 3
    second = package()
    assert without_ids(second) == without_ids(first)
    # and the ids did change: the comparison above is not comparing a file to itself
    assert tables(second)["articles.csv"][0]["id"] != "9001"


@pytest.mark.django_db
def test_a_span_of_an_article_not_in_the_package_refuses_the_file():
    build_dataset()
    original = zipfile.ZipFile(io.BytesIO(package()))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for name in original.namelist():
            data = original.read(name)
            if name == "spans.csv":
                data = data.replace(b"\r\n7005,9002,", b"\r\n7005,4242,")
            archive.writestr(name, data)
    count = Article.objects.count()
    read = read_package("broken.zip", broken.getvalue())
    assert read.reason == "spans.csv names article 4242, which articles.csv lacks."
    assert store_read(read).reason == read.reason
    assert Article.objects.count() == count  # nothing stored


@pytest.mark.django_db
def test_a_span_off_its_text_refuses_its_article_only():
    build_dataset()
    original = zipfile.ZipFile(io.BytesIO(package()))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for name in original.namelist():
            data = original.read(name)
            if name == "spans.csv":  # the budget claim's end moved past its quote
                data = data.replace(b"\r\n7005,9002,15,37,", b"\r\n7005,9002,15,38,")
            archive.writestr(name, data)
    result = parse_package(broken.getvalue())
    assert [record.title for record in result.records] == [
        "Bridge “safe”, minister says",
        "Nothing here",
    ]
    ((row, reason),) = result.refused
    assert row == 3 and reason.startswith("articles.csv row 3: span 1: [15, 38)")


def test_a_zip_of_other_files_is_not_a_data_package():
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("articles.csv", "title,text\r\nA,B\r\n")
    assert not is_datapackage(other.getvalue())
    assert not is_datapackage(b"not a zip")


# Emoji (outside the BMP), CJK, Hebrew and Arabic (RTL), combining marks, and words.
PIECES = [
    *"😀👍🏽🇫🇷北京東京한국עבריתعربي «»“”—",
    "x\u0302",
    "e\u0301",
    "the ",
    "bridge ",
    "safe. ",
    "\n",
]
HARD_TEXT = (
    st.lists(st.sampled_from(PIECES), min_size=3, max_size=40)
    .map("".join)
    .filter(lambda text: canonical_text(text).strip() != "")
)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=HARD_TEXT, cut=st.tuples(st.integers(0, 79), st.integers(1, 80)))
def test_hard_texts_round_trip(body, cut):
    empty_the_database()
    body = canonical_text(body)
    start, end = sorted(cut)
    start, end = min(start, len(body) - 1), min(max(end, start + 1), len(body))
    rita = User.objects.filter(username="rita").first() or make_user("rita")
    article = make_article(body, title="Hard text")
    if body[start:end].strip():
        make_annotation(article, start, end, author=rita)
    first = package()
    empty_the_database()
    assert not store_read(read_package("hard.zip", first)).reason
    second = package()
    assert without_ids(second) == without_ids(first)
    (row,) = tables(second)["articles.csv"]
    assert row["text"] == body


@pytest.mark.django_db
def test_an_uploaded_package_imports_as_one_dataset_not_as_loose_csv_files():
    """The importer's front door (the page, the command, the worker) sees the package for
    what it is: the spans come back attached to their articles, not as CSV rows."""
    from annotations.importers.service import import_file

    build_dataset()
    first = package()
    spans_before = Annotation.objects.count()
    empty_the_database()
    result = import_file(name="export.datapackage.zip", data=first, user=None)
    assert not result.reason, result.reason
    assert result.format == "datapackage"
    assert Annotation.objects.count() == spans_before
    assert without_ids(package()) == without_ids(first)
