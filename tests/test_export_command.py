"""manage.py export_dataset (annotations/management/commands/export_dataset.py)."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotations.exporters import get_format
from tests.test_exporters import GOLDEN, build_dataset


@pytest.fixture
def dataset(db):
    return build_dataset()


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_dataset", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def golden(name: str) -> str:
    return (GOLDEN / f"dataset.{get_format(name).extension}").read_bytes().decode("utf-8")


def test_it_writes_jsonl_to_standard_output_by_default(dataset):
    """Without --output the dataset goes to stdout, exactly the golden JSONL, and stderr
    stays quiet so the output can be piped."""
    out, err = run()
    assert out == golden("jsonl")
    assert err == ""


@pytest.mark.parametrize("name", ["csv", "w3c", "conll"])
def test_dash_means_standard_output_for_every_format(dataset, name):
    """--output - writes the chosen format to stdout."""
    out, _ = run("--format", name, "--output", "-")
    assert out == golden(name)


def test_it_writes_a_file_and_prints_a_summary_line(dataset, tmp_path):
    """With --output FILE the file holds the export, a summary line (articles and spans
    written) goes to stderr, and no temporary file is left next to it."""
    target = tmp_path / "dataset.jsonl"
    out, err = run("--format", "jsonl", "--output", str(target))
    assert target.read_bytes().decode("utf-8") == golden("jsonl")
    assert out == ""
    assert err.startswith(f"Wrote 3 articles and 5 spans as jsonl to {target} in ")
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.jsonl"]


def test_filters_narrow_the_export(dataset, tmp_path):
    """--label, --reviewer, --since/--until, --status and --article filter like the page."""
    out, _ = run(
        "--label",
        "claim",
        "--reviewer",
        "oscar",
        "--since",
        "2026-11-25",
        "--until",
        "2026-11-25",
        "--status",
        "in_review",
    )
    assert [
        (r["id"], [s["id"] for s in r["spans"]]) for r in map(json.loads, out.splitlines())
    ] == [(9002, [7005])]
    out, _ = run("--article", "9002,9003", "--article", "9001")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [9001, 9002, 9003]
    out, _ = run("--label", "claim", "--label", "denial", "--format", "doccano")
    assert [len(json.loads(line)["label"]) for line in out.splitlines()] == [3, 1]


def test_base_url_turns_json_ld_ids_into_links(dataset):
    """--base-url makes W3C ids point at the site's review pages (the article's first
    annotation gives it with its text, the next ones by that id)."""
    out, _ = run("--format", "w3c", "--base-url", "https://factcheck.example/")
    items = json.loads(out)["first"]["items"]
    assert items[0]["id"] == "https://factcheck.example/annotations/7002/"
    assert items[0]["target"]["source"]["id"] == "https://factcheck.example/articles/9001/"
    assert items[1]["target"]["source"] == "https://factcheck.example/articles/9001/"


def test_an_unknown_format_is_a_clear_error(dataset):
    """--format xml fails before anything is written, listing the known formats."""
    with pytest.raises(CommandError) as error:
        run("--format", "xml")
    message = str(error.value)
    assert message.startswith("--format: Unknown export format “xml”. Known formats: jsonl, csv,")
    assert "conll" in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label", "rumour"], "--label: There is no label “rumour”. Known labels: claim, denial"),
        (["--status", "done"], "--status: Select a valid choice. done is not one of"),
        (["--reviewer", "nobody"], "--reviewer: Nobody called “nobody” has annotated anything."),
        (["--since", "28/11/2026"], "--since: Enter a valid date."),
        (
            ["--since", "2026-11-30", "--until", "2026-11-01"],
            "--until: The annotation range ends before it starts.",
        ),
        (["--article", "12a"], "--article: Article ids are whole numbers"),
        (["--article", "404"], "--article: No article with id 404."),
    ],
)
def test_a_bad_filter_is_a_clear_error_naming_the_option(dataset, args, message):
    """Each bad filter fails with the page's message, prefixed by the option to fix."""
    with pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value).startswith(message)


def test_a_missing_folder_is_a_clear_error(dataset, tmp_path):
    """Writing into a folder that does not exist says so instead of a traceback."""
    with pytest.raises(CommandError, match="does not exist"):
        run("--output", str(tmp_path / "nope" / "out.jsonl"))


def test_an_interrupted_export_leaves_no_file_behind(dataset, tmp_path, monkeypatch):
    """If the export fails half-way, neither a truncated file nor a temporary one remains,
    and an earlier file of that name is left as it was."""
    from annotations.exporters.formats import jsonl

    def failing(articles, options):
        yield "partial line\n"
        raise RuntimeError("database went away")

    monkeypatch.setattr(
        "annotations.forms_export.get_format",
        lambda name: dataclasses.replace(jsonl.FORMAT, render=failing),
    )
    target = tmp_path / "dataset.jsonl"
    target.write_text("the previous export\n")
    with pytest.raises(RuntimeError):
        run("--output", str(target))
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.jsonl"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--until", "9999-12-31"],
            "--until: Enter a day from 1900-01-01 to 2999-12-31; 9999-12-31 is outside that range.",
        ),
        (["--since", "0001-01-01"], "--since: Enter a day from 1900-01-01 to 2999-12-31;"),
        (["--published-until", "9999-12-31"], "--published-until: Enter a day from 1900-01-01"),
        (["--published-since", "0001-01-01"], "--published-since: Enter a day from 1900-01-01"),
        (
            ["--article", "99999999999999999999"],
            "--article: Article ids go from 1 to 9223372036854775807 (the database's id range)",
        ),
        (["--reviewer", "ri\x00ta"], "--reviewer: A reviewer's name cannot contain control"),
    ],
)
def test_a_filter_out_of_range_is_an_error_and_writes_nothing(dataset, tmp_path, args, message):
    """Days outside 1900-01-01..2999-12-31 and ids outside the BigAutoField range fail with
    a CommandError naming the option, before the output file is even created."""
    target = tmp_path / "dataset.jsonl"
    with pytest.raises(CommandError) as error:
        run(*args, "--output", str(target))
    assert str(error.value).startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_start_up_objects_are_frozen_during_the_export_and_given_back(dataset, monkeypatch):
    """While the rows are written, what existed before is out of the collector's reach
    (gc.freeze); afterwards, even when the export fails, it is collectable again."""
    import gc

    from annotations.exporters.formats import jsonl

    frozen = []

    def watching(articles, options):
        frozen.append(gc.get_freeze_count())
        yield from jsonl.FORMAT.render(articles, options)

    monkeypatch.setattr(
        "annotations.forms_export.get_format",
        lambda name: dataclasses.replace(jsonl.FORMAT, render=watching),
    )
    assert gc.get_freeze_count() == 0
    out, _ = run()
    assert out.count("\n") == 3  # the dataset's three articles
    assert frozen[0] > 10_000 and gc.get_freeze_count() == 0

    def failing(articles, options):
        frozen.append(gc.get_freeze_count())
        raise RuntimeError("database went away")
        yield ""

    monkeypatch.setattr(
        "annotations.forms_export.get_format",
        lambda name: dataclasses.replace(jsonl.FORMAT, render=failing),
    )
    with pytest.raises(RuntimeError):
        run()
    assert frozen[1] > 10_000 and gc.get_freeze_count() == 0


def test_csv_raw_writes_cells_exactly_as_stored(dataset):
    """--csv-raw keeps a formula-like cell as stored; without it the cell gets a "'"."""
    from annotations.models import Annotation

    Annotation.objects.filter(pk=7001).update(note="@SUM(A1)")
    safe, _ = run("--format", "csv")
    raw, _ = run("--format", "csv", "--csv-raw")
    assert ",'@SUM(A1)," in safe and ",@SUM(A1)," not in safe
    assert ",@SUM(A1)," in raw


# --- binary output and standard output ----------------------------------------------------


class FakeStdout(io.TextIOWrapper):
    """Standard output as the command sees it: text over a byte buffer, a terminal or not."""

    def __init__(self, *, terminal: bool):
        super().__init__(io.BytesIO(), encoding="utf-8")
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal

    def written(self) -> bytes:
        self.flush()
        return self.buffer.getvalue()


BINARY = [
    (["--format", "datapackage"], "--format datapackage: the output is binary data"),
    (["--format", "parquet"], "--format parquet: the output is binary data"),
    (["--format", "spacy"], "--format spacy: the output is binary data"),
    (["--format", "csv", "--gzip"], "--gzip: the output is gzip-compressed data"),
]


def test_every_binary_format_is_in_the_list():
    """The refusal covers each binary format registered (a new one joins BINARY)."""
    from annotations.exporters import all_formats

    binary = {f.name for f in all_formats() if getattr(f, "binary", False)}
    assert binary == {args[1] for args, _ in BINARY if "--gzip" not in args}


@pytest.mark.parametrize(("args", "message"), BINARY)
def test_binary_output_to_a_terminal_is_refused_before_anything_is_written(dataset, args, message):
    """-o - on a terminal: a clear error (exit status 1), not a byte on the screen and no
    export recorded."""
    from annotations.models import ExportRecord

    stdout = FakeStdout(terminal=True)
    with pytest.raises(CommandError) as error:
        call_command("export_dataset", *args, "-o", "-", stdout=stdout, stderr=io.StringIO())
    assert str(error.value) == (
        f"{message}, not written to a terminal; use --output FILE, or redirect standard "
        "output to a file or a pipe."
    )
    assert error.value.returncode == 1
    assert stdout.written() == b""
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize(("args", "message"), BINARY)
def test_binary_output_to_a_text_only_stream_is_refused(dataset, args, message):
    """A stdout with no bytes under it (a StringIO) cannot take a ZIP or gzip either."""
    from annotations.models import ExportRecord

    stdout = io.StringIO()
    option = message.split(":")[0]
    with pytest.raises(CommandError) as error:
        call_command("export_dataset", *args, stdout=stdout, stderr=io.StringIO())
    assert (
        str(error.value) == f"{option}: standard output is not a binary stream; use --output FILE."
    )
    assert stdout.getvalue() == ""
    assert not ExportRecord.objects.exists()


def test_binary_output_redirected_to_a_file_or_a_pipe_is_written(dataset, tmp_path):
    """`> out.parquet` or `| gunzip`: not a terminal, so the bytes go out as they are,
    the same as --output FILE writes."""
    import gzip
    import zipfile

    for args, check in (
        (["--format", "datapackage"], lambda data: zipfile.is_zipfile(io.BytesIO(data))),
        (["--format", "parquet"], lambda data: data[:4] == data[-4:] == b"PAR1"),
        (
            ["--format", "csv", "--gzip"],
            lambda data: gzip.decompress(data) == golden("csv").encode("utf-8"),
        ),
    ):
        stdout = FakeStdout(terminal=False)
        call_command("export_dataset", *args, "-o", "-", stdout=stdout, stderr=io.StringIO())
        assert check(stdout.written()), args
    # A text format still goes to a terminal.
    stdout = FakeStdout(terminal=True)
    call_command("export_dataset", "-o", "-", stdout=stdout, stderr=io.StringIO())
    assert stdout.written().decode("utf-8") == golden("jsonl")
