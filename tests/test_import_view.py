"""The import page: editors upload files and see what each became; nobody else can."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Annotation, Article

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_767f74c7ad0d4c0d.txt"
SEED_TITLE = "Russia, North Korea ‘Actively Advancing’ Arms Deal For Ukraine War: White House"
URL = "/import/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def job_files_in_tmp(settings, tmp_path):
    """Uploaded files wait under VAR_DIR/imports/: a temporary one in tests (a job a test
    queues and never runs would otherwise leave its file in var/)."""
    settings.VAR_DIR = tmp_path / "var"


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode("utf-8") if isinstance(data, str) else data)


def seed_upload() -> SimpleUploadedFile:
    return upload(SEED.name, SEED.read_bytes())


def test_import_url_is_named():
    """The page lives at /import/ under the URL name 'import'."""
    assert reverse("import") == URL


def test_anonymous_visitors_are_sent_to_log_in(client):
    """Anonymous visitors are sent to the login page."""
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reviewer_cannot_see_the_import_page(reviewer_client):
    """A reviewer gets 403 with a message, not the form."""
    response = reviewer_client.get(URL)
    assert response.status_code == 403
    assert "Only editors can import articles." in response.content.decode()


def test_reviewer_cannot_import(reviewer_client):
    """A reviewer's upload is refused with 403 and stores nothing."""
    response = reviewer_client.post(URL, {"files": [seed_upload()]})
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_editor_sees_the_form_and_what_will_happen(editor_client):
    """Before uploading, the page lists the accepted formats and the dedupe rule."""
    response = editor_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="files"' in page and "multiple" in page
    for expected in (
        "Scraped page (.txt)",
        "Plain text (.txt)",
        "Factcheck JSONL (.jsonl)",
        "already present",
    ):
        assert expected in page
    assert response.context["nav"] == "import"


def test_editor_upload_creates_the_article_and_links_to_it(editor_client, editor):
    """The report says 'Created' and links to the new article's review page."""
    response = editor_client.post(URL, {"files": [seed_upload()]})
    assert response.status_code == 200
    article = Article.objects.get()
    assert article.title == SEED_TITLE
    assert article.import_metadata["source_file"] == SEED.name
    assert article.import_metadata["imported_by"] == editor.username
    page = response.content.decode()
    assert "Created" in page
    assert f'href="{reverse("article-detail", kwargs={"article_id": article.pk})}"' in page
    assert "1 created" in page and "0 refused" in page


def test_uploading_again_reports_already_present(editor_client):
    """Uploading the same text again stores nothing and says 'Already present'."""
    editor_client.post(URL, {"files": [seed_upload()]})
    response = editor_client.post(URL, {"files": [seed_upload()]})
    assert "Already present" in response.content.decode()
    assert Article.objects.count() == 1


def test_bad_file_is_refused_with_its_reason_and_the_good_one_imports(editor_client):
    """Several files at once: the binary one is refused (with why), the other is created."""
    response = editor_client.post(
        URL,
        {
            "files": [
                upload("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00"),
                upload("ok.txt", "Okay\nFine text."),
            ]
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Refused" in page
    assert "The file looks binary: it contains NUL bytes" in page
    assert list(Article.objects.values_list("title", flat=True)) == ["Okay"]


def test_jsonl_refused_lines_are_listed(editor_client):
    """A JSONL upload lists each refused line with its number and reason; the good lines
    are stored."""
    lines = [
        {
            "title": "Good",
            "text": "Good text.",
            "spans": [{"start": 0, "end": 4, "label": "claim", "text": "Good"}],
        },
        {"title": "Bad", "text": "Bad text.", "spans": [{"start": 0, "end": 3, "label": "nope"}]},
    ]
    data = "\n".join(json.dumps(line) for line in lines)
    response = editor_client.post(URL, {"files": [upload("batch.jsonl", data)]})
    page = response.content.decode()
    assert "Line 2: span 1: unknown label “nope” (add it in the admin first)" in page
    assert list(Article.objects.values_list("title", flat=True)) == ["Good"]
    assert Annotation.objects.count() == 1


def test_an_empty_file_is_reported_and_the_others_still_import(editor_client):
    """Issue 9: one empty file in an upload is refused by name; it no longer aborts the
    other files (it used to be a form error that imported nothing)."""
    response = editor_client.post(URL, {"files": [upload("empty.txt", b""), seed_upload()]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "empty.txt" in page and "The file is empty." in page
    assert list(Article.objects.values_list("title", flat=True)) == [SEED_TITLE]


def test_a_file_over_the_limit_is_a_413_and_stores_nothing(editor_client, settings):
    """Issue 9: a file over the per-file limit (the same setting as the command's) is
    refused with a 413 naming it and the limit, before it is imported; nothing is stored."""
    settings.FACTCHECK_IMPORT_MAX_FILE_BYTES = 100
    response = editor_client.post(URL, {"files": [seed_upload(), upload("ok.txt", "Ok\nFine.")]})
    assert response.status_code == 413
    page = response.content.decode()
    assert f"“{SEED.name}”: The file is " in page
    assert "files of at most 100 bytes can be imported" in page
    assert "Nothing was imported." in page
    assert not Article.objects.exists()


def test_posting_no_file_is_a_form_error(editor_client):
    """Submitting without a file is a form error (422) that says what to do."""
    response = editor_client.post(URL, {})
    assert response.status_code == 422
    assert "Choose at least one file to import." in response.content.decode()


def test_htmx_gets_only_the_import_region(editor_client):
    """htmx swaps the form-and-report region; a normal request gets the whole page."""
    response = editor_client.post(URL, {"files": [seed_upload()]}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="import-region"')
    assert "<html" not in page
    assert "Created" in page


def test_many_refused_lines_show_ten_then_the_listed_rest_folded_then_a_count(editor_client):
    """A file of 250 bad lines and one good one: the report shows its first ten refused
    lines, folds the other 190 it lists behind a disclosure, and counts the 50 it does
    not list, so the next file's report stays in sight."""
    rows = "title,body\nGood,A good article about the harbour.\n" + "x,\n" * 250
    response = editor_client.post(URL, {"files": [upload("many.csv", rows)]})
    page = response.content.decode()
    shown, folded = page.split('<details class="import-more-lines">')
    assert shown.count("the article has no") == 10 and "Line 12:" in shown
    assert "Line 13:" not in shown
    assert "Show 190 more refused lines" in folded
    assert folded.count("the article has no") == 190
    assert "and 50 more refused lines, not listed" in folded
    assert Article.objects.count() == 1


def test_many_created_articles_list_the_first_twenty_then_a_count(editor_client):
    """A file of 25 new articles: the report links the first 20 and counts the others."""
    from annotations.importers.report import LISTED_ARTICLES

    rows = "title,body\n" + "".join(
        f"Item {i},Article number {i} about the harbour.\n" for i in range(25)
    )
    response = editor_client.post(URL, {"files": [upload("many.csv", rows)]})
    page = response.content.decode()
    assert Article.objects.count() == 25
    assert page.count('href="/articles/') >= LISTED_ARTICLES
    assert f"and {25 - LISTED_ARTICLES} more</li>" in page
