"""Spreadsheets as CSV: RFC 4180 quoting, a sniffed delimiter, a header naming columns."""

from __future__ import annotations

import codecs
import csv
import io
import json

import pytest

from annotations.importers import format_for, tabular
from annotations.importers.base import ImportRefused
from annotations.importers.reading import read_text_file


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


HEADER = ["title", "body", "author", "published_at", "source_url", "publisher", "language"]


def test_rfc_4180_quoting_survives():
    """Quoted fields keep their newlines, delimiters and doubled quotes."""
    body = 'First paragraph, with a comma.\n\nSecond: he said "no".'
    text = _csv([HEADER, ["A, B", body, "Jane Doe", "2024-03-14", "https://ex.com/a", "Ex", "en"]])
    [record] = tabular.parse(text).records
    assert record.title == "A, B"
    assert record.body == body
    assert record.author == "Jane Doe"
    assert record.published_at.date().isoformat() == "2024-03-14"
    assert record.source_url == "https://ex.com/a"
    assert record.publisher == "Ex"
    assert record.metadata["language"] == "en"
    assert record.metadata["format"] == "csv"
    assert record.line == 2


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(delimiter):
    text = _csv(
        [["Title", "Text"], ["One", "First; text, with | all\tkinds"], ["Two", "b"]], delimiter
    )
    records = tabular.parse(text).records
    assert [r.title for r in records] == ["One", "Two"]
    assert records[0].body == "First; text, with | all\tkinds"


def test_a_csv_that_is_really_tsv_is_read():
    text = "title\tcontent\nOne\tThe body, with commas, many, of them.\n"
    assert format_for("export.csv", text).name == "csv"
    [record] = tabular.parse(text).records
    assert record.body == "The body, with commas, many, of them."


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_utf8_with_or_without_bom(bom):
    data = bom + "title,body\nCafé,Le café est fermé.\n".encode()
    read = read_text_file("a.csv", data)
    [record] = next(iter(read.chunks)).records
    assert record.title == "Café"  # not "\ufeffCafé": the header matched "title"


def test_unknown_columns_are_kept_as_metadata():
    text = _csv([["Title", "Body", "Section", "Word count"], ["T", "Body text.", "Sport", "3"]])
    [record] = tabular.parse(text).records
    assert record.metadata["extra_fields"] == {"section": "Sport", "word count": "3"}


def test_no_body_column_is_refused_naming_the_columns():
    text = _csv([["headline", "summary", "url"], ["a", "b", "c"]])
    with pytest.raises(ImportRefused) as refused:
        list(tabular.parse_chunks(text))
    assert str(refused.value) == (
        "The CSV file has no “body”, “text” or “content” column for the article's text; "
        "its columns are: “headline”, “summary”, “url”."
    )


def test_spans_column_is_read_like_jsonl():
    body = "Kirby said Moscow lied."
    spans = json.dumps([{"start": 0, "end": 5, "label": "claim", "text": "Kirby"}])
    [record] = tabular.parse(_csv([["title", "body", "spans"], ["T", body, spans]])).records
    [span] = record.spans
    assert (span.start, span.end, span.label) == (0, 5, "claim")


def test_bad_rows_are_refused_by_line_and_the_others_parse():
    text = _csv(
        [
            ["title", "body", "source_url", "spans"],
            ["Good", "A body.", "", ""],
            ["Bad URL", "A body.", "javascript:alert(1)", ""],
            ["Bad spans", "A body.", "", "[{"],
            ["Too many", "A body.", "", "", "extra"],
            ["Data URL", "A body.", "data:text/html,<script>", ""],
            ["Also good", "Multi\nline body.", "", ""],
        ]
    )
    result = tabular.parse(text)
    assert [r.title for r in result.records] == ["Good", "Also good"]
    assert [r.line for r in result.records] == [2, 7]
    reasons = dict(result.refused)
    assert reasons[3] == (
        "“source_url” is a “javascript:” URL; only http:// and https:// addresses are accepted"
    )
    assert reasons[4].startswith("“spans” is not valid JSON")
    assert reasons[5] == "the row has 5 fields, but the header names 4"
    assert reasons[6].startswith("“source_url” is a “data:” URL")


def test_a_spans_cell_nested_too_deeply_is_refused_by_its_line():
    deep = "[" * 100_000 + "]" * 100_000
    result = tabular.parse(_csv([["title", "body", "spans"], ["T", "Body.", deep]]))
    assert result.records == []
    [(line, reason)] = result.refused
    assert line == 2
    assert reason.startswith("nested too deeply")


def test_rows_are_read_one_at_a_time():
    """parse_chunks hands rows over in chunks as it reads (it does not parse them all first)."""
    text = _csv([["title", "body"], *[[f"T{n}", f"Body {n}."] for n in range(25)]])
    chunks = tabular.parse_chunks(text, size=10)
    first = next(chunks)
    assert [r.title for r in first.records] == [f"T{n}" for n in range(10)]
    assert sum(len(c.records) for c in chunks) == 15


def test_markup_in_cells_is_kept_as_text():
    text = _csv([["title", "body"], ["<script>alert(1)</script>", "<b>Bold</b> claim."]])
    [record] = tabular.parse(text).records
    assert record.title == "<script>alert(1)</script>"
    assert record.body == "<b>Bold</b> claim."


def test_controls_are_removed_from_every_field():
    text = _csv([["title", "body", "author", "desk"], ["A\x00B", "Te\x07xt.", "J\x1bD", "x\x00y"]])
    [record] = tabular.parse(text).records
    assert (record.title, record.body, record.author) == ("AB", "Text.", "JD")
    assert record.metadata["extra_fields"] == {"desk": "xy"}


def test_a_file_without_a_body_column_is_refused_before_reading_starts():
    """parse_chunks checks the header when called, so read_text_file refuses the file as
    a whole (nothing for the importer to open a transaction for)."""
    read = read_text_file("people.csv", b"name,email\nJane,j@example.com\n")
    assert read.reason.startswith("The CSV file has no “body”, “text” or “content” column")


def test_rows_stream_from_lines_as_they_are_read():
    """parse_lines takes an iterator of lines (a file on disk read as it goes); it has
    read only the top of it when it returns, and the rows come as they are consumed."""
    taken = []

    def lines():
        yield "title,body\n"
        for n in range(5000):
            taken.append(n)
            yield f'T{n},"Body {n},\nsecond line."\n'

    chunks = tabular.parse_lines(lines(), size=100)
    assert len(taken) < 5000  # only the sample so far
    first = next(chunks)
    assert first.records[0].body == "Body 0,\nsecond line."
    assert sum(len(c.records) for c in chunks) == 4900
    assert len(taken) == 5000


# --- repeated and blank header names: no cell lost under another's --------------------


def test_a_repeated_column_is_numbered_and_both_cells_kept():
    text = "title,body,notes,Notes\nDup col,Dup col body text,first note,second note\n"
    [record] = tabular.parse(text).records
    assert record.metadata["extra_fields"] == {"notes": "first note", "notes (2)": "second note"}


def test_a_second_body_column_is_kept_in_the_metadata():
    text = "title,body,body\nDup body,first body text,second body text\n"
    [record] = tabular.parse(text).records
    assert record.body == "first body text"
    assert record.metadata["extra_fields"] == {"body (2)": "second body text"}


def test_a_blank_header_name_is_named_by_its_place():
    """A filled cell under a blank name is kept; an empty one (a trailing delimiter on
    every line) holds nothing to keep."""
    text = ",body,,\nx,Empty hdr body,y,\n,Second body,,\n"
    first, second = tabular.parse(text).records
    assert first.metadata["extra_fields"] == {"column 1": "x", "column 3": "y"}
    assert "extra_fields" not in second.metadata


def test_a_numbered_name_does_not_take_a_name_the_header_writes():
    text = "body,notes,notes,notes (2)\nText.,a,b,c\n"
    [record] = tabular.parse(text).records
    assert record.metadata["extra_fields"] == {"notes": "a", "notes (3)": "b", "notes (2)": "c"}


@pytest.mark.django_db
def test_every_cell_of_repeated_and_blank_columns_is_stored(tmp_path):
    from annotations.models import Article
    from tests.import_helpers import run, write

    path = write(
        tmp_path / "dup.csv",
        "title,body,notes,notes,,body\nDup,Dup body text,first,second,third,other body\n",
    )
    assert run(path)[-1] == "1 created, 0 already present, 0 refused"
    assert Article.objects.get().import_metadata["extra_fields"] == {
        "notes": "first",
        "notes (2)": "second",
        "column 5": "third",
        "body (2)": "other body",
    }


def test_a_header_row_that_is_not_valid_csv_is_refused_before_any_row():
    """The header was read leniently, then strictly again by the row reader, whose
    csv.Error escaped as a traceback (found by test_import_limits' random bytes)."""
    read = read_text_file("a.csv", b'""title,body\nA,Body.\n')
    assert read.reason == "The CSV file's header row is not valid CSV (',' expected after '\"')."
