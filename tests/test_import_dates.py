"""Times that have no place in UTC (where they are stored) or in the site's time zone
(where they are shown), importers/times.py: "9999-12-31T23:59:59-23:59" is in the year
10000 in UTC. Converting one raised OverflowError when it was stored; now a format that
reads a time refuses its line naming the field, and a page's or a byline's date that
cannot be kept is passed over like one that cannot be read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotations.importers import html, jsonl, plaintext, scraped, tabular
from annotations.models import Article

from .import_helpers import run, write

LATE = "9999-12-31T23:59:59-23:59"
EARLY = "0001-01-01T00:00:00+14:00"
AFTER_UTC = "is after the year 9999 in UTC, where times are stored"
BEFORE_UTC = "is before the year 1 in UTC, where times are stored"
FIXTURES = Path(__file__).parent / "import_fixtures"


def _line(**fields) -> str:
    return json.dumps({"body": "Kirby said so.", **fields})


@pytest.mark.parametrize(("value", "problem"), [(LATE, AFTER_UTC), (EARLY, BEFORE_UTC)])
def test_published_at_out_of_range_refuses_its_line_naming_the_field(value, problem):
    text = "\n".join([_line(published_at=value), _line(body="Fine line.")])
    result = jsonl.parse(text)
    assert [r.body for r in result.records] == ["Fine line."]
    assert result.refused == [(1, f"“published_at” is out of range: {value!r} {problem}")]


def test_a_span_time_and_a_verdict_time_are_held_to_it_too():
    span = {"start": 0, "end": 5, "label": "claim", "text": "Kirby"}
    text = "\n".join(
        [
            _line(text="Kirby said so.", spans=[{**span, "created_at": LATE}]),
            _line(text="Kirby said so.", spans=[{**span, "verdict": {"slug": "x", "at": EARLY}}]),
        ]
    )
    assert jsonl.parse(text).refused == [
        (1, f"span 1: “created_at” is out of range: {LATE!r} {AFTER_UTC}"),
        (2, f"span 1: verdict: “at” is out of range: {EARLY!r} {BEFORE_UTC}"),
    ]


def test_the_last_and_first_moments_that_fit_are_read():
    text = "\n".join(
        [
            _line(published_at="9999-12-31T23:59:59+00:00"),
            _line(body="Second.", published_at="0001-01-01T00:00:00-05:00"),
        ]
    )
    result = jsonl.parse(text)
    assert result.refused == []
    assert [r.published_at.astimezone(UTC) for r in result.records] == [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1, 1, 1, 5, tzinfo=UTC),
    ]


def test_a_naive_time_is_read_in_the_site_zone_and_held_to_utc(settings):
    """A time without an offset is in the site's zone: 9999-12-31 23:59:59 in New York is
    in the year 10000 in UTC (the tester's datemax.csv)."""
    settings.TIME_ZONE = "America/New_York"
    text = "title,body,published_at\nNaive max,naive max body text,9999-12-31 23:59:59\nOk,b,\n"
    result = tabular.parse(text)
    assert [r.title for r in result.records] == ["Ok"]
    assert result.refused == [
        (2, f"“published_at” is out of range: '9999-12-31 23:59:59' {AFTER_UTC}"),
    ]


def test_a_date_written_for_people_is_refused_as_out_of_range_too(settings):
    """ "31 December 9999, 11:30 pm" is a date, read in the site's zone: in New York it
    is in the year 10000 in UTC, and the line says so rather than that it is no date."""
    settings.TIME_ZONE = "America/New_York"
    late = "31 December 9999, 11:30 pm"
    text = f'title,body,published_at\nHuman max,some body text,"{late}"\nOk,b,\n'
    result = tabular.parse(text)
    assert [r.title for r in result.records] == ["Ok"]
    assert result.refused == [(2, f"“published_at” is out of range: {late!r} {AFTER_UTC}")]


def test_a_time_that_cannot_be_shown_in_the_site_zone_is_refused(settings):
    """Fine in UTC, but the pages show it in Tokyo, a day that does not exist."""
    settings.TIME_ZONE = "Asia/Tokyo"
    result = jsonl.parse(_line(published_at="9999-12-31T23:59:59+00:00"))
    assert result.refused == [
        (
            1,
            "“published_at” is out of range: '9999-12-31T23:59:59+00:00' is after the year "
            "9999 in this site's time zone (Asia/Tokyo)",
        )
    ]


def test_a_page_date_that_cannot_be_kept_is_passed_over():
    page = (FIXTURES / "news_page.html").read_text()
    page = page.replace("2024-03-14T09:30:00+01:00", LATE)
    [record] = html.parse(page).records
    assert record.published_at is None
    assert record.title == "Bridge declared safe after inspection"


def test_a_byline_date_that_cannot_be_kept_is_not_a_date(settings):
    settings.TIME_ZONE = "Asia/Tokyo"  # 1 January 0001 here is before the year 1 in UTC
    result = plaintext.parse("Harbour news\n1 January 0001\n\nThe bridge is safe.", name="a.txt")
    [record] = result.records
    assert record.published_at is None
    assert "1 January 0001" in record.body  # not taken out as a dateline


@pytest.mark.django_db
def test_the_command_refuses_the_lines_and_stores_the_rest(tmp_path):
    """It used to die: OverflowError in the PostgreSQL rows (rows._in_utc) or in Django's
    make_naive on SQLite."""
    late = write(
        tmp_path / "late.jsonl",
        "\n".join([_line(body="Overflow.", published_at=LATE), _line(body="Fine after.")]),
    )
    early = write(tmp_path / "early.jsonl", _line(body="Underflow.", published_at=EARLY))
    good = write(tmp_path / "good.jsonl", _line(body="Good.", published_at="2024-03-14T10:00Z"))
    lines = run(late, early, good)
    assert lines == [
        f'created: {late} — "Fine after." (1 refused)',
        f"refused: {late}, line 1: “published_at” is out of range: {LATE!r} {AFTER_UTC}",
        f"refused: {early}: No line could be imported.",
        f"refused: {early}, line 1: “published_at” is out of range: {EARLY!r} {BEFORE_UTC}",
        f'created: {good} — "Good."',
        "2 created, 0 already present, 2 refused",
    ]
    assert sorted(Article.objects.values_list("body", flat=True)) == ["Fine after.", "Good."]


def test_a_scraped_dateline_that_cannot_be_kept_stays_in_the_text(settings):
    settings.TIME_ZONE = "America/New_York"  # 12/31/9999 23:59 here is in 10000 in UTC
    text = "<div>T</div>\nT\n\nThe minister spoke.\n\nMoscow denied it.\n12/31/9999 - 23:59\n"
    [record] = scraped.parse(text, name="x.txt").records
    assert record.published_at is None
    assert record.body.endswith("12/31/9999 - 23:59")
