"""ZIP archives: members read in memory by name, with limits, bad names refused."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from annotations.importers import archive
from annotations.importers.base import ImportRefused
from annotations.importers.reading import read_file

from .test_import_html import FIXTURES


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def test_members_of_every_format_are_read_nested_folders_included():
    data = _zip(
        {
            "batch/2024/march/page.html": (FIXTURES / "news_page.html").read_bytes(),
            "batch/sheet.csv": b"title,body\nOne,First body.\n",
            "batch/notes.txt": b"Title\nBy Jane Doe\n\nSome text.",
            "batch/lines.jsonl": json.dumps({"title": "J", "body": "Line body."}).encode(),
            "batch/": b"",
        }
    )
    read = {r.name: r for r in read_file("upload.zip", data)}
    assert set(read) == {
        "upload.zip/batch/2024/march/page.html",
        "upload.zip/batch/sheet.csv",
        "upload.zip/batch/notes.txt",
        "upload.zip/batch/lines.jsonl",
    }
    formats = {name: r.format for name, r in read.items()}
    assert formats["upload.zip/batch/2024/march/page.html"] == "html"
    assert formats["upload.zip/batch/sheet.csv"] == "csv"
    assert formats["upload.zip/batch/notes.txt"] == "plain-text"
    titles = [rec.title for r in read.values() for chunk in r.chunks for rec in chunk.records]
    assert sorted(titles) == ["Bridge declared safe after inspection", "J", "One", "Title"]


def test_unsupported_and_hidden_members_are_skipped_and_listed():
    data = _zip(
        {
            "a.txt": b"Title\nText.",
            "photo.png": b"\x89PNG\r\n\x1a\n",
            "inner.zip": _zip({"b.txt": b"B\nb"}),
            ".DS_Store": b"\x00\x00",
            "__MACOSX/._a.txt": b"\x00",
        }
    )
    read = list(read_file("u.zip", data))
    skipped = {r.name: r.reason for r in read if r.skipped}
    assert skipped == {
        "u.zip/photo.png": (
            "Skipped: Cannot import “.png” files; accepted: .csv, .htm, .html, .json, "
            ".jsonl, .jsonld, .ndjson, .tsv, .txt, .xhtml, .zip."
        ),
        "u.zip/inner.zip": "Skipped: archives inside archives are not opened.",
    }
    assert [r.name for r in read if not r.skipped] == ["u.zip/a.txt"]


@pytest.mark.parametrize(
    "name, why",
    [
        ("../../x.txt", "climbs out of the archive (“..”)"),
        ("ok/../../x.txt", "climbs out of the archive (“..”)"),
        ("/etc/x.txt", "has an absolute path"),
        ("C:/x.txt", "has an absolute path"),
    ],
)
def test_members_named_outside_the_archive_refuse_it_before_any_is_read(name, why):
    data = _zip({"first.txt": b"Title\nText.", name: b"Title\nEvil."})
    read = list(read_file("u.zip", data))
    assert len(read) == 1  # nothing of the archive, not even its good first member
    assert read[0].name == "u.zip"
    assert read[0].reason == f"The archive was refused: the archive member “{name}” {why}."


def test_zip_bomb_is_refused_from_its_stated_sizes():
    bomb = _zip({"bomb.txt": b"0" * (50 * 1024 * 1024)})
    assert len(bomb) < 100_000
    [read] = list(read_file("bomb.zip", bomb))
    assert "looks like a “zip bomb”" in read.reason


def test_member_lying_about_its_size_is_refused(settings):
    """A header that claims 1 MB for 3 MB of data: zipfile stops at the stated size and
    its CRC check fails, and the archive is refused with the member named."""
    settings.FACTCHECK_IMPORT_ZIP_MAX_RATIO = 2
    data = _zip({"a.txt": b"a" * (3 * 1024 * 1024)})
    real = (3 * 1024 * 1024).to_bytes(4, "little")
    patched = data.replace(real, (1024 * 1024).to_bytes(4, "little"))  # both headers
    with pytest.raises(ImportRefused) as refused:
        list(archive.iter_members(patched))
    assert str(refused.value) == (
        "The archive member “a.txt” cannot be read (Bad CRC-32 for file 'a.txt')."
    )


def test_capped_stream_stops_past_its_budget():
    """The second guard: however a member states its size, no more than the budget (+1
    byte) of it is decompressed."""
    data = _zip({"a.txt": b"a" * 100_000})
    with (
        zipfile.ZipFile(io.BytesIO(data)) as z,
        pytest.raises(ImportRefused, match="decompresses to more than it says"),
    ):
        archive._read_capped(z, z.infolist()[0], budget=1000)


def test_too_many_members_or_bytes_are_refused(settings):
    settings.FACTCHECK_IMPORT_ZIP_MAX_MEMBERS = 3
    data = _zip({f"{n}.txt": b"T\nt" for n in range(4)})
    [read] = list(read_file("many.zip", data))
    assert read.reason == "The archive holds 4 files; at most 3 can be imported from one archive."

    settings.FACTCHECK_IMPORT_ZIP_MAX_MEMBERS = 100
    settings.FACTCHECK_IMPORT_ZIP_MAX_TOTAL_BYTES = 1000
    data = _zip({"a.txt": b"T\n" + b"x " * 400, "b.txt": b"T\n" + b"y " * 400})
    [read] = list(read_file("big.zip", data))
    assert read.reason == (
        "The archive holds 1.6 KB once decompressed; at most 1000 bytes can be imported "
        "from one archive."
    )


def test_not_a_zip_is_refused():
    [read] = list(read_file("broken.zip", b"PK\x03\x04 this is not really a zip"))
    assert read.reason == "The file is not a ZIP archive that can be read."


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    """Members are read by name into memory: extract() is never called."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(zipfile.ZipFile, "extract", lambda *a, **k: pytest.fail("extracted"))
    monkeypatch.setattr(zipfile.ZipFile, "extractall", lambda *a, **k: pytest.fail("extracted"))
    members = list(archive.iter_members(_zip({"d/a.txt": b"T\nt"})))
    assert [(m.name, m.data) for m in members] == [("d/a.txt", b"T\nt")]
    assert list(tmp_path.iterdir()) == []


def test_damaged_archives_are_refused_with_a_message():
    """Random bytes changed in a good archive: a refusal or the members, never a crash
    (fuzzing found zlib.error, a ValueError from a negative seek, NotImplementedError)."""
    import random

    base = _zip({"a/b.txt": b"Title\nSome text here. " * 20, "c.csv": b"title,body\nx,y\n"})
    rnd = random.Random(4)
    for _ in range(1500):
        data = bytearray(base)
        for _ in range(rnd.randint(1, 6)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        for read in read_file("f.zip", bytes(data)):
            if read.reason:
                continue
            try:  # a format that parses as it goes may refuse the member part-way
                reasons = [reason for chunk in read.chunks for _, reason in chunk.refused]
            except ImportRefused as refused:
                reasons = [str(refused)]
            assert all(reasons)
