"""Values that are valid JSON syntax, or that json.loads reads, but cannot be kept
(importers/strict_json.py): a whole number too long for Python to convert; NaN,
Infinity, -Infinity and numbers too large for a float; a lone surrogate escape. Each
refuses its line (its item, its row, its task) by number, naming the field; the lines
beside it and the other files import."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.importers import (
    bulk_json,
    doccano,
    format_for,
    jsonl,
    labelstudio,
    tabular,
    w3c,
)
from annotations.importers.base import ImportRefused, LineError
from annotations.models import Article, ImportJob

from .import_helpers import run, stored, write

BIG = "9" * 5000  # over Python's 4,300 digits: json.loads raised a plain ValueError
TOO_LONG = "is a whole number 5,000 digits long, too long to read (at most 4,300 digits)"
NOT_JSON = "which is not valid JSON (write null for a missing number)"


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


# --- each format ------------------------------------------------------------------------


def test_a_jsonl_line_with_a_too_long_number_is_refused_by_number_naming_the_field():
    text = _lines(
        '{"body": "Fine first.", "n": 1}',
        '{"body": "Too long a number.", "count": ' + BIG + "}",
        '{"text": "Native line.", "id": ' + BIG + "}",
        '{"body": "Fine last."}',
    )
    result = jsonl.parse(text)
    assert [r.title for r in result.records] == ["Fine first.", "Fine last."]
    assert result.refused == [(2, f"“count” {TOO_LONG}"), (3, f"“id” {TOO_LONG}")]


def test_the_orjson_path_refuses_it_in_the_same_words():
    """orjson cannot read such a number either (it refuses it), so the line is read by
    json.loads, which refuses it by name: the same for a line read from its bytes."""
    line = '{"body": "Too long.", "spans": [], "x": {"deep": [' + BIG + "]}}"
    with pytest.raises(LineError) as refused:
        jsonl.parse_utf8_line(line.encode(), bytes.decode)
    assert str(refused.value) == f"“x.deep[0]” {TOO_LONG}"
    with pytest.raises(LineError) as again:
        jsonl.parse_line(line)
    assert str(again.value) == str(refused.value)


def test_an_item_of_a_json_array_is_refused_by_its_line_and_the_others_read():
    text = (
        '[\n{"title": "One", "body": "First."},\n'
        '{"title": "Two", "body": "Second.", "n": ' + BIG + "},\n"
        '{"title": "Three", "body": "Third."}\n]'
    )
    result = bulk_json.parse(text)
    assert [r.title for r in result.records] == ["One", "Three"]
    assert result.refused == [(3, f"“n” {TOO_LONG}")]


def test_a_csv_spans_cell_names_the_span_field():
    spans = json.dumps([{"start": 0, "end": 3, "label": "claim"}]).replace("3", BIG)
    text = f'title,body,spans\nOne,First.,\nTwo,Second.,"{spans.replace(chr(34), 2 * chr(34))}"\n'
    result = tabular.parse(text)
    assert [r.title for r in result.records] == ["One"]
    assert result.refused == [(3, f"“spans[0].end” {TOO_LONG}")]


def test_a_doccano_line_is_refused_by_number_and_the_file_still_sniffed_as_doccano():
    text = _lines(
        '{"text": "Kirby said.", "label": [[0, 5, "claim"]], "score": ' + BIG + "}",
        '{"text": "Second text.", "label": []}',
    )
    assert format_for("d.jsonl", text).name == doccano.NAME
    result = doccano.parse(text)
    assert [r.body for r in result.records] == ["Second text."]
    assert result.refused == [(1, f"“score” {TOO_LONG}")]


def test_a_label_studio_task_is_refused_by_number():
    text = json.dumps(
        [
            {"data": {"text": "First task.", "n": 0}, "annotations": []},
            {"data": {"text": "Second task."}, "annotations": []},
        ]
    ).replace('"n": 0', f'"n": {BIG}')
    result = labelstudio.parse(text)
    assert [r.body for r in result.records] == ["Second task."]
    assert result.refused == [(1, f"task 1: “data.n” {TOO_LONG}")]


def test_a_w3c_file_one_document_is_refused_whole_saying_where():
    text = json.dumps({"@context": w3c.VOCABULARIES[0], "type": "Annotation", "n": 0})
    with pytest.raises(ImportRefused) as refused:
        w3c.parse(text.replace('"n": 0', f'"n": {BIG}'))
    assert str(refused.value) == f"The W3C annotation file cannot be imported: “n” {TOO_LONG}."


def test_a_json_file_of_lines_whose_first_line_is_refused_is_still_jsonl():
    """bulk_json.sniff reads the first line to tell JSONL from a pretty-printed object;
    a number too long there made it take the file for one object (refused whole)."""
    text = _lines('{"body": "First.", "n": ' + BIG + "}", '{"body": "Second."}')
    assert format_for("lines.json", text).name == jsonl.NAME


# --- through the importer ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_refuses_the_line_and_imports_the_rest_and_the_other_files(tmp_path):
    """It used to die with a traceback (a ValueError only JSONDecodeError was caught for)."""
    bad = write(tmp_path / "a.jsonl", _lines('{"body": "Bad.", "n": ' + BIG + "}", '{"body": "A"}'))
    array = write(tmp_path / "b.json", '[{"body": "Bad item.", "n": ' + BIG + '}, {"body": "B"}]')
    good = write(tmp_path / "c.jsonl", _lines('{"body": "C"}'))
    lines = run(bad, array, good)
    assert f"refused: {bad}, line 1: “n” {TOO_LONG}" in lines
    assert f"refused: {array}, line 1: “n” {TOO_LONG}" in lines
    assert lines[-1] == "3 created, 0 already present, 2 refused"
    assert sorted(Article.objects.values_list("body", flat=True)) == ["A", "B", "C"]


@pytest.mark.django_db
def test_a_web_import_job_reports_the_line_and_finishes_the_other_files(
    editor_client, settings, tmp_path
):
    """On the web the whole job used to fail, the files after it never imported."""
    settings.VAR_DIR = tmp_path / "var"
    settings.FACTCHECK_IMPORT_BACKGROUND_BYTES = 10  # a job (run at once by the test backend)
    bad = _lines('{"body": "Bad.", "n": ' + BIG + "}", '{"body": "A"}')
    files = [
        SimpleUploadedFile("a.jsonl", bad.encode()),
        SimpleUploadedFile("b.jsonl", b'{"body": "B"}\n'),
    ]
    response = editor_client.post("/import/", {"files": files})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert [entry["refused_lines"] for entry in job.report] == [[[1, f"“n” {TOO_LONG}"]], []]
    assert sorted(Article.objects.values_list("body", flat=True)) == ["A", "B"]
    assert stored()[0] == 2


# --- NaN, Infinity, numbers beyond a float ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("NaN", f"is NaN, {NOT_JSON}"),
        ("Infinity", f"is Infinity, {NOT_JSON}"),
        ("-Infinity", f"is -Infinity, {NOT_JSON}"),
        ("1e400", "is the number 1e400, too large to keep (at most about 1.8e308)"),
        (
            "1" * 400 + ".5",
            "is the number 11111111111111111111… (402 characters), too large to keep "
            "(at most about 1.8e308)",
        ),
    ],
)
def test_a_jsonl_line_with_a_number_json_cannot_hold_is_refused_naming_it(value, problem):
    text = _lines(
        '{"body": "Fine first."}',
        '{"body": "Bad.", "scores": [1.5, {"x": ' + value + "}]}",
        '{"body": "Fine last.", "score": 0.25}',
    )
    result = jsonl.parse(text)
    assert [r.title for r in result.records] == ["Fine first.", "Fine last."]
    assert result.refused == [(2, f"“scores[1].x” {problem}")]


def test_the_first_of_several_is_named_even_behind_a_repeated_key():
    """A dict keeps a repeated key's last value: the message still finds the NaN."""
    result = jsonl.parse('{"body": "Bad.", "x": NaN, "y": Infinity, "x": 1}\n')
    assert result.refused == [(1, f"“x” is NaN, {NOT_JSON}")]


def test_nan_in_every_format_that_reads_json_refuses_its_record():
    array = bulk_json.parse('[{"body": "One", "x": NaN},\n {"body": "Two"}]')
    assert ([r.body for r in array.records], array.refused) == (
        ["Two"],
        [(1, f"“x” is NaN, {NOT_JSON}")],
    )
    csv = tabular.parse('title,body,spans\nOne,First.,\nTwo,Second.,"[{""x"": Infinity}]"\n')
    assert ([r.title for r in csv.records], csv.refused) == (
        ["One"],
        [(3, f"“spans[0].x” is Infinity, {NOT_JSON}")],
    )
    lines = doccano.parse(_lines('{"text": "A.", "label": [], "p": NaN}', '{"text": "B."}'))
    assert ([r.body for r in lines.records], lines.refused) == (
        ["B."],
        [(1, f"“p” is NaN, {NOT_JSON}")],
    )
    tasks = labelstudio.parse(
        '[{"data": {"text": "A."}, "annotations": [], "score": -Infinity},'
        ' {"data": {"text": "B."}, "annotations": []}]'
    )
    assert ([r.body for r in tasks.records], tasks.refused) == (
        ["B."],
        [(1, f"task 1: “score” is -Infinity, {NOT_JSON}")],
    )
    with pytest.raises(ImportRefused) as refused:
        w3c.parse(
            '{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "n": NaN}'
        )
    assert str(refused.value) == (
        f"The W3C annotation file cannot be imported: “n” is NaN, {NOT_JSON}."
    )


@pytest.mark.django_db
def test_nan_refuses_its_line_not_the_whole_file_with_a_false_message(tmp_path):
    """The NaN went into the metadata, the database's JSON check refused the row, and the
    whole file was refused: “another import may have stored the same articles…”."""
    nan = write(
        tmp_path / "nan.jsonl",
        _lines(
            '{"body": "NaN article here now.", "x": NaN, "y": Infinity}',
            '{"body": "Second fine line nan file."}',
        ),
    )
    other = write(tmp_path / "other.json", '[{"body": "Big.", "n": 1e400}, {"body": "Other."}]')
    lines = run(nan, other)
    assert lines == [
        f'created: {nan} — "Second fine line nan file." (1 refused)',
        f"refused: {nan}, line 1: “x” is NaN, {NOT_JSON}",
        f'created: {other} — "Other." (1 refused)',
        f"refused: {other}, line 1: “n” is the number 1e400, too large to keep "
        "(at most about 1.8e308)",
        "2 created, 0 already present, 2 refused",
    ]
    assert sorted(Article.objects.values_list("body", flat=True)) == [
        "Other.",
        "Second fine line nan file.",
    ]


# --- lone surrogate escapes -------------------------------------------------------------

LONE = "holds a lone surrogate escape ({}), which is not a character"


def test_a_lone_surrogate_escape_refuses_its_line_naming_the_field():
    """canonical_text turned it into U+FFFD without a word (orjson refuses the line, so
    json.loads reads it: the check is on that path only)."""
    text = _lines(
        '{"body": "Lone \\ud800 surrogate here.", "title": "T"}',
        '{"body": "Fine.", "title": "T\\udc00"}',
        '{"body": "A pair \\ud83d\\ude00 is one character.", "note": "\\\\ud800 is text"}',
    )
    result = jsonl.parse(text)
    assert result.refused == [
        (1, f"“body” {LONE.format(chr(92) + 'ud800')}"),
        (2, f"“title” {LONE.format(chr(92) + 'udc00')}"),
    ]
    [record] = result.records
    assert record.body == "A pair 😀 is one character."
    assert record.metadata["extra_fields"] == {"note": "\\ud800 is text"}


def test_a_lone_surrogate_in_a_field_name_or_deep_in_a_span_is_named():
    span = '{"start": 0, "end": 5, "label": "claim", "note": "x\\udfff"}'
    text = _lines(
        '{"body": "Kirby.", "k\\ud800": 1}', '{"text": "Kirby.", "spans": [' + span + "]}"
    )
    assert jsonl.parse(text).refused == [
        (1, f"the field name “k\\ud800” {LONE.format(chr(92) + 'ud800')}"),
        (2, f"“spans[0].note” {LONE.format(chr(92) + 'udfff')}"),
    ]


def test_a_lone_surrogate_in_the_other_formats_refuses_its_record():
    array = bulk_json.parse('[{"body": "One", "t": "\\ud800"},\n {"body": "Two"}]')
    assert ([r.body for r in array.records], array.refused) == (
        ["Two"],
        [(1, f"“t” {LONE.format(chr(92) + 'ud800')}")],
    )
    csv = tabular.parse('title,body,spans\nOne,First.,\nTwo,Second.,"[{""note"": ""\\ud800""}]"\n')
    assert ([r.title for r in csv.records], csv.refused) == (
        ["One"],
        [(3, f"“spans[0].note” {LONE.format(chr(92) + 'ud800')}")],
    )
    tasks = labelstudio.parse(
        '[{"data": {"text": "A.", "title": "\\udbff"}, "annotations": []},'
        ' {"data": {"text": "B."}, "annotations": []}]'
    )
    assert ([r.body for r in tasks.records], tasks.refused) == (
        ["B."],
        [(1, f"task 1: “data.title” {LONE.format(chr(92) + 'udbff')}")],
    )


@pytest.mark.django_db
def test_a_lone_surrogate_line_stores_nothing_and_the_rest_imports(tmp_path):
    path = write(
        tmp_path / "surr.jsonl",
        _lines('{"body": "Lone \\ud800 surrogate here.", "title": "T\\udc00"}', '{"body": "Ok"}'),
    )
    other = write(tmp_path / "other.jsonl", _lines('{"body": "Other"}'))
    lines = run(path, other)
    assert f"refused: {path}, line 1: “body” {LONE.format(chr(92) + 'ud800')}" in lines
    assert lines[-1] == "2 created, 0 already present, 1 refused"
    assert sorted(Article.objects.values_list("body", flat=True)) == ["Ok", "Other"]
    assert not Article.objects.filter(body__contains="\ufffd").exists()
