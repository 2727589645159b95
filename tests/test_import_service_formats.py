"""Issue 9, the storing side: every format through the registry into the database, the
encoding in the report, identity by canonical URL, --atomic, and each bad input of the
issue that reaches storage: its message, and proof that nothing partial was stored."""

from __future__ import annotations

import json
import os

import pytest

from annotations.importers import accounts, revising, service
from annotations.models import Annotation, Article

from .import_helpers import run, stored, write, zip_bytes
from .test_import_html import FIXTURES

pytestmark = pytest.mark.django_db

GOOD = "Good\nA good article about the harbour."


def jsonl(*objects) -> str:
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in objects)


# --- formats ---------------------------------------------------------------------------------


def test_html_page_is_stored_with_its_metadata(tmp_path):
    path = write(tmp_path / "news.html", (FIXTURES / "news_page.html").read_bytes())
    lines = run(path)
    assert lines[0].startswith(f'created: {path} — "Bridge declared safe after inspection"')
    article = Article.objects.get()
    assert article.import_metadata["source_file"] == str(path)
    assert article.canonical_url == "https://news.example.com/2024/03/bridge-safe"
    assert "said chief engineer María López, adding" in article.body


def test_bulk_jsonl_with_title_and_body_is_stored(tmp_path):
    path = write(
        tmp_path / "dump.jsonl",
        jsonl(
            {"title": "One", "body": "First body text.", "section": "city"},
            {"title": "Two", "content": "Second body text."},
        ),
    )
    assert run(path)[-1] == "2 created, 0 already present, 0 refused"
    one = Article.objects.get(title="One")
    assert one.body == "First body text."
    assert one.import_metadata["extra_fields"] == {"section": "city"}


def test_csv_rows_are_stored(tmp_path):
    path = write(
        tmp_path / "sheet.csv",
        'title,body,author\n"Row, one","Line one\nline two",Ana\nRow two,Plain body,\n',
    )
    assert run(path)[-1] == "2 created, 0 already present, 0 refused"
    assert Article.objects.get(title="Row, one").body == "Line one\nline two"


def test_zip_members_are_imported_and_other_kinds_skipped(tmp_path):
    data = zip_bytes(
        {
            "a/one.txt": "One\nFirst text.",
            "b.jsonl": jsonl({"title": "Two", "body": "Second."}),
            "photo.png": b"\x89PNG",
        }
    )
    path = write(tmp_path / "batch.zip", data)
    lines = run(path)
    assert f'created: {path}/a/one.txt — "One"' in lines
    assert f'created: {path}/b.jsonl — "Two"' in lines
    assert any(
        line.startswith(f"skipped: {path}/photo.png: Skipped: Cannot import") for line in lines
    )
    assert lines[-1] == "2 created, 0 already present, 0 refused"


def test_windows_1252_text_is_read_and_the_report_says_so(tmp_path):
    path = write(tmp_path / "latin.txt", "Titre\nLe café “ouvert”.".encode("cp1252"))
    lines = run(path)
    assert lines[0] == f'created: {path} — "Titre"'
    assert lines[1] == "  read as cp1252 (undeclared Windows-1252)"
    assert Article.objects.get().body == "Le café “ouvert”."


def test_plain_text_byline_becomes_author(tmp_path):
    path = write(
        tmp_path / "byline.txt",
        "Harbour news\nBy Ana Pérez, 14 March 2024\n\nThe bridge is safe, engineers said.",
    )
    run(path)
    article = Article.objects.get()
    assert article.author == "Ana Pérez"
    assert article.published_at.date().isoformat() == "2024-03-14"


def test_a_large_jsonl_is_streamed_from_disk(tmp_path, monkeypatch):
    """A JSONL file is read line by line (importers/streaming.py): the bytes are never
    read whole, and a line invalid in the file's encoding is refused by its number (here
    the file is UTF-8 beyond ASCII from its first line, so a Windows-1252 line is not
    read as such: tests/test_import_streaming.py has the file whose top is ASCII)."""
    path = write(
        tmp_path / "big.jsonl",
        # Past the 256 KB prefix the encoding is decided from, so the bad line is met
        # while streaming.
        jsonl(
            *(
                {"title": f"T{i}", "body": f"Body number {i}, café. " + "x" * 80}
                for i in range(3000)
            )
        ).encode()
        + b'\n{"title": "Bad", "body": "caf\xe9"}\n',
    )
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read whole"))
    lines = run(path)
    assert (
        f"refused: {path}, line 3001: the line is not valid UTF-8 (byte 0xE9 at column 30); "
        "save the file as UTF-8" in lines
    )
    assert lines[-1] == "3000 created, 0 already present, 1 refused"


# --- identity ---------------------------------------------------------------------------------


def test_same_canonical_url_and_same_text_is_already_present(tmp_path):
    first = write(
        tmp_path / "1.jsonl",
        jsonl(
            {
                "title": "A",
                "body": "Same text.",
                "source_url": "https://Example.com/a/?utm_source=x",
            }
        ),
    )
    run(first)
    second = write(
        tmp_path / "2.jsonl",
        jsonl({"title": "A", "body": "Same text.", "source_url": "https://example.com/a"}),
    )
    assert run(second)[-1] == "0 created, 1 already present, 0 refused"
    assert Article.objects.count() == 1


def test_same_canonical_url_with_a_new_text_is_a_revision(tmp_path, monkeypatch, editor):
    """The record goes to the revisions service (through importers/revising.py), once,
    with the article that has the URL; the report counts it as revised."""
    calls = []

    def fake_revise(*, article, title, body, source_url, actor, **metadata):
        calls.append((article.pk, body, actor))

    monkeypatch.setattr(revising, "_revise_function", lambda: fake_revise)
    run(
        write(
            tmp_path / "1.jsonl",
            jsonl({"title": "A", "body": "Old text.", "source_url": "https://example.com/a"}),
        )
    )
    original = Article.objects.get()
    lines = run(
        write(
            tmp_path / "2.jsonl",
            jsonl(
                {"title": "A", "body": "New text.", "source_url": "https://EXAMPLE.com/a/?fbclid=1"}
            ),
        ),
        "--user",
        editor.username,
    )
    assert lines[-1] == "0 created, 0 already present, 1 revised, 0 refused"
    assert calls == [(original.pk, "New text.", editor)]
    assert Article.objects.count() == 1


def test_without_a_revisions_service_a_changed_text_is_refused_not_duplicated(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(revising, "_revise_function", lambda: None)
    run(
        write(
            tmp_path / "1.jsonl",
            jsonl({"title": "A", "body": "Old text.", "source_url": "https://example.com/a"}),
        )
    )
    before = stored()
    path = write(
        tmp_path / "2.jsonl",
        jsonl({"title": "A", "body": "New text.", "source_url": "https://example.com/a"}),
    )
    lines = run(path)
    assert (
        f"refused: {path}, line 1: an article with this source URL is already here with "
        "another text" in lines[-2]
    )
    assert stored() == before


# --- all or nothing ---------------------------------------------------------------------------


def test_atomic_imports_nothing_when_one_line_is_refused(tmp_path):
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.jsonl", jsonl({"title": "Fine", "body": "Fine."}) + "\n{not json\n")
    before = stored()
    lines = run(tmp_path, "--atomic")
    assert (
        lines[-1]
        == "--atomic: 1 refused, so nothing was imported (the lines above say what to fix)."
    )
    assert stored() == before


def test_atomic_imports_everything_when_nothing_is_refused(tmp_path):
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.jsonl", jsonl({"title": "Fine", "body": "Fine."}))
    assert run(tmp_path, "--atomic")[-1] == "2 created, 0 already present, 0 refused"


# --- bad input ----------------------------------------------------------------------------------


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("empty.txt", b"", "refused: {path}: The file is empty."),
        ("blank.txt", b"  \n\t\n", "refused: {path}: The file has no text (only white space)."),
        (
            "binary.txt",
            b"GIF89a\x01\x00\x00\xff",
            "refused: {path}: The file looks binary: it contains NUL bytes",
        ),
        (
            "nul.jsonl",
            b'{"title": "A", "body": "x\x00y"}',
            "refused: {path}: The file looks binary: it contains NUL bytes",
        ),
        (
            "undefined.txt",
            b"Title\ncaf\x81",
            "refused: {path}: The file is not valid UTF-8 (line 2, byte 9: byte 0x81)",
        ),
        (
            "word.txt",
            ("Title\n" + "x" * 1_000_000).encode(),
            "refused: {path}: The text has 1,000,000 characters in a row without a space",
        ),
        (
            "title.jsonl",
            jsonl({"title": "T" * 10_000, "body": "Body."}).encode(),
            "refused: {path}, line 1: ",
        ),
        (
            "bad.jsonl",
            (jsonl({"title": "A", "body": "B"}) + "\n{oops").encode(),
            "refused: {path}, line 2: not valid JSON",
        ),
        ("nobody.csv", b"title,summary\nA,B\n", "refused: {path}: "),
        ("deep.jsonl", DEEP.encode(), "refused: {path}, line 1: nested too deeply"),
        (
            "js.jsonl",
            jsonl({"title": "A", "body": "B", "source_url": "javascript:alert(1)"}).encode(),
            "refused: {path}, line 1: ",
        ),
        (
            "data.jsonl",
            jsonl({"title": "A", "body": "B", "source_url": "data:text/html,x"}).encode(),
            "refused: {path}, line 1: ",
        ),
        (
            "climb.zip",
            zip_bytes({"../../x.txt": GOOD}),
            "refused: {path}: The archive was refused: the archive member “../../x.txt” climbs out",
        ),
        (
            "abs.zip",
            zip_bytes({"/etc/x.txt": GOOD}),
            "refused: {path}: The archive was refused: the archive member “/etc/x.txt” has an "
            "absolute path",
        ),
        (
            "bomb.zip",
            zip_bytes({"bomb.txt": "Title\n" + "a " * 5_000_000}),
            "refused: {path}: The archive member “bomb.txt” would grow",
        ),
        ("empty.html", (FIXTURES / "no_article.html").read_bytes(), "refused: {path}: "),
    ],
)
def test_bad_input_is_refused_with_its_message_and_stores_nothing(tmp_path, name, data, expected):
    before = stored()
    path = write(tmp_path / name, data)
    lines = run(path)
    message = expected.format(path=path)
    assert any(line.startswith(message) for line in lines), lines
    # What the import did store is only the good line of a file that had one (an article
    # without spans, and the history event of its arrival).
    good_lines = 1 if name == "bad.jsonl" else 0
    articles, spans, events = stored()
    assert (articles, spans, events) == (before[0] + good_lines, before[1], before[2] + good_lines)


def test_the_refusals_name_the_field_and_the_column(tmp_path):
    """The messages say what to fix: the field of a bad URL, the CSV's missing column,
    the title's length."""
    js = run(
        write(
            tmp_path / "js.jsonl",
            jsonl({"title": "A", "body": "B", "source_url": "javascript:alert(1)"}),
        )
    )
    assert "source_url" in js[1] and "javascript" in js[1]
    csv = run(write(tmp_path / "nobody.csv", "title,summary\nA,B\n"))
    assert "body" in csv[0] and "summary" in csv[0]
    title = run(write(tmp_path / "title.jsonl", jsonl({"title": "T" * 10_000, "body": "Body."})))
    assert "title" in title[1]
    assert not Article.objects.exists()


def test_a_file_over_the_limit_is_refused_by_its_size_on_disk(tmp_path, settings, monkeypatch):
    settings.FACTCHECK_IMPORT_MAX_FILE_BYTES = 1000
    path = write(tmp_path / "big.txt", "Title\n" + "word " * 400)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read"))
    lines = run(path)
    assert lines[0] == (
        f"refused: {path}: The file is 2.0 KB; files of at most 1000 bytes can be imported. "
        "Split it into smaller files."
    )
    assert not Article.objects.exists()


def test_files_over_the_upload_limit_stop_the_command_before_anything(tmp_path, settings):
    from django.core.management.base import CommandError

    settings.FACTCHECK_IMPORT_MAX_UPLOAD_BYTES = 50
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.txt", GOOD + " again")
    with pytest.raises(
        CommandError, match=r"The files add up to .* at most 50 bytes can be imported at once"
    ):
        run(tmp_path)
    assert not Article.objects.exists()


def test_markup_in_fields_is_stored_as_text_and_shown_escaped(tmp_path, editor_client):
    path = write(
        tmp_path / "x.jsonl",
        jsonl(
            {
                "title": "<script>alert(1)</script>",
                "body": "<b>bold</b> & <img src=x onerror=alert(1)>",
                "author": "<i>Ana</i>",
            }
        ),
    )
    run(path)
    article = Article.objects.get()
    assert article.title == "<script>alert(1)</script>"
    assert article.body.startswith("<b>bold</b>")
    page = editor_client.get(f"/articles/{article.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only"
)
def test_nul_inside_a_json_string_never_reaches_postgresql(tmp_path):
    """An escaped NUL (\\u0000) in a JSON string is removed by the text contract before
    the database, which refuses NUL in text: a clean import, never raw SQL."""
    path = write(
        tmp_path / "nul.jsonl",
        '{"title": "A\\u0000B", "body": "x\\u0000y z", "extra": "q\\u0000"}\n'
        + jsonl({"title": "C", "body": "Fine."}),
    )
    lines = run(path)
    assert lines[-1] == "2 created, 0 already present, 0 refused", lines
    assert Article.objects.get(title="AB").body == "xy z"
    assert not any("INSERT" in line or "COPY" in line for line in lines)
    assert Annotation.objects.count() == 0
    assert accounts.FALLBACK_USERNAME  # the module imported on PostgreSQL too


def test_a_new_text_at_the_same_url_revises_the_article_and_keeps_its_spans(tmp_path, editor):
    """The real revisions service: the old text is kept as a revision and the span is
    re-anchored on the new text by its quote."""
    from annotations.models import ArticleRevision

    from .factories import make_span

    run(
        write(
            tmp_path / "1.jsonl",
            jsonl(
                {
                    "title": "A",
                    "body": "The mayor said taxes will fall.",
                    "source_url": "https://example.com/a",
                }
            ),
        )
    )
    article = Article.objects.get()
    span = make_span(article, "taxes will fall", editor)
    new_body = "Update: the mayor said on Monday that taxes will fall."
    lines = run(
        write(
            tmp_path / "2.jsonl",
            jsonl(
                {
                    "title": "A (updated)",
                    "body": new_body,
                    "source_url": "https://example.com/a?utm_source=feed",
                }
            ),
        ),
        "--user",
        editor.username,
    )
    assert lines[-1] == "0 created, 0 already present, 1 revised, 0 refused"
    article.refresh_from_db()
    assert article.body == new_body and article.title == "A (updated)"
    assert ArticleRevision.objects.get(article=article).body == "The mayor said taxes will fall."
    span.refresh_from_db()
    assert new_body[span.start : span.end] == "taxes will fall"
    assert not span.needs_attention


def test_the_command_imports_a_url_and_reports_a_refused_one(settings):
    """`import_articles --url`: fetched in the command's own process (no worker)."""
    import threading

    from .test_import_fetch import _Handler, _QuietServer

    settings.FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS = True
    settings.FACTCHECK_IMPORT_FETCH_TIMEOUT_SECONDS = 1
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        lines = run("--url", f"{base}/article", f"{base}/missing")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert lines[0] == f'created: {base}/article — "Bridge declared safe after inspection"'
    assert lines[1].startswith(f"refused: {base}/missing: ") and "404" in lines[1]
    assert lines[-1] == "1 created, 0 already present, 1 refused"
    assert Article.objects.get().source_url == f"{base}/article"


def test_the_command_refuses_a_url_that_is_not_http_before_anything():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Not a web address: javascript:alert"):
        run("--url", "javascript:alert(1)")
    assert not Article.objects.exists()


def test_a_revision_reports_where_the_spans_went_and_that_the_files_spans_were_not_imported(
    tmp_path, editor
):
    """A new text at the same URL that arrives with spans of its own: the article keeps
    its spans (re-anchored), the file's are not added on top, and the report says both."""
    from annotations.importers.report import file_entry

    from .factories import make_span

    run(
        write(
            tmp_path / "1.jsonl",
            jsonl(
                {
                    "title": "B",
                    "body": "The mayor said taxes will fall.",
                    "source_url": "https://example.com/b",
                }
            ),
        )
    )
    article = Article.objects.get()
    make_span(article, "taxes will fall", editor)
    new_body = "Update: the mayor said that taxes will fall."
    start = new_body.index("taxes")
    record = {
        "title": "B",
        "body": new_body,
        "source_url": "https://example.com/b",
        "spans": [{"start": start, "end": start + 15, "label": "claim"}],
    }
    lines = run(write(tmp_path / "2.jsonl", jsonl(record)), "--user", editor.username)
    notes = [line.strip() for line in lines]
    assert any(
        n.startswith("B: Revision 2 stored: 1 spans placed (1 moved), 0 need") for n in notes
    )
    assert any("The file's 1 span for it was not imported" in line for line in lines)
    assert Annotation.objects.filter(article=article).count() == 1  # not doubled

    result = service.import_path(
        write(tmp_path / "3.jsonl", jsonl({**record, "body": new_body + " More."}))
    )
    (ref,) = file_entry(result)["revised_articles"]
    assert ref["note"].startswith("Revision 3 stored")
    assert "not imported" in ref["note"]


def test_lines_of_one_file_with_a_url_new_here_are_one_article_and_its_revisions(tmp_path):
    """Found by the outside tester: two lines with the same canonical URL, new to the
    database (…/p and …/p/), became two articles sharing it. The first line is created,
    each later one revises it in the file's order, its spans re-anchored, and the report
    says so; a line beside them with another URL is its own article."""
    from annotations.models import ArticleRevision

    quote = "the bridge will reopen"
    texts = [
        f"The mayor said {quote} in May.",
        f"Update: the mayor said {quote} in June.",
        f"Correction: the mayor said on Monday that {quote} in July.",
    ]
    start = texts[0].index(quote)
    path = write(
        tmp_path / "same.jsonl",
        jsonl(
            {
                "title": "Bridge",
                "body": texts[0],
                "source_url": "https://same.example.org/p",
                "spans": [{"start": start, "end": start + len(quote), "label": "claim"}],
            },
            {"title": "Bridge (2)", "body": texts[1], "source_url": "https://same.example.org/p/"},
            {
                "title": "Other",
                "body": "Another page entirely.",
                "source_url": "https://o.example/",
            },
            {
                "title": "Bridge (3)",
                "body": texts[2],
                "source_url": "https://Same.example.org/p?utm_source=x",
            },
        ),
    )
    lines = run(path)
    assert lines[0] == f'created: {path} — 2 articles: "Bridge", "Other" (2 revised)'
    assert lines[1].startswith("  Bridge (2): Revision 2 stored: 1 spans placed (1 moved)")
    assert lines[2].startswith("  Bridge (3): Revision 3 stored: 1 spans placed (1 moved)")
    assert lines[-1] == "2 created, 0 already present, 2 revised, 0 refused"
    bridge = Article.objects.get(canonical_url="https://same.example.org/p")
    assert (bridge.title, bridge.body) == ("Bridge (3)", texts[2])
    assert list(
        ArticleRevision.objects.filter(article=bridge).order_by("number").values_list("body")
    ) == [(texts[0],), (texts[1],)]
    span = Annotation.objects.get()
    assert span.article == bridge and texts[2][span.start : span.end] == quote
    assert not span.needs_attention
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Bridge (3)", "Other"]
