"""A JSONL file streamed from disk (importers/streaming.py) decides its encoding as a
file read whole does (decoding.py): a top that is ASCII leaves it open, and the first
line that is not UTF-8 but clean Windows-1252 turns the rest of the file to
Windows-1252, which the report then says; a file that held UTF-8 beyond ASCII before
mixes encodings, and the line is refused as before."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Article, ImportJob

from .import_helpers import run, write

pytestmark = pytest.mark.django_db

LINES = 3000  # about 330 KB: past the 256 KB top the encoding is decided from
TURNED = (
    "  read as cp1252 (undeclared Windows-1252 from line 3001 on; the lines before it are "
    "ASCII, which reads the same)"
)


def _ascii_top(accent: str = "") -> bytes:
    """LINES lines of ASCII (the first with `accent`, in UTF-8, when given)."""
    rows = (
        {"title": f"T{i}", "body": f"Body number {i}{accent if i == 0 else ''}. " + "x" * 80}
        for i in range(LINES)
    )
    return ("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n").encode()


def _cp1252_line(title: str, body: str) -> bytes:
    return json.dumps({"title": title, "body": body}, ensure_ascii=False).encode("cp1252") + b"\n"


def test_a_windows_1252_line_below_an_ascii_top_turns_the_file_to_windows_1252(tmp_path):
    """As at the top of the file, where the same line is read as Windows-1252; before,
    it was refused as “not valid UTF-8”."""
    path = write(tmp_path / "late.jsonl", _ascii_top() + _cp1252_line("Late café", "Le “café”."))
    lines = run(path)
    assert lines == [
        f'created: {path} — 3001 articles: "T0", "T1", "T2" and 2998 more',
        TURNED,
        lines[-1],
    ]
    assert lines[-1] == "3001 created, 0 already present, 0 refused"
    late = Article.objects.get(title="Late café")
    assert late.body == "Le “café”."
    assert late.import_metadata["encoding"] == "cp1252"
    # Read in an earlier chunk, as UTF-8: true of ASCII too.
    assert Article.objects.get(title="T0").import_metadata["encoding"] == "utf-8"


def test_after_the_turn_a_line_of_utf8_is_refused_not_read_as_mojibake(tmp_path):
    path = write(
        tmp_path / "late.jsonl",
        _ascii_top()
        + _cp1252_line("Late café", "Le café.")
        + '{"title": "Mixed", "body": "café in UTF-8"}\n'.encode()
        + b'{"title": "Plain", "body": "ASCII again."}\n',
    )
    lines = run(path)
    assert (
        f"refused: {path}, line 3002: the line is not valid Windows-1252 (at column 32: bytes "
        "0xC3 0xA9, which are UTF-8); save the file as UTF-8"
    ) in lines
    assert lines[-1] == "3002 created, 0 already present, 1 refused"
    assert not Article.objects.filter(title="Mixed").exists()
    assert Article.objects.filter(title__in=["Late café", "Plain"]).count() == 2


def test_a_line_neither_utf8_nor_windows_1252_is_refused_and_a_later_one_still_turns_it(tmp_path):
    path = write(
        tmp_path / "late.jsonl",
        _ascii_top()
        + b'{"title": "Undefined", "body": "caf\x81"}\n'  # 0x81: no character in 1252
        + _cp1252_line("Late café", "Le café."),
    )
    lines = run(path)
    assert (
        f"refused: {path}, line 3001: the line is not valid UTF-8 (byte 0x81 at column 36); "
        "save the file as UTF-8"
    ) in lines
    assert TURNED.replace("3001", "3002") in lines
    assert lines[-1] == "3001 created, 0 already present, 1 refused"
    assert Article.objects.get(title="Late café").body == "Le café."


def test_a_file_with_utf8_beyond_ascii_above_is_mixed_and_the_line_refused(tmp_path):
    path = write(tmp_path / "mixed.jsonl", _ascii_top(" — déjà vu") + _cp1252_line("L", "café"))
    lines = run(path)
    assert (
        f"refused: {path}, line 3001: the line is not valid UTF-8 (byte 0xE9 at column 28); "
        "save the file as UTF-8"
    ) in lines
    assert not any(line.startswith("  read as") for line in lines)
    assert lines[-1] == "3000 created, 0 already present, 1 refused"
    assert not Article.objects.filter(title="L").exists()


def test_a_windows_1252_file_refuses_a_later_line_of_utf8(tmp_path):
    """Its top decided Windows-1252; a line of UTF-8 further down was read as mojibake
    (“cafÃ©”), where the file read whole is refused."""
    top = b"".join(_cp1252_line(f"T{i}", f"Le café numéro {i}. " + "x" * 80) for i in range(LINES))
    path = write(
        tmp_path / "cp.jsonl", top + '{"title": "Mixed", "body": "café"}\n'.encode() + b"\n"
    )
    lines = run(path)
    assert lines[1] == "  read as cp1252 (undeclared Windows-1252)"
    assert (
        f"refused: {path}, line 3001: the line is not valid Windows-1252 (at column 32: bytes "
        "0xC3 0xA9, which are UTF-8); save the file as UTF-8"
    ) in lines
    assert lines[-1] == "3000 created, 0 already present, 1 refused"
    assert not Article.objects.filter(title="Mixed").exists()


def test_the_web_report_gives_the_encoding_the_file_turned_to(editor_client, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.FACTCHECK_IMPORT_BACKGROUND_BYTES = 10  # a job, whose worker streams the file
    data = _ascii_top() + _cp1252_line("Late café", "Le café.")
    editor_client.post("/import/", {"files": [SimpleUploadedFile("late.jsonl", data)]})
    [entry] = ImportJob.objects.get().report
    assert (entry["encoding"], entry["how"], entry["created"]) == (
        "cp1252",
        TURNED.split("(", 1)[1].rstrip(")"),
        3001,
    )
