"""The import page in a real Chromium: choose two files, see them listed (and remove
one), upload, and see the job's report; the progress bar of a running job updates in
place until the report replaces it."""

import pytest
from playwright.sync_api import expect

from annotations.models import Article, ImportJob
from tests.browser.conftest import sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(transactional_db):
    return make_user("imp-editor", role="editor")


def test_choose_files_see_the_list_upload_and_read_the_report(page, live_server, editor):
    sign_in(page, live_server.url, editor.username)
    page.goto(f"{live_server.url}/import/")
    expect(page.locator("[data-import-drop]")).to_be_visible()
    page.set_input_files(
        "input[name=files]",
        files=[
            {"name": "one.txt", "mimeType": "text/plain", "buffer": b"One\nThe first text."},
            {"name": "two.txt", "mimeType": "text/plain", "buffer": b"Two\nThe second text."},
            {"name": "three.txt", "mimeType": "text/plain", "buffer": b"Three\nA third text."},
        ],
    )
    chosen = page.locator("[data-import-chosen] .import-chosen-name")
    expect(chosen).to_have_text(["one.txt", "two.txt", "three.txt"])
    page.get_by_role("button", name="Remove three.txt").click()
    expect(chosen).to_have_text(["one.txt", "two.txt"])
    size = len(b"One\nThe first text.") + len(b"Two\nThe second text.")
    expect(page.locator(".import-chosen-total")).to_have_text(f"2 files, {size} bytes")
    page.get_by_role("button", name="Import").click()
    report = page.locator(".import-report")
    expect(report).to_be_visible()
    expect(report.locator(".import-totals")).to_contain_text("2 created")
    assert sorted(Article.objects.values_list("title", flat=True)) == ["One", "Two"]


def test_a_running_job_shows_a_progress_bar_that_turns_into_the_report(page, live_server, editor):
    job = ImportJob.objects.create(
        created_by=editor,
        status=ImportJob.Status.RUNNING,
        description="big.jsonl",
        files_total=2,
        files_done=1,
        bytes_total=100,
        bytes_done=50,
        lines_done=1200,
        articles_created=1100,
    )
    sign_in(page, live_server.url, editor.username)
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    bar = page.locator("progress.import-bar")
    expect(bar).to_have_attribute("value", "50")
    expect(page.locator(".import-counters")).to_contain_text("1200 lines read")
    # The worker finishes: the next poll (every second) swaps the report in.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        files_done=2,
        report=[
            {
                "name": "big.jsonl",
                "format": "native-jsonl",
                "encoding": "utf-8",
                "how": "UTF-8",
                "status": "created",
                "reason": "",
                "created": 2000,
                "present": 0,
                "revised": 0,
                "spans": 0,
                "lines": 2001,
                "created_articles": [],
                "present_articles": [],
                "revised_articles": [],
                "refused_lines": [[17, "not valid JSON (Expecting value at column 1)"]],
                "refused_count": 1,
            }
        ],
    )
    expect(page.locator(".import-report")).to_be_visible(timeout=5000)
    expect(page.locator("progress.import-bar")).to_have_count(0)
    expect(page.locator(".import-lines")).to_contain_text("Line 17: not valid JSON")
