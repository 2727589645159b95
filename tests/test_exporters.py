"""Export formats and the query that feeds them (annotations/exporters/)."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from annotations.exporters import (
    ExportOptions,
    UnknownFormat,
    all_formats,
    export_stream,
    get_format,
)
from annotations.exporters.base import CHUNK_CHARS, coalesce
from annotations.exporters.query import (
    ExportFilters,
    ExportStats,
    export_articles,
    export_summary,
)
from annotations.models import Annotation, Article, Rating, Relation, Speaker
from annotations.offsets import codepoint_to_utf16
from tests.factories import make_annotation, make_article, make_source, make_speaker, make_user

GOLDEN = Path(__file__).parent / "golden" / "export"
# Offline copies of the W3C and schema.org files, kept in the repository (see its README)
# so the tests read nothing outside the clone.
VALIDATORS = Path(__file__).parent / "validators"

# The hard cases of the text contract, all in one article: an emoji (two UTF-16 units),
# CJK, a combining mark with no precomposed form (so NFC keeps two code points), a
# no-break space, typographic quotes, and two overlapping spans.
RICH_BODY = (
    "Minister 😀 Ana said “the bridge is safe” on Monday.\n"
    "北京 officials denied it\u00a0today: «no x\u0302 deal was signed».\n"
    "Critics called the claim an unverified allegation."
)
PLAIN_BODY = "The mayor said the budget is balanced. The auditor disagreed."
EMPTY_BODY = "A short item with nothing to flag."
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
RATED = datetime(2026, 11, 22, 14, 15, tzinfo=UTC)


def span_of(body: str, quote: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = body.index(quote, start + 1)
    return start, start + len(quote)


def build_dataset() -> dict:
    """Three articles with fixed ids and times, so every format has a golden file.

    The claim 7001 has a verdict on the default scale with a public explanation (its note
    is internal), 7004 an off-scale one ("unproven"); the denial 7003 denies 7001 and 7004
    responds to 7003; Ana is a person with a role and a page, 北京 officials an
    organisation."""
    # The conftest fixtures may have made rita and oscar already.
    rita = User.objects.filter(username="rita").first() or make_user("rita", role="reviewer")
    oscar = User.objects.filter(username="oscar").first() or make_user("oscar", role="reviewer")
    rich = make_article(
        RICH_BODY,
        id=9001,
        title="Bridge “safe”, minister says",
        author="Jane Doe",
        publisher="Daily Example",
        source_url="https://news.example/bridge",
        published_at=datetime(2026, 11, 19, 8, 0, tzinfo=UTC),
        status=Article.Status.REVIEWED,
    )
    plain = make_article(
        PLAIN_BODY,
        id=9002,
        title="Budget",
        published_at=datetime(2026, 10, 2, 12, 0, tzinfo=UTC),
        status=Article.Status.IN_REVIEW,
    )
    empty = make_article(EMPTY_BODY, id=9003, title="Nothing here", status=Article.Status.NEW)

    ana = make_speaker(
        "Ana", kind=Speaker.Kind.PERSON, role="Minister of Transport", url="https://gov.example/ana"
    )
    officials = make_speaker("北京 officials", kind=Speaker.Kind.ORGANIZATION)
    bridge = make_annotation(
        rich,
        *span_of(RICH_BODY, "the bridge is safe"),
        author=rita,
        label_slug="claim",
        id=7001,
        speaker=ana,
        note="Said twice in the interview.",
        verdict=Rating.objects.get(scale__name="Default", slug="false"),
        verdict_explanation="The inspection found cracks in two piers.",
        verdict_by=rita,
        verdict_at=RATED,
    )
    # Overlaps the claim: starts earlier, ends inside it.
    said = make_annotation(
        rich,
        *span_of(RICH_BODY, "😀 Ana said “the bridge"),
        author=oscar,
        label_slug="unverified-allegation",
        id=7002,
    )
    denied = make_annotation(
        rich,
        *span_of(RICH_BODY, "北京 officials denied it"),
        author=rita,
        label_slug="denial",
        id=7003,
        speaker=officials,
    )
    deal = make_annotation(
        rich,
        *span_of(RICH_BODY, "no x\u0302 deal was signed"),
        author=rita,
        label_slug="claim",
        id=7004,
        verdict=Rating.objects.get(scale__name="Default", slug="unproven"),
        verdict_by=oscar,
        verdict_at=RATED,
    )
    balanced = make_annotation(
        plain,
        *span_of(PLAIN_BODY, "the budget is balanced"),
        author=oscar,
        label_slug="claim",
        id=7005,
    )
    make_source(
        bridge,
        "https://gov.example/report",
        id=5001,
        title="Inspection report",
        publisher="Ministry",
        stance="refutes",
        quoted_passage="Cracks were found.",
        accessed_on=date(2026, 11, 21),
    )
    make_source(bridge, "https://archive.example/a", id=5002, stance="context")
    make_source(deal, "https://wire.example/deal", id=5003, title="Wire story", stance="supports")
    Relation.objects.create(from_span=denied, to_span=bridge, type=Relation.Type.DENIES)
    Relation.objects.create(from_span=deal, to_span=denied, type=Relation.Type.RESPONDS_TO)
    Annotation.objects.update(created_at=CREATED)
    Annotation.objects.filter(pk=balanced.pk).update(created_at=LATER)
    return {
        "rita": rita,
        "oscar": oscar,
        "rich": rich,
        "plain": plain,
        "empty": empty,
        "bridge": bridge,
        "said": said,
        "denied": denied,
        "deal": deal,
        "balanced": balanced,
    }


@pytest.fixture
def dataset(db):
    return build_dataset()


NO_FILTERS = ExportFilters()


def export_text(name: str, filters: ExportFilters = NO_FILTERS, **options) -> str:
    """The file the page and the command write (export_stream: planned, then streamed)."""
    return "".join(export_stream(get_format(name), filters, ExportOptions(**options)))


def jsonl_records(filters: ExportFilters = NO_FILTERS) -> list[dict]:
    return [json.loads(line) for line in export_text("jsonl", filters).splitlines()]


# --- registry ---------------------------------------------------------------------------


def test_every_format_is_registered_once_with_what_the_page_needs():
    """Each format module registers a name, label, description, extension, media type and
    offset unit; the page lists them in a fixed order, the native JSONL first."""
    formats = all_formats()
    names = [f.name for f in formats]
    assert names == [
        "jsonl",
        "csv",
        "w3c",
        "claimreview",
        "claimreview-jsonl",
        "doccano",
        "labelstudio",
        "conll",
        "datapackage",
        "parquet",
        "spacy",
    ]
    for f in formats:
        assert f.label and f.description and f.extension and f.media_type and f.offset_unit
        assert f.available
        assert f.filename(date(2026, 11, 28)) == f"factcheck-{f.name}-2026-11-28-all.{f.extension}"


def test_an_unknown_format_is_one_clear_error_listing_the_known_ones():
    """Asking for a format nobody registered names it and lists every known format."""
    with pytest.raises(UnknownFormat) as error:
        get_format("xml")
    message = str(error.value)
    assert "xml" in message
    for f in all_formats():
        assert f.name in message


def test_coalesce_joins_small_chunks_into_large_writes():
    """Many small records leave as a few chunks of about 64 KiB; nothing is lost."""
    pieces = ["x" * 100] * 2000
    chunks = list(coalesce(pieces))
    assert "".join(chunks) == "".join(pieces)
    assert all(len(c) >= CHUNK_CHARS for c in chunks[:-1])
    assert len(chunks) == 4  # 200,000 characters in pieces of 100: 3 x 65,600 + the rest


# --- golden files -----------------------------------------------------------------------


# The binary formats (a ZIP, Parquet, a DocBin) are checked by their own tests
# (tests/test_export_datapackage.py has golden files for the package's members).
@pytest.mark.parametrize("name", [f.name for f in all_formats() if not getattr(f, "binary", False)])
def test_each_format_matches_its_golden_file(dataset, name):
    """The whole file for the small dataset is exactly the reviewed golden file.

    Set UPDATE_GOLDEN=1 to rewrite the files after a deliberate change (then review the
    diff: the golden file is the specification).
    """
    export_format = get_format(name)
    output = export_text(name)
    path = GOLDEN / f"dataset.{export_format.extension}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output.encode("utf-8"))
    assert output == path.read_bytes().decode("utf-8")


# --- native JSONL -----------------------------------------------------------------------


def test_jsonl_is_one_article_a_line_with_its_exact_text(dataset):
    """Every article is one "\\n"-terminated line whose text is Article.body exactly,
    with non-ASCII kept as is (ensure_ascii=False)."""
    output = export_text("jsonl")
    assert output.endswith("\n")
    lines = output.split("\n")[:-1]
    assert len(lines) == 3
    assert "😀" in lines[0] and "北京" in lines[0] and "\\u" not in lines[0]
    records = [json.loads(line) for line in lines]
    bodies = {a.pk: a.body for a in Article.objects.all()}
    for record in records:
        assert record["text"] == bodies[record["id"]]
        assert record["offset_unit"] == "python_code_point"


def test_jsonl_span_offsets_slice_the_text_to_the_span_text(dataset):
    """text[start:end] == span["text"] for every span, emoji, CJK and combining marks
    included, and spans come in text order (start, then the longer first)."""
    records = jsonl_records()
    spans = [s for r in records for s in r["spans"]]
    assert len(spans) == 5
    for record in records:
        for span in record["spans"]:
            assert record["text"][span["start"] : span["end"]] == span["text"]
        keys = [(s["start"], -s["end"]) for s in record["spans"]]
        assert keys == sorted(keys)
    rich = records[0]
    assert [s["id"] for s in rich["spans"]] == [7002, 7001, 7003, 7004]
    assert rich["spans"][1]["sources"][0] == {
        "url": "https://gov.example/report",
        "title": "Inspection report",
        "publisher": "Ministry",
        "stance": "refutes",
        "quoted_passage": "Cracks were found.",
        "accessed_on": "2026-11-21",
    }


def test_jsonl_spans_carry_speaker_details_verdict_and_links(dataset):
    """Each span has its speaker's name and details (null without a speaker), its verdict
    (scale, slug, name, value, public explanation, who, when; null without one) and the
    links it starts, pointing at span ids of the same line."""
    spans = {s["id"]: s for s in jsonl_records()[0]["spans"]}
    bridge, denied, deal = spans[7001], spans[7003], spans[7004]
    assert (bridge["speaker"], bridge["speaker_details"]) == (
        "Ana",
        {"kind": "person", "role": "Minister of Transport", "url": "https://gov.example/ana"},
    )
    assert denied["speaker_details"] == {"kind": "organization", "role": "", "url": ""}
    assert (spans[7002]["speaker"], spans[7002]["speaker_details"]) == ("", None)
    assert bridge["verdict"] == {
        "scale": "Default",
        "slug": "false",
        "name": "False",
        "value": 1,
        "explanation": "The inspection found cracks in two piers.",
        "by": "rita",
        "at": "2026-11-22T14:15:00+00:00",
    }
    assert bridge["note"] == "Said twice in the interview."
    assert deal["verdict"]["slug"] == "unproven" and deal["verdict"]["value"] == 0
    assert spans[7002]["verdict"] is None
    assert denied["relations"] == [{"to": 7001, "type": "denies"}]
    assert deal["relations"] == [{"to": 7003, "type": "responds_to"}]
    assert bridge["relations"] == []


def test_jsonl_keeps_an_explanation_written_before_the_rating(dataset):
    """An explanation without a rating yet is exported (rating fields null), not lost."""
    Annotation.objects.filter(pk=7005).update(verdict_explanation="Checking the accounts.")
    budget = jsonl_records()[1]["spans"][0]
    assert budget["verdict"] == {
        "scale": None,
        "slug": None,
        "name": None,
        "value": None,
        "explanation": "Checking the accounts.",
        "by": None,
        "at": None,
    }


def test_jsonl_links_only_to_spans_in_the_file(dataset):
    """A link is written only when the span it points at is exported too: filtered out
    (here by label) or skipped (its quote no longer matches), it would name no span of
    the line."""
    claims_and_denials = jsonl_records(ExportFilters(labels=("denial",)))
    assert [(s["id"], s["relations"]) for s in claims_and_denials[0]["spans"]] == [(7003, [])]
    Annotation.objects.filter(pk=7003).update(quote="something else")
    spans = {s["id"]: s for s in jsonl_records()[0]["spans"]}
    assert 7003 not in spans and spans[7004]["relations"] == []


def test_jsonl_keeps_line_separators_inside_one_line(db):
    """U+2028/U+2029 in a text are escaped, so splitlines() still sees one article a line."""
    user = make_user("lina")
    body = "First part\u2028second part\u2029third part."
    article = make_article(body, title="Separators")
    make_annotation(article, 0, 10, author=user)
    output = export_text("jsonl")
    assert len(output.splitlines()) == 1
    record = json.loads(output)
    assert record["text"] == body


def test_jsonl_parses_back_with_the_jsonl_importer(dataset):
    """Round trip: the JSONL importer reads the export back without refusing a line, with
    the same texts, spans (offsets, labels, speakers, annotators, times) and sources."""
    importer = pytest.importorskip("annotations.importers.jsonl")
    result = importer.parse(export_text("jsonl"), name="dataset.jsonl")
    assert result.refused == []
    exported = list(export_articles())
    assert [r.body for r in result.records] == [a.text for a in exported]
    for record, article in zip(result.records, exported, strict=True):
        assert [
            (s.start, s.end, s.label, s.speaker, s.note, s.annotator) for s in record.spans
        ] == [(s.start, s.end, s.label, s.speaker, s.note, s.annotator) for s in article.spans]
        assert [s.created_at.isoformat() for s in record.spans] == [
            s.created_at for s in article.spans
        ]
        assert [[src.url for src in s.sources] for s in record.spans] == [
            [src.url for src in s.sources] for s in article.spans
        ]
        assert (record.title, record.status, record.published_at) == (
            article.title,
            article.status,
            article.published_at,
        )


def test_a_span_whose_quote_no_longer_matches_is_left_out_and_counted(dataset):
    """A span whose stored quote differs from the text at its offsets is never exported;
    the stats say how many were left out."""
    Annotation.objects.filter(pk=7004).update(quote="something else")
    stats = ExportStats()
    records = [
        json.loads(line)
        for line in "".join(get_format("jsonl").stream(export_articles(stats=stats))).splitlines()
    ]
    assert 7004 not in [s["id"] for r in records for s in r["spans"]]
    assert (stats.articles, stats.spans, stats.skipped_spans) == (3, 4, 1)


def test_spans_sharing_a_start_come_longest_first(db):
    """Text order is the review page's: by start, then the longer span first, then id."""
    user = make_user("lina")
    article = make_article("The minister said the bridge is safe.")
    short = make_annotation(article, 4, 12, author=user)
    long = make_annotation(article, 4, 37, author=user)
    later = make_annotation(article, 13, 17, author=user)
    same = make_annotation(article, 4, 12, author=user, label_slug="denial")
    (exported_article,) = export_articles()
    assert [s.id for s in exported_article.spans] == [long.pk, short.pk, same.pk, later.pk]


def test_created_at_is_iso_8601_in_utc_to_the_microsecond(db):
    """Timestamps are written as Python's isoformat() of the aware UTC datetime, on every
    database (SQLite formats them in SQL)."""
    user = make_user("lina")
    article = make_article("The minister said the bridge is safe.")
    span = make_annotation(article, 4, 12, author=user)
    moment = datetime(2026, 11, 28, 7, 5, 3, 120500, tzinfo=UTC)
    Annotation.objects.filter(pk=span.pk).update(created_at=moment)
    (exported_article,) = export_articles()
    assert exported_article.spans[0].created_at == "2026-11-28T07:05:03.120500+00:00"
    assert datetime.fromisoformat(exported_article.spans[0].created_at) == moment


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 28, 7, 5, 3, tzinfo=UTC),  # a whole second: no fraction
        datetime(2026, 11, 28, 7, 5, 3, 1, tzinfo=UTC),  # all six digits
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),  # a four-digit year
    ],
)
def test_span_and_verdict_times_are_isoformat_on_every_database(db, moment):
    """PostgreSQL formats them in SQL too (query.iso_utc_sql): the same text as
    isoformat(), with or without microseconds; no verdict time stays None."""
    user = make_user("lina")
    article = make_article("The minister said the bridge is safe.")
    rated = make_annotation(article, 4, 12, author=user)
    unrated = make_annotation(article, 17, 23, author=user)
    Annotation.objects.filter(pk=rated.pk).update(
        created_at=moment, verdict_at=moment, verdict_explanation="No."
    )
    Annotation.objects.filter(pk=unrated.pk).update(created_at=moment)
    (exported_article,) = export_articles()
    first, second = exported_article.spans
    assert first.created_at == second.created_at == moment.isoformat()
    assert first.verdict.at == moment.isoformat()
    assert second.verdict is None


# --- filters ----------------------------------------------------------------------------


def exported(filters: ExportFilters) -> dict[int, list[int]]:
    return {a.id: [s.id for s in a.spans] for a in export_articles(filters)}


def test_without_filters_every_article_is_exported_even_without_spans(dataset):
    """No filter: all articles, including one with no spans, every span."""
    assert exported(ExportFilters()) == {
        9001: [7002, 7001, 7003, 7004],
        9002: [7005],
        9003: [],
    }


def test_a_label_filter_keeps_matching_spans_and_only_their_articles(dataset):
    """Labels choose spans; articles without a matching span are left out."""
    assert exported(ExportFilters(labels=("claim",))) == {9001: [7001, 7004], 9002: [7005]}
    assert exported(ExportFilters(labels=("denial", "unverified-allegation"))) == {
        9001: [7002, 7003]
    }


def test_a_reviewer_filter_keeps_that_reviewers_spans(dataset):
    """The reviewer is the annotation's author, by user name."""
    assert exported(ExportFilters(reviewer="oscar")) == {9001: [7002], 9002: [7005]}


def test_the_annotation_date_range_includes_both_days(dataset):
    """annotated_from/annotated_to are whole days of created_at, both included."""
    day = CREATED.date()
    assert exported(ExportFilters(annotated_from=day, annotated_to=day)) == {
        9001: [7002, 7001, 7003, 7004]
    }
    assert exported(ExportFilters(annotated_from=date(2026, 11, 21))) == {9002: [7005]}
    assert exported(ExportFilters(annotated_to=date(2026, 11, 19))) == {}


def test_status_published_range_and_ids_choose_articles_with_all_their_spans(dataset):
    """Article filters keep every span of the chosen articles, and articles without spans."""
    assert exported(ExportFilters(statuses=("new", "in_review"))) == {9002: [7005], 9003: []}
    assert exported(
        ExportFilters(published_from=date(2026, 11, 1), published_to=date(2026, 11, 19))
    ) == {9001: [7002, 7001, 7003, 7004]}
    assert exported(ExportFilters(article_ids=(9002, 9003))) == {9002: [7005], 9003: []}


def test_span_and_article_filters_combine(dataset):
    """Filters add up: claims in reviewed articles."""
    assert exported(ExportFilters(labels=("claim",), statuses=("reviewed",))) == {
        9001: [7001, 7004]
    }


def test_sources_follow_their_span_when_other_spans_are_filtered_out(dataset):
    """Sources are merged by span, so filtering spans never shifts sources onto others."""
    articles = list(export_articles(ExportFilters(labels=("claim",))))
    sources = {s.id: [src.url for src in s.sources] for a in articles for s in a.spans}
    assert sources == {
        7001: ["https://gov.example/report", "https://archive.example/a"],
        7004: ["https://wire.example/deal"],
        7005: [],
    }


def test_the_summary_counts_what_the_export_contains(dataset, django_assert_num_queries):
    """The page's counts (articles, spans, spans per label) match the export, in 1 query."""
    filters = ExportFilters(labels=("claim", "denial"))
    with django_assert_num_queries(1):
        summary = export_summary(filters)
    articles = list(export_articles(filters))
    assert summary["articles"] == len(articles) == 2
    assert summary["spans"] == sum(len(a.spans) for a in articles) == 4
    assert [(row["label__slug"], row["spans"]) for row in summary["by_label"]] == [
        ("claim", 3),
        ("denial", 1),
    ]
    assert export_summary(ExportFilters())["articles"] == 3


# --- queries and streaming --------------------------------------------------------------


def make_articles(count: int, author) -> None:
    """Articles with everything a span can carry: a speaker with details, a verdict, a
    source (one record, cited by every article's claim) and a link to a second span."""
    speaker = make_speaker("Ana", role="Minister", url="https://gov.example/ana")
    verdict = Rating.objects.get(scale__name="Default", slug="false")
    for n in range(count):
        article = make_article(f"Article {n}: the minister said the bridge is safe.")
        claim = make_annotation(
            article,
            *span_of(article.body, "the bridge is safe"),
            author=author,
            speaker=speaker,
            verdict=verdict,
            verdict_by=author,
            verdict_at=RATED,
        )
        make_source(claim)
        said = make_annotation(
            article, *span_of(article.body, "the minister said"), author=author, label_slug="denial"
        )
        Relation.objects.create(from_span=said, to_span=claim, type=Relation.Type.DENIES)


@pytest.mark.parametrize("count", [3, 40])
def test_the_number_of_queries_does_not_grow_with_articles(db, django_assert_num_queries, count):
    """One query for the articles, then per batch of articles one for the spans (with
    their label, author, speaker and verdict), one for their sources and one for their
    links: 4 queries for 3 articles and for 40, never one per article or span."""
    make_articles(count, make_user("rita"))
    with django_assert_num_queries(4):
        for name in ("jsonl",):
            records = [
                json.loads(line)
                for line in "".join(get_format(name).stream(export_articles())).splitlines()
            ]
    assert len(records) == count
    for record in records:
        said, claim = record["spans"]
        assert claim["speaker_details"]["role"] == "Minister"
        assert claim["verdict"]["slug"] == "false" and claim["sources"]
        assert said["relations"] == [{"to": claim["id"], "type": "denies"}]


def test_queries_grow_with_batches_not_articles(db, django_assert_num_queries):
    """With batches of 10 articles, 25 articles take 1 + 3 x 3 queries."""
    make_articles(25, make_user("rita"))
    with django_assert_num_queries(10):
        articles = list(export_articles(chunk_size=10))
    assert len(articles) == 25
    for article in articles:
        said, claim = article.spans
        assert claim.sources and claim.verdict.slug == "false" and claim.speaker_role
        assert [(link.to, link.type) for link in said.relations] == [(claim.id, "denies")]


def test_the_export_is_lazy_until_read(dataset, django_assert_num_queries):
    """Building the stream runs no query: the response can start before the data is read."""
    with django_assert_num_queries(0):
        stream = get_format("jsonl").stream(export_articles())
    assert next(stream)


# --- CSV --------------------------------------------------------------------------------


def test_csv_has_one_row_per_span_with_context_and_sources(dataset):
    """One row per span (articles without spans have none), its text equal to the article
    text at its offsets, 32 code points of context, sources as numbered columns."""
    rows = list(csv.DictReader(io.StringIO(export_text("csv"), newline="")))
    assert [int(r["span_id"]) for r in rows] == [7002, 7001, 7003, 7004, 7005]
    bodies = {a.pk: a.body for a in Article.objects.all()}
    for row in rows:
        body, start, end = bodies[int(row["article_id"])], int(row["start"]), int(row["end"])
        assert body[start:end] == row["text"]
        assert row["prefix"] == body[max(0, start - 32) : start]
        assert row["suffix"] == body[end : end + 32]
        assert row["offset_unit"] == "python_code_point"
    bridge = rows[1]
    assert [bridge["source_1_url"], bridge["source_2_url"]] == [
        "https://gov.example/report",
        "https://archive.example/a",
    ]
    assert bridge["source_1_stance"] == "refutes" and bridge["source_1_accessed_on"] == "2026-11-21"
    assert "source_3_url" not in bridge  # two sources at most: two numbered sets
    assert rows[0]["source_1_url"] == "" and rows[0]["more_sources"] == ""


# What a spreadsheet would run, one per text column, each starting with a different one of
# OWASP's formula characters (= + - @ tab CR).
FORMULA_BODY = "-1 leads. +cmd|' /C calc'!A0\t@tail follows the quote."
FORMULA_QUOTE = "+cmd|' /C calc'!A0"
FORMULA_CELLS = {
    "article_title": '=HYPERLINK("https://evil.example","open")',
    "label": "-formula-label",
    "text": FORMULA_QUOTE,
    "prefix": "-1 leads. ",
    "suffix": "\t@tail follows the quote.",
    "speaker": "@SUM(A1:A9)",
    "note": "\r=1+1",
    "annotator": "=rogue",
}


@pytest.fixture
def formula_rows(db):
    """One span whose every text column starts like a formula; its source too."""
    from annotations.models import Label

    Label.objects.create(name="Formula", slug=FORMULA_CELLS["label"], order=99)
    article = make_article(FORMULA_BODY, title=FORMULA_CELLS["article_title"])
    span = make_annotation(
        article,
        *span_of(FORMULA_BODY, FORMULA_QUOTE),
        author=make_user(FORMULA_CELLS["annotator"]),
        label_slug=FORMULA_CELLS["label"],
        speaker=FORMULA_CELLS["speaker"],
        note=FORMULA_CELLS["note"],
    )
    make_source(span, "https://evil.example/=x", title="=IMPORTXML(1)", publisher="+pub")


def csv_rows(**options) -> list[dict]:
    return list(csv.DictReader(io.StringIO(export_text("csv", **options), newline="")))


def test_csv_neutralises_a_formula_in_every_text_column(formula_rows):
    """By default each text cell that starts with = + - @, a tab or a CR is written with a
    leading ' (OWASP's advice), so a spreadsheet shows it as text instead of running it,
    the numbered source columns included; numbers are left as they are."""
    assert {raw[0] for raw in FORMULA_CELLS.values()} == set("=+-@\t\r")  # all six kinds
    [row] = csv_rows()
    for column, raw in FORMULA_CELLS.items():
        assert row[column] == "'" + raw, column
    assert row["start"] == str(FORMULA_BODY.index(FORMULA_QUOTE))
    assert row["source_1_title"] == "'=IMPORTXML(1)"
    assert row["source_1_publisher"] == "'+pub"


def test_csv_raw_writes_every_cell_exactly_as_stored(formula_rows):
    """csv_raw (--csv-raw, the export page's box) gives the stored values back exactly,
    so a program's text[start:end] equals the span text."""
    [row] = csv_rows(csv_raw=True)
    for column, raw in FORMULA_CELLS.items():
        assert row[column] == raw, column
    start, end = int(row["start"]), int(row["end"])
    assert FORMULA_BODY[start:end] == row["text"]


def test_csv_leaves_ordinary_text_alone(dataset):
    """Text that does not start like a formula is not touched: the default file is the
    golden one, byte for byte, and the same as the raw one."""
    assert export_text("csv") == export_text("csv", csv_raw=True)


# --- filters that cannot be queried -----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"annotated_to": date(9999, 12, 31)}, "annotated_to: 9999-12-31 is outside"),
        ({"published_from": date(1, 1, 1)}, "published_from: 0001-01-01 is outside"),
        ({"article_ids": (2**63,)}, "article_ids: 9223372036854775808 is outside"),
        ({"article_ids": (0,)}, "article_ids: 0 is outside"),
    ],
)
def test_filters_outside_what_the_database_holds_fail_before_any_query(
    db, django_assert_num_queries, fields, message
):
    """ExportFilters refuses a day past 1900-01-01..2999-12-31 or an id past 1..2**63-1
    when it is built, so no caller can start a stream that would fail half-way."""
    with django_assert_num_queries(0), pytest.raises(ValueError, match=message):
        ExportFilters(**fields)


def test_the_extreme_days_allowed_still_export(dataset):
    """1900-01-01 and 2999-12-31 are valid bounds: "the day after" the last one is still
    a datetime the databases hold, so the export runs to its end."""
    filters = ExportFilters(
        annotated_from=date(1900, 1, 1),
        annotated_to=date(2999, 12, 31),
        published_from=date(1900, 1, 1),
        published_to=date(2999, 12, 31),
    )
    assert [r["id"] for r in jsonl_records(filters)] == [9001, 9002]


# --- W3C Web Annotation -----------------------------------------------------------------


def _w3c_validators():
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    root = VALIDATORS / "w3c"
    resources = []
    for path in root.rglob("*.json"):
        schema = json.loads(path.read_text())
        resource = referencing.Resource.from_contents(
            schema, default_specification=referencing.jsonschema.DRAFT4
        )
        resources.append((schema.get("id", path.name), resource))
    registry = referencing.Registry().with_resources(resources)

    def check(test_file: str, document: dict) -> list[str]:
        """Every assertion of a W3C `.test` file; returns the failures."""
        test = json.loads((root / test_file).read_text())
        failures = []
        for assertion in test["assertions"]:
            schema = json.loads((root / assertion).read_text())
            validator = jsonschema.Draft4Validator(
                schema, registry=registry, format_checker=jsonschema.FormatChecker()
            )
            valid = validator.is_valid(document)
            if valid != (schema.get("expectedResult", "valid") == "valid"):
                failures.append(f"{assertion}: {schema.get('errorMessage', '')}")
        return failures

    return check


def test_w3c_export_passes_the_w3c_test_suite_schemas(dataset):
    """The collection, its page and every annotation pass the MUST assertions of the W3C
    Web Annotation test suite (validated offline with jsonschema)."""
    check = _w3c_validators()
    document = json.loads(export_text("w3c", base_url="https://factcheck.example"))
    page = document["first"]
    assert check("collections/collectionMusts.test", document) == []
    assert check("collections/pages/pageMusts.test", document) == []
    assert len(page["items"]) == 5
    for item in page["items"]:
        standalone = {"@context": document["@context"], **item}
        assert check("annotations/annotationMusts.test", standalone) == []
        # jsonschema checks date-time formats only with an optional package: check here.
        assert datetime.fromisoformat(item["created"]).tzinfo is not None


def test_w3c_selectors_count_code_points_and_carry_the_quote(dataset):
    """TextPositionSelector offsets are code points into the article text (the W3C
    "character" positions, not UTF-16 units), and the TextQuoteSelector repeats the text."""
    items = json.loads(export_text("w3c"))["first"]["items"]
    body = RICH_BODY
    # The article's first annotation carries its text (tests/test_w3c_roundtrip.py).
    assert items[0]["target"]["source"]["value"] == body
    for item in items[:4]:
        position, quote = item["target"]["selector"]
        assert position["type"] == "TextPositionSelector"
        assert body[position["start"] : position["end"]] == quote["exact"]
        assert body[: position["start"]].endswith(quote.get("prefix", ""))
        source = item["target"]["source"]
        assert (source["id"] if item is items[0] else source) == "urn:factcheck:article:9001"
    bridge = items[1]
    assert bridge["id"] == "urn:factcheck:annotation:7001"
    assert bridge["target"]["selector"][0]["start"] == RICH_BODY.index("the bridge")
    assert bridge["body"][0] == {"type": "TextualBody", "purpose": "tagging", "value": "claim"}


def test_w3c_export_is_valid_json_ld(dataset):
    """Expanded with the W3C context (offline), every key maps to an IRI: none is dropped."""
    pyld = pytest.importorskip("pyld")
    context = json.loads((VALIDATORS / "w3c" / "anno.jsonld").read_text())

    def loader(url, options=None):
        assert url.rstrip("/") in {
            "http://www.w3.org/ns/anno.jsonld",
            "https://www.w3.org/ns/anno.jsonld",
        }
        return {"contextUrl": None, "documentUrl": url, "document": context}

    document = json.loads(export_text("w3c", base_url="https://factcheck.example"))
    expanded = pyld.jsonld.expand(document, {"documentLoader": loader})
    text = json.dumps(expanded)
    assert "http://www.w3.org/ns/oa#hasTarget" in text
    assert "http://www.w3.org/ns/oa#TextPositionSelector" in text
    # Keys without a mapping are silently dropped by expansion; count what survived.
    assert text.count("http://www.w3.org/ns/oa#exact") == 5 + 1  # span quotes, one source quote
    assert text.count("http://purl.org/dc/terms/publisher") == 1


# --- doccano ----------------------------------------------------------------------------


def utf16_slice(text: str, start: int, end: int) -> str:
    """What JavaScript's text.slice(start, end) returns."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def test_doccano_offsets_are_utf16_code_units(dataset):
    """doccano indexes text like JavaScript: after the emoji every offset is one more
    than in code points, and slicing in UTF-16 gives the span text."""
    records = [json.loads(line) for line in export_text("doccano").splitlines()]
    assert [r["article_id"] for r in records] == [9001, 9002, 9003]
    rich = records[0]
    assert rich["text"] == RICH_BODY and rich["offset_unit"] == "utf16_code_unit"
    quotes = [
        "😀 Ana said “the bridge",
        "the bridge is safe",
        "北京 officials denied it",
        "no x\u0302 deal was signed",
    ]
    for (start, end, _label), quote in zip(rich["label"], quotes, strict=True):
        assert utf16_slice(rich["text"], start, end) == quote
        cp_start, cp_end = span_of(RICH_BODY, quote)
        assert (start, end) == (
            codepoint_to_utf16(RICH_BODY, cp_start),
            codepoint_to_utf16(RICH_BODY, cp_end),
        )
    assert rich["label"][1][0] == RICH_BODY.index("the bridge") + 1  # the emoji's second unit
    assert records[1]["label"] == [[*span_of(PLAIN_BODY, "the budget is balanced"), "claim"]]
    assert records[2]["label"] == []


# --- Label Studio -----------------------------------------------------------------------


def test_labelstudio_tasks_have_one_annotation_per_reviewer_in_code_points(dataset):
    """Each article is a task; each reviewer's spans are one annotation; offsets are
    code points (Label Studio converts its UTF-16 positions to code points itself)."""
    tasks = json.loads(export_text("labelstudio"))
    assert [t["data"]["article_id"] for t in tasks] == [9001, 9002, 9003]
    rich = tasks[0]
    assert [a["created_username"] for a in rich["annotations"]] == ["oscar", "rita"]
    for annotation in rich["annotations"]:
        for region in annotation["result"]:
            value = region["value"]
            assert rich["data"]["text"][value["start"] : value["end"]] == value["text"]
            assert region["from_name"] == "label" and region["to_name"] == "text"
    rita_regions = rich["annotations"][1]["result"]
    assert [r["value"]["labels"] for r in rita_regions] == [["claim"], ["denial"], ["claim"]]
    assert rita_regions[0]["meta"] == {"text": ["Said twice in the interview."]}
    assert tasks[2]["annotations"] == []


# --- CoNLL ------------------------------------------------------------------------------


def conll_documents(output: str) -> list[list[list[str]]]:
    """Documents -> sentences -> token lines (split on white space)."""
    documents = []
    for line in output.split("\n"):
        fields = line.split(" ")
        if line.startswith("# ") and not (len(fields) == 4 and fields[1].isdigit()):
            continue  # a comment: the file's header or a misaligned span
        if line.startswith("-DOCSTART-"):
            documents.append([[]])
        elif not line:
            if documents and documents[-1][-1]:
                documents[-1].append([])
        else:
            documents[-1][-1].append(line.split(" "))
    return [[s for s in doc if s] for doc in documents]


def test_conll_is_valid_iob2_with_code_point_token_offsets(dataset):
    """Tokens are white-space runs (NBSP included) with code-point offsets into the text;
    every I- continues a B- or I- of the same label; each article is a document."""
    documents = conll_documents(export_text("conll"))
    assert len(documents) == 3
    texts = [RICH_BODY, PLAIN_BODY, EMPTY_BODY]
    for document, text in zip(documents, texts, strict=True):
        previous = "O"
        for sentence in document:
            previous = "O"
            for token, start, end, tag in sentence:
                assert text[int(start) : int(end)] == token
                assert "\u00a0" not in token
                if tag.startswith("I-"):
                    assert previous[2:] == tag[2:] and previous[0] in "BI"
                previous = tag
    assert [t[0] for t in documents[0][1] if t[0] in ("it", "today:")] == ["it", "today:"]


def test_conll_overlaps_keep_the_span_that_starts_first(dataset):
    """Overlapping spans cannot nest in IOB2: the earlier (then longer) one is kept, the
    other is left out of this format."""
    rich = conll_documents(export_text("conll"))[0]
    tags = {token: tag for sentence in rich for token, _, _, tag in sentence}
    assert tags["😀"] == "B-unverified-allegation"
    assert tags["“the"] == "I-unverified-allegation"
    assert tags["bridge"] == "I-unverified-allegation"
    assert tags["is"] == "O"  # the claim overlapping it was left out
    assert tags["北京"] == "B-denial"
    # «no x̂ deal was signed» starts inside the token "«no": reported, never shifted.
    assert tags["x\u0302"] == "O"
    # Paragraphs are sentences: three lines of text, three sentences.
    assert len(rich) == 3
