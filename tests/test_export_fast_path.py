"""The native JSONL written by PostgreSQL (formats/_jsonl_pg.py) against the Python path:
the same bytes for the same rows and filters, and the same counts.

The PostgreSQL tests run with DATABASE_URL=postgres://...; on SQLite they are skipped
and only the choice of path is checked.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from annotations.exporters import get_format
from annotations.exporters.formats import jsonl
from annotations.exporters.formats._json import json_line
from annotations.exporters.query import ExportFilters, ExportStats, export_articles
from annotations.models import Annotation, Rating, Relation, Speaker
from tests.adjudication_factories import make_collection
from tests.factories import make_annotation, make_article, make_source, make_speaker, make_user


@pytest.fixture(autouse=True)
def database_writes_jsonl(settings):
    """The database path is opt-in (see ArticleExport.database_can_write_json)."""
    settings.FACTCHECK_EXPORT_JSONL_IN_DATABASE = True


@pytest.mark.django_db
def test_the_database_path_is_off_unless_enabled(settings):
    settings.FACTCHECK_EXPORT_JSONL_IN_DATABASE = False
    assert not export_articles(ExportFilters()).database_can_write_json()


on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL's"
)

# Everything JSON escaping and offsets can get wrong: quotes, backslashes, a tab, a
# control character, non-ASCII, emoji outside the BMP, RTL, combining marks, NBSP, and
# the three line breaks json_line escapes by hand (U+0085, U+2028, U+2029).
TRICKY = (
    'He said "the \\ path" is C:\\new\tplace.\x01 Officials in 北京 denied it 😀. '
    "قال الوزير إن الجسر آمن. השר אמר. no x\u0302 deal\u00a0signed. "
    "Line\u2028two\u2029three\x85four. The end."
)
PLAIN = "The budget is balanced. Prices rose."


def span_of(body: str, quote: str) -> tuple[int, int]:
    start = body.index(quote)
    return start, start + len(quote)


@pytest.fixture
def data(db):
    rita, oscar = make_user("rita"), make_user("oscar")
    edith = make_user("edith", role="editor")
    tricky = make_article(
        TRICKY,
        title='Title "quoted" \\ 北京 😀 עברית\u2028',
        author='Jane "JD" Doe',
        publisher="Daily\tExample",
        source_url="https://news.example/a?b=1&c=\u00e9",
        published_at=datetime(2026, 11, 19, 8, 0, 5, 120000, tzinfo=UTC),
        status="reviewed",
    )
    plain = make_article(PLAIN, title="Budget", published_at=None, status="in_review")
    make_article("", title="Empty text", status="new")
    make_article("An article with nothing flagged.", title="Unflagged", status="new")
    ana = make_speaker("Ana ‏آنا", kind=Speaker.Kind.PERSON, role='Minister "of" \\ roads')
    org = make_speaker("北京 officials", kind=Speaker.Kind.ORGANIZATION, url="https://gov.example")
    claim = make_annotation(
        tricky,
        *span_of(TRICKY, '"the \\ path" is C:\\new\tplace.\x01'),
        author=rita,
        speaker=ana,
        note='Internal "note" \\ 🙂\u2029\x85\x01',
        verdict=Rating.objects.get(scale__name="Default", slug="false"),
        verdict_explanation="Cracks in two piers — «really».",
        verdict_by=oscar,
        verdict_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    )
    denial = make_annotation(
        tricky,
        *span_of(TRICKY, "北京 denied it 😀"),
        author=oscar,
        label_slug="denial",
        speaker=org,
    )
    rtl = make_annotation(
        tricky,
        *span_of(TRICKY, "قال الوزير إن الجسر آمن"),
        author=rita,
        label_slug="unverified-allegation",
        verdict_explanation="Explained before a rating was chosen.",
    )
    line_breaks = "Line\u2028two\u2029three\x85four"
    breaks = make_annotation(tricky, *span_of(TRICKY, line_breaks), author=rita)
    # Same start as `breaks`, shorter: text order puts the longer one first.
    make_annotation(tricky, *span_of(TRICKY, "Line\u2028two"), author=oscar, label_slug="denial")
    combining = make_annotation(
        tricky,
        *span_of(TRICKY, "no x\u0302 deal\u00a0signed"),
        author=oscar,
        verdict=Rating.objects.get(scale__name="Default", slug="unproven"),
        verdict_by=rita,
        verdict_at=datetime(2026, 11, 21, 10, 0, 0, 1, tzinfo=UTC),
    )
    stale = make_annotation(plain, *span_of(PLAIN, "Prices rose"), author=rita)
    # The text at its offsets no longer matches its quote: left out, counted.
    Annotation.objects.filter(pk=stale.pk).update(quote="Prices fell")
    balanced = make_annotation(plain, *span_of(PLAIN, "The budget is balanced"), author=oscar)
    make_source(
        claim,
        'https://gov.example/report?x="1"',
        title='Report "final" \\ 北京',
        publisher="Ministry",
        stance="refutes",
        quoted_passage="Cracks\nwere found.",
        accessed_on=date(2026, 11, 21),
    )
    make_source(claim, "https://archive.example/a", stance="context")
    make_source(combining, 'https://gov.example/report?x="1"', stance="supports")
    Relation.objects.create(from_span=denial, to_span=claim, type=Relation.Type.DENIES)
    Relation.objects.create(from_span=rtl, to_span=denial, type=Relation.Type.RESPONDS_TO)
    Relation.objects.create(from_span=breaks, to_span=rtl, type=Relation.Type.EVIDENCE_FOR)
    Relation.objects.create(from_span=balanced, to_span=stale, type=Relation.Type.EVIDENCE_FOR)
    Annotation.objects.update(created_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    Annotation.objects.filter(pk=combining.pk).update(
        created_at=datetime(2026, 11, 25, 8, 0, 0, 500, tzinfo=UTC)
    )
    make_collection(tricky, reviewers=[rita, oscar], editors=[edith], slug="desk")
    return {"rita": rita, "oscar": oscar, "edith": edith}


def python_lines(filters: ExportFilters, stats: ExportStats) -> str:
    """Today's path: ExportArticle objects, records, json."""
    articles = export_articles(filters, stats=stats)
    return "".join(json_line(jsonl.article_record(article)) for article in articles)


def database_lines(filters: ExportFilters, stats: ExportStats) -> str:
    articles = export_articles(filters, stats=stats)
    assert articles.database_can_write_json()
    return "".join(get_format("jsonl").stream(articles))


FILTERS = {
    "everything": ExportFilters(),
    "one label": ExportFilters(labels=("claim",)),
    "two labels": ExportFilters(labels=("claim", "denial")),
    "reviewer": ExportFilters(reviewer="oscar"),
    "layer reviewer": ExportFilters(layer="reviewer:rita"),
    "status": ExportFilters(statuses=("reviewed", "new")),
    "published": ExportFilters(published_from=date(2026, 11, 1), published_to=date(2026, 11, 30)),
    "annotated": ExportFilters(annotated_from=date(2026, 11, 24)),
    "collection": ExportFilters(collection="desk"),
    "gold": ExportFilters(layer="gold"),
    "nothing": ExportFilters(reviewer="nobody"),
}


@on_postgres
@pytest.mark.parametrize("name", FILTERS)
def test_postgres_writes_the_same_bytes_and_counts_as_python(data, name):
    filters = FILTERS[name]
    fast_stats, slow_stats = ExportStats(), ExportStats()
    fast = database_lines(filters, fast_stats)
    slow = python_lines(filters, slow_stats)
    assert fast.encode() == slow.encode()
    assert fast_stats == slow_stats


@on_postgres
def test_the_tricky_data_is_really_in_the_file(data):
    stats = ExportStats()
    text = database_lines(ExportFilters(), stats)
    lines = text.split("\n")[:-1]
    assert len(lines) == 4 and stats.skipped_spans == 1  # the stale span
    assert "\\u2028" in text and "\\u0085" in text and "\u2028" not in text
    assert "\\u0001" in text and "\\t" in text and "😀" in text and "北京" in text
    tricky = json.loads(lines[0])
    assert [s["start"] for s in tricky["spans"]] == sorted(s["start"] for s in tricky["spans"])
    assert all(tricky["text"][s["start"] : s["end"]] == s["text"] for s in tricky["spans"])
    assert tricky["published_at"] == "2026-11-19T08:00:05.120000+00:00"
    verdicts = [s["verdict"] for s in tricky["spans"] if s["verdict"]]
    assert {v["slug"] for v in verdicts} == {"false", "unproven", None}
    assert any(s["relations"] for s in tricky["spans"])
    assert any(s["sources"] for s in tricky["spans"])
    budget = json.loads(lines[1])
    # The link to the stale span is not written: its target is not in the file.
    assert budget["published_at"] is None
    assert [s["relations"] for s in budget["spans"]] == [[]]


@on_postgres
def test_a_viewer_who_may_not_see_every_span_gets_the_python_path(data):
    articles = export_articles(ExportFilters(), viewer=data["rita"])
    assert not articles.database_can_write_json()
    assert export_articles(ExportFilters(), viewer=data["edith"]).database_can_write_json()


@on_postgres
def test_an_export_read_as_objects_is_never_rewritten_by_the_database(data):
    articles = export_articles(ExportFilters())
    first = next(articles)
    assert first.title.startswith("Title") and not articles.database_can_write_json()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the other databases' choice")
def test_other_databases_use_the_python_path(data):
    stats = ExportStats()
    articles = export_articles(ExportFilters(), stats=stats)
    assert not articles.database_can_write_json()
    text = "".join(get_format("jsonl").stream(articles))
    assert text == python_lines(ExportFilters(), ExportStats())
    assert stats.articles == 4 and stats.skipped_spans == 1
