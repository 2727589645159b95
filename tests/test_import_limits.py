"""One set of limits for every import, and the parsing side of the issue's bad inputs."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from annotations.importers import jsonl, limits, plaintext
from annotations.importers.base import ImportRefused
from annotations.importers.checks import record_problem
from annotations.importers.reading import read_file, read_text_file


def test_file_size_limit_defaults_to_10_mb():
    assert limits.max_file_bytes() == 10 * 1024 * 1024
    assert limits.file_size_problem(10 * 1024 * 1024) is None
    assert limits.file_size_problem(25 * 1024 * 1024) == (
        "The file is 25 MB; files of at most 10 MB can be imported. Split it into smaller files."
    )


def test_file_size_is_checked_before_the_file_is_read(settings, monkeypatch):
    """read_file refuses by length before decoding (the command and the page alike)."""
    settings.FACTCHECK_IMPORT_MAX_FILE_BYTES = 1000
    monkeypatch.setattr(
        "annotations.importers.reading.decode_bytes", lambda *a, **k: pytest.fail("decoded")
    )
    [read] = list(read_file("big.txt", b"x" * 1001))
    assert read.reason == (
        "The file is 1001 bytes; files of at most 1000 bytes can be imported. "
        "Split it into smaller files."
    )


def test_upload_total_limit(settings):
    settings.FACTCHECK_IMPORT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    assert limits.upload_size_problem(5 * 1024 * 1024) is None
    assert limits.upload_size_problem(6 * 1024 * 1024) == (
        "The files add up to 6 MB; at most 5 MB can be imported at once. "
        "Import them in smaller batches."
    )


@pytest.mark.parametrize(
    "size, shown",
    [(999, "999 bytes"), (1536, "1.5 KB"), (10 * 1024**2, "10 MB"), (3 * 1024**3, "3 GB")],
)
def test_sizes_are_shown_for_people(size, shown):
    assert limits.human_size(size) == shown


def test_json_depth_is_measured_without_parsing():
    assert not limits.json_depth_exceeded('{"a": [1, {"b": [2]}]}')
    assert limits.json_depth_exceeded("[" * 65 + "]" * 65)
    assert not limits.json_depth_exceeded("[" * 64 + "]" * 64)
    # Brackets in strings are text, escaped quotes included.
    assert not limits.json_depth_exceeded(json.dumps({"t": '\\"' + "[" * 1000}))


def test_a_line_over_the_length_bound_is_refused_by_its_number(monkeypatch):
    monkeypatch.setattr(limits, "MAX_LINE_CHARS", 1000)
    long_line = json.dumps({"title": "T", "body": "x " * 600})
    result = jsonl.parse(json.dumps({"title": "A", "body": "a"}) + "\n" + long_line)
    assert [r.title for r in result.records] == ["A"]
    assert result.refused == [
        (
            2,
            f"the line is {len(long_line):,} characters long (at most 1,000); "
            "is the file one article per line?",
        )
    ]


def test_a_1_mb_line_without_spaces_is_refused_clearly():
    """As plain text (the whole file) and as a JSONL body: not text a reviewer can read."""
    blob = "x" * 1_000_000
    [record] = plaintext.parse("Title\n" + blob).records
    assert record_problem(record, label_slugs=set()) == (
        "the text has 1,000,000 characters in a row without a space (at most 10,000): "
        "it is not text a reviewer can read"
    )
    [record] = jsonl.parse(json.dumps({"title": "T", "body": f"Start {blob} end"})).records
    assert "1,000,000 characters in a row" in record_problem(record, label_slugs=set())


def test_long_urls_and_words_are_fine():
    body = "See https://example.com/?utm=" + "a" * 3000 + " for details."
    [record] = jsonl.parse(json.dumps({"title": "T", "body": body})).records
    assert record_problem(record, label_slugs=set()) is None


@pytest.mark.parametrize(
    "paragraph",
    ["北京市政府周四表示，新桥梁已通过安全检查。" * 1000, "สะพานปลอดภัยแล้ว" * 1000],
)
def test_scripts_written_without_spaces_are_not_long_runs(paragraph):
    """Chinese or Thai paragraphs have no spaces at all; they are text, not a blob."""
    assert len(paragraph) > limits.MAX_WORD_CHARS
    [record] = jsonl.parse(json.dumps({"title": "T", "body": paragraph})).records
    assert record_problem(record, label_slugs=set()) is None


def test_the_long_run_is_measured_to_its_end():
    body = "Start " + "x" * 12_345 + " end"
    assert limits.long_run_problem(body, "body").startswith("the body has 12,345 characters")


def test_a_10000_character_title_is_refused_naming_the_field():
    [record] = jsonl.parse(json.dumps({"title": "t" * 10_000, "body": "Body."})).records
    assert record_problem(record, label_slugs=set()) == (
        "“title” is 10,000 characters long (at most 500)"
    )


# --- the bad files, as read_text_file answers them ----------------------------------


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "The file is empty."),
        ("blank.txt", b" \n\t\n", "The file has no text (only white space)."),
        ("blank.csv", b" \n\n", "The CSV file has no header row naming its columns."),
        (
            "binary.txt",
            b"GIF89a\x01\x00\x01\x00\x00\xff\x00",
            "The file looks binary: it contains NUL bytes (first at byte 7). "
            "Only text files can be imported.",
        ),
        (
            "nul.jsonl",
            b'{"title": "A", "body": "a\x00b"}',
            "The file looks binary: it contains NUL bytes (first at byte 25). "
            "Only text files can be imported.",
        ),
        (
            "bad.txt",
            b"Title\nabc \x81\x8d\xe9\xc3\xa9",
            "The file is not valid UTF-8 (line 2, byte 10: byte 0x81) and does not declare its "
            "character set. Save it as UTF-8 and import it again.",
        ),
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n",
            "Cannot import “.png” files; accepted: .csv, .htm, .html, .json, .jsonl, .jsonld, "
            ".ndjson, .tsv, .txt, .xhtml, .zip.",
        ),
    ],
)
def test_bad_files_are_refused_before_any_record(name, data, reason):
    read = read_text_file(name, data)
    if read.reason == "":
        with pytest.raises(Exception) as refused:
            list(read.chunks)  # a lazy format refuses on its first chunk, before any record
        assert str(refused.value) == reason
    else:
        assert read.reason == reason


def test_malformed_jsonl_line_is_named_and_the_others_parse():
    text = "\n".join(
        [json.dumps({"title": "A", "body": "a"}), "{oops", json.dumps({"title": "B", "body": "b"})]
    )
    result = jsonl.parse(text)
    assert [r.line for r in result.records] == [1, 3]
    assert result.refused == [
        (2, "not valid JSON (Expecting property name enclosed in double quotes at column 2)")
    ]


# --- whatever the bytes, a message, never a crash -------------------------------------------

_PIECES = st.sampled_from(
    [
        b"[",
        b"]",
        b"{",
        b"}",
        b'"',
        b",",
        b"\n",
        b"\r\n",
        b";",
        b"\t",
        b"title,body\n",
        b'{"title": "T", "body": "b"}',
        b"<html><body><p>",
        b"</p>",
        b"<br><br>",
        b"<svg>",
        b"<li>",
        b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "x"}</script>',
        b"By Jane Doe, 14 March 2024\n",
        b"\xef\xbb\xbf",
        b"\xe9",
        b"\x81",
        b"\x00",
        "café “x”".encode(),
        b"word " * 10,
    ]
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["a.txt", "a.csv", "a.json", "a.jsonl", "a.html", "a.tsv"]),
    data=st.lists(_PIECES, max_size=40).map(b"".join),
)
def test_any_bytes_give_records_or_a_message(name, data):
    """Decoding, choosing the format and parsing never raise anything but a refusal with
    a message (no RecursionError, csv.Error, UnicodeError or IndexError)."""
    read = read_text_file(name, data)
    messages = [read.reason] if read.reason else _parse_messages(read.chunks)
    assert all(isinstance(message, str) and message.strip() for message in messages)


def _parse_messages(chunks) -> list[str]:
    """Each refused line's reason, or the refusal of the whole file part-way."""
    messages: list[str] = []
    try:
        for chunk in chunks:
            messages.extend(reason for _, reason in chunk.refused)
    except ImportRefused as refused:
        messages.append(str(refused))
    return messages
