"""Bulk JSON and JSONL shapes from other tools, plain-text bylines, and the registry's
choice by content as well as by extension."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.utils import timezone

from annotations.importers import accepted_kinds, bulk_json, format_for, jsonl, plaintext
from annotations.importers.base import ImportRefused
from annotations.importers.bylines import parse_byline, parse_date
from annotations.importers.reading import read_text_file


def _aware(*parts) -> datetime:
    return timezone.make_aware(datetime(*parts), timezone.get_default_timezone())


# --- bulk JSONL: title and body ------------------------------------------------------------


@pytest.mark.parametrize("key", ["body", "content"])
def test_bulk_jsonl_with_body_or_content(key):
    line = json.dumps(
        {
            "title": "Bridge safe",
            key: "The bridge is safe.",
            "author": "Jane Doe",
            "published_at": "2024-03-14T09:30:00+00:00",
            "source_url": "https://ex.com/a",
            "publisher": "Ex",
            "language": "en",
            "section": "City",
            "tags": ["bridge", "city"],
        }
    )
    [record] = jsonl.parse(line).records
    assert record.title == "Bridge safe"
    assert record.body == "The bridge is safe."
    assert record.author == "Jane Doe"
    assert record.source_url == "https://ex.com/a"
    assert record.metadata["language"] == "en"
    assert record.metadata["extra_fields"] == {"section": "City", "tags": ["bridge", "city"]}


def test_native_jsonl_is_read_as_before():
    """A line with "text" lists unknown fields by name only, as it always did."""
    [record] = jsonl.parse(json.dumps({"title": "T", "text": "Body.", "extra": 1})).records
    assert record.metadata == {"format": "native-jsonl", "ignored_fields": ["extra"]}


def test_line_without_any_body_field_names_them():
    result = jsonl.parse(json.dumps({"title": "T", "summary": "x"}))
    assert result.refused == [(1, "the article has no “text” (nor “body” or “content”)")]


def test_line_nested_100000_deep_is_refused_by_its_number():
    """Measured before json.loads, so never a RecursionError; the other lines parse."""
    deep = '{"title": "x", "body": "y", "spans": ' + "[" * 100_000 + "]" * 100_000 + "}"
    lines = [json.dumps({"title": "A", "body": "a"}), json.dumps({"title": "B", "body": "b"}), deep]
    result = jsonl.parse("\n".join(lines))
    assert [r.title for r in result.records] == ["A", "B"]
    [(line, reason)] = result.refused
    assert line == 3
    assert reason == "nested too deeply (more than 64 levels of [ and {)"


def test_brackets_inside_strings_do_not_count_as_depth():
    body = "[" * 500 + " brackets in the text " + "{" * 500
    [record] = jsonl.parse(json.dumps({"title": "T", "body": body})).records
    assert record.body == body


@pytest.mark.parametrize(
    "url, scheme",
    [
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(1)", "javascript"),
        ("java\tscript:alert(1)", "javascript"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data"),
    ],
)
def test_javascript_and_data_source_urls_are_refused_naming_field_and_line(url, scheme):
    lines = [json.dumps({"title": "A", "body": "a"}), json.dumps({"body": "b", "source_url": url})]
    result = jsonl.parse("\n".join(lines))
    assert [r.title for r in result.records] == ["A"]
    assert result.refused == [
        (2, f"“source_url” is a “{scheme}:” URL; only http:// and https:// addresses are accepted")
    ]


def test_nul_inside_a_json_string_is_removed_from_every_field():
    """PostgreSQL refuses NUL in text; the text contract removes it (and other controls)
    from the body, title, author, publisher, span notes and metadata alike."""
    line = json.dumps(
        {
            "title": "Ti\u0000tle",
            "body": "Bo\u0000dy \u0007text",
            "author": "Ja\u0000ne",
            "publisher": "P\u001bub",
            "desk": {"na\u0000me": ["v\u0000alue"]},
            "spans": [{"start": 0, "end": 4, "label": "claim", "note": "n\u0000ote"}],
        }
    )
    [record] = jsonl.parse(line).records
    assert (record.title, record.body, record.author, record.publisher) == (
        "Title",
        "Body text",
        "Jane",
        "Pub",
    )
    assert record.metadata["extra_fields"] == {"desk": {"name": ["value"]}}
    assert record.spans[0].note == "note"


def test_markup_in_fields_is_kept_as_text():
    line = json.dumps({"title": "<img src=x onerror=alert(1)>", "body": "<p>Body</p>"})
    [record] = jsonl.parse(line).records
    assert record.title == "<img src=x onerror=alert(1)>"
    assert record.body == "<p>Body</p>"


# --- JSON arrays ---------------------------------------------------------------------------


def test_json_array_of_articles():
    text = json.dumps(
        [
            {"title": "One", "body": "First body.", "author": "A", "origin": "wire"},
            {"title": "Two", "text": "Second body.", "published_at": "14 March 2024"},
        ],
        indent=2,
    )
    assert format_for("dump.json", text).name == "json-array"
    result = bulk_json.parse(text)
    assert [r.title for r in result.records] == ["One", "Two"]
    assert result.records[0].metadata["extra_fields"] == {"origin": "wire"}
    assert result.records[1].published_at == _aware(2024, 3, 14)
    assert [r.line for r in result.records] == [2, 8]


def test_json_array_bad_items_are_refused_and_the_others_parse():
    deep = "[" * 100_000 + "]" * 100_000
    text = (
        '[\n{"title": "A", "body": "a"},\n'
        '{"title": "no body"},\n'
        f'{{"title": "deep", "body": "x", "spans": {deep}}},\n'
        '"not an object",\n'
        '{"title": "B", "body": "b"}\n]'
    )
    result = bulk_json.parse(text)
    assert [r.title for r in result.records] == ["A", "B"]
    reasons = dict(result.refused)
    assert reasons[3] == "the article has no “text” (nor “body” or “content”)"
    assert reasons[4].startswith("nested too deeply")
    assert reasons[5] == "each item of the array must be a JSON object (one article)"


def test_json_array_malformed_item_is_refused_and_the_rest_still_parse():
    """The fast path (nothing nested too deeply) hands a broken item to the scan, which
    finds its end; the items after it still parse."""
    text = '[\n{"title": "A", "body": "a"},\n{"title": oops},\n{"title": "B", "body": "b"}\n]'
    result = bulk_json.parse(text)
    assert [(r.title, r.line) for r in result.records] == [("A", 2), ("B", 4)]
    assert result.refused == [(3, "not valid JSON (Expecting value)")]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[{"title": "A", "body": "a"}', "ends before its array is closed"),
        ('[{"title": "A", "body": "a"} {"title": "B"}]', "a “,” or “]” was expected"),
        ('[{"title": "A", "body": "a"}] [1]', "has more after its array"),
    ],
)
def test_broken_json_array_is_refused(text, message):
    with pytest.raises(ImportRefused, match=message):
        bulk_json.parse(text)


def test_a_json_file_holding_jsonl_is_read_as_jsonl():
    text = json.dumps({"title": "A", "body": "a"}) + "\n" + json.dumps({"title": "B", "body": "b"})
    assert format_for("export.json", text).name == "native-jsonl"
    assert format_for("one.json", json.dumps({"title": "A", "body": "a"}, indent=2)).name == (
        "json-array"
    )


# --- plain text: bylines and dates ---------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("14 March 2024", (2024, 3, 14)),
        ("March 14, 2024", (2024, 3, 14)),
        ("Mar. 14, 2024", (2024, 3, 14)),
        ("Thursday, 14 March 2024", (2024, 3, 14)),
        ("2024-03-14", (2024, 3, 14)),
        ("Published: 14 March 2024 10:30", (2024, 3, 14, 10, 30)),
        ("March 14, 2024 at 2:05 pm", (2024, 3, 14, 14, 5)),
    ],
)
def test_dates_in_many_forms(line, expected):
    assert parse_date(line) == _aware(*expected)


@pytest.mark.parametrize("line", ["31 February 2024", "Sometime in March", "14 March", "3/4/2024"])
def test_not_dates(line):
    assert parse_date(line) is None


def test_bylines():
    assert parse_byline("By Jane Doe") == ("Jane Doe", None)
    assert parse_byline("By Jane Doe, 14 March 2024") == ("Jane Doe", _aware(2024, 3, 14))
    assert parse_byline("By Jane Doe and Omar Haddad") == ("Jane Doe and Omar Haddad", None)
    assert parse_byline("by the way, this is text") is None
    assert parse_byline("Jane Doe") is None


def test_plain_text_byline_and_date_become_author_and_date_and_leave_the_body():
    text = "Bridge is safe\n\nBy Jane Doe, 14 March 2024\n\nThe bridge is safe.\n\nMore text.\n"
    [record] = plaintext.parse(text).records
    assert record.title == "Bridge is safe"
    assert record.author == "Jane Doe"
    assert record.published_at == _aware(2024, 3, 14)
    assert record.body == "The bridge is safe.\n\nMore text."
    assert record.metadata["dropped_lines"] == [
        {
            "line": 3,
            "text": "By Jane Doe, 14 March 2024",
            "reason": "used as the author and publication date",
        }
    ]


def test_plain_text_byline_at_the_bottom_and_a_separate_date_line():
    text = "Title\nMarch 14, 2024\n\nThe article itself.\n\nSecond paragraph.\n\nBy Omar Haddad\n"
    [record] = plaintext.parse(text).records
    assert record.author == "Omar Haddad"
    assert record.published_at == _aware(2024, 3, 14)
    assert record.body == "The article itself.\n\nSecond paragraph."


def test_a_date_inside_the_article_stays():
    text = "Title\nThe article says 14 March 2024 was the day.\n\nBody goes on here."
    [record] = plaintext.parse(text).records
    assert record.published_at is None
    assert "14 March 2024 was the day" in record.body


def test_cp1252_txt_with_a_meta_charset_line_does_not_take_it_as_title():
    data = '<meta charset="windows-1252">\nCafé “owners” delighted\n\nThe café is open.'.encode(
        "cp1252"
    )
    read = read_text_file("cafe.txt", data)
    assert read.encoding == "windows-1252"
    [record] = next(iter(read.chunks)).records
    assert record.title == "Café “owners” delighted"
    assert record.body == "The café is open."
    assert record.metadata["dropped_lines"][0]["reason"] == "character set declaration"


def test_undeclared_cp1252_txt_is_accepted_and_says_so():
    read = read_text_file("old.txt", "Titre\nLe café “ouvert”".encode("cp1252"))
    assert (read.reason, read.encoding, read.how) == ("", "cp1252", "undeclared Windows-1252")


# --- the registry --------------------------------------------------------------------------


def test_no_format_matches_lists_accepted_kinds(monkeypatch):
    """Every extension has a catch-all format today, so this refusal is reached with a
    registry cut down to one sniffing format."""
    from annotations import importers

    monkeypatch.setattr(importers, "FORMATS", (bulk_json.FORMAT,))
    with pytest.raises(ImportRefused) as refused:
        importers.format_for("a.json", "not json at all")
    assert str(refused.value) == (
        f"The file does not match any import format; accepted: {importers.accepted_kinds()}."
    )
    assert "ZIP archives of these (.zip)" in accepted_kinds()
