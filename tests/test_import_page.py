# ruff: noqa: F811 (the fetch tests' server fixtures are imported, then requested by name)
"""Issue 9, the import page: limits answered with a 413 before the files are read, too
many files with a clear message, Import from URL against a local HTTP server (fetched
in the task, not the request), and the per-file report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Article, ImportJob

from .import_helpers import stored, zip_bytes
from .test_import_fetch import TOO_SLOW, _Handler, allowed, server, trickle  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def job_files_in_tmp(settings, tmp_path):
    """Uploaded files wait under VAR_DIR/imports/: a temporary one in tests (a job a test
    queues and never runs would otherwise leave its file in var/)."""
    settings.VAR_DIR = tmp_path / "var"


URL = "/import/"


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)


def test_a_request_over_the_upload_limit_is_refused_before_it_is_read(
    editor_client, settings, monkeypatch
):
    """The Content-Length alone decides: the body is never parsed (no form is bound)."""
    settings.FACTCHECK_IMPORT_MAX_UPLOAD_BYTES = 1024
    from annotations.views import imports

    monkeypatch.setattr(imports, "ImportForm", _form_that_must_not_bind(imports.ImportForm))
    response = editor_client.post(URL, {"files": [upload("big.txt", "Big\n" + "word " * 600_000)]})
    assert response.status_code == 413
    page = response.content.decode()
    assert "The files add up to 2.9 MB; at most 1 KB can be imported at once." in page
    assert not Article.objects.exists() and not ImportJob.objects.exists()


def _form_that_must_not_bind(form_class):
    def build(*args, **kwargs):
        if args:
            pytest.fail("the form read the request")
        return form_class(**kwargs)

    return build


def test_the_files_together_over_the_upload_limit_are_a_413(editor_client, settings):
    settings.FACTCHECK_IMPORT_MAX_UPLOAD_BYTES = 1_100_000
    files = [upload(f"{n}.txt", f"T{n}\n" + "word " * 110_000) for n in range(2)]
    response = editor_client.post(URL, {"files": files})
    assert response.status_code == 413
    assert "The files add up to 1.0 MB; at most 1.0 MB" in response.content.decode()
    assert not Article.objects.exists()


def test_more_files_than_allowed_get_a_clear_message_not_bad_request(editor_client, settings):
    settings.FACTCHECK_IMPORT_MAX_FILES = 3
    before = stored()
    files = [upload(f"{n}.txt", f"T{n}\nText {n}.") for n in range(4)]
    response = editor_client.post(URL, {"files": files})
    assert response.status_code == 413
    assert "4 files were chosen; at most 3 can be imported at once" in response.content.decode()
    assert stored() == before


def test_django_s_own_file_count_limit_is_a_clear_message(editor_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [upload(f"{n}.txt", f"T{n}\nText {n}.") for n in range(3)]
    response = editor_client.post(URL, {"files": files})
    assert response.status_code == 413
    assert "Too many files at once" in response.content.decode()
    assert not Article.objects.exists()


def test_more_than_a_hundred_files_import(editor_client):
    """Django's default (100 files) no longer answers a bare 'Bad request'."""
    files = [upload(f"{n}.txt", f"Title {n}\nText number {n}.") for n in range(120)]
    response = editor_client.post(URL, {"files": files})
    assert response.status_code in (200, 302)
    assert Article.objects.count() == 120


def test_a_zip_upload_lists_its_members_and_skipped_ones(editor_client):
    data = zip_bytes({"one.txt": "One\nText one.", "image.png": b"\x89PNG"})
    page = editor_client.post(URL, {"files": [upload("pack.zip", data)]}).content.decode()
    assert "pack.zip/one.txt" in page and "Created" in page
    assert "pack.zip/image.png" in page and "Skipped" in page
    assert list(Article.objects.values_list("title", flat=True)) == ["One"]


def test_the_report_says_which_encoding_was_used(editor_client):
    data = "Titre\nLe café “ouvert”.".encode("cp1252")
    page = editor_client.post(URL, {"files": [upload("latin.txt", data)]}).content.decode()
    assert "cp1252 (undeclared Windows-1252)" in page
    assert Article.objects.get().body == "Le café “ouvert”."


def test_a_url_that_is_not_http_is_a_form_error(editor_client):
    response = editor_client.post(URL, {"urls": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "“javascript:alert(1)” is not a web address" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_nothing_chosen_says_what_to_do(editor_client):
    response = editor_client.post(URL, {})
    assert response.status_code == 422
    assert "Choose at least one file to import." in response.content.decode()


# --- Import from URL (the fetch happens in the task) ---------------------------------------


def test_a_url_is_fetched_in_a_job_and_imported_with_its_final_url(
    editor_client,
    server,
    allowed,
):
    response = editor_client.post(URL, {"urls": f"{server}/hop/1"})
    job = ImportJob.objects.get()
    assert response.status_code == 302  # URLs always go to the worker
    assert job.options["urls"] == [f"{server}/hop/1"]
    assert job.status == ImportJob.Status.DONE
    article = Article.objects.get()
    assert article.title == "Bridge declared safe after inspection"
    assert article.source_url == f"{server}/article"
    page = editor_client.get(response["Location"]).content.decode()
    assert "1 created" in page


@pytest.mark.parametrize(
    "path, message",
    [
        ("/missing", "404"),
        ("/pdf", "application/pdf"),
        ("/hop/9", "redirect"),
        ("/slow", "did not answer"),
    ],
)
def test_a_url_that_fails_is_reported_and_stores_nothing(
    editor_client,
    server,
    allowed,
    path,
    message,
):
    before = stored()
    response = editor_client.post(URL, {"urls": f"{server}{path}"})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    [entry] = job.report
    assert entry["status"] == "refused"
    assert message in entry["reason"], entry["reason"]
    page = editor_client.get(response["Location"]).content.decode()
    assert "Refused" in page
    assert stored() == before


def test_a_page_cut_off_at_the_deadline_stores_nothing_and_the_next_url_imports(
    editor_client, server, trickle
):
    """The tester's dripping server, beside a good page: the drip is refused at the
    deadline (not when the server is done), nothing of it stored; the good page imports."""
    response = editor_client.post(URL, {"urls": f"{server}/drip\n{server}/article"})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert [(entry["status"], entry["reason"]) for entry in job.report] == [
        ("refused", TOO_SLOW),
        ("created", ""),
    ]
    assert list(Article.objects.values_list("source_url", flat=True)) == [f"{server}/article"]
    assert "Refused" in editor_client.get(response["Location"]).content.decode()


def test_a_loopback_url_is_refused_without_the_setting(editor_client, server, settings):
    settings.FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS = False
    _Handler.hits.clear()
    editor_client.post(URL, {"urls": f"{server}/article"})
    [entry] = ImportJob.objects.get().report
    assert entry["status"] == "refused"
    assert "127.0.0.1" in entry["reason"] or "private" in entry["reason"].lower()
    assert _Handler.hits == []  # the server was never asked
    assert not Article.objects.exists()


def test_the_job_page_of_a_url_import_lists_it_under_recent_imports(
    editor_client,
    server,
    allowed,
):
    editor_client.post(URL, {"urls": f"{server}/article"})
    page = editor_client.get(reverse("import-jobs")).content.decode()
    assert f"{server}/article" in page and "Done" in page
