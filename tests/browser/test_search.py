"""Searching the article list in a real Chromium: the list updates in place (htmx)."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from annotations.models import Article
from tests.browser.conftest import sign_in
from tests.factories import make_article, make_user

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def articles(transactional_db):
    call_command("import_articles", str(SEEDS), verbosity=0)
    make_article(
        "Engineers inspected the viaduct on Tuesday and found <script>alert(1)</script> "
        "nothing alarming; the ministry will publish the full report next week.",
        title="Viaduct passes inspection",
        author="Renée Dupont",
    )
    make_article(
        "本日、東京都庁で記者会見が行われ、新しい防災計画が発表された。",
        title="防災計画の発表",
    )
    for i in range(3):
        make_article(f"Routine council minutes number {i}.", title=f"Council minutes {i}")
    return Article.objects.count()


def results_titles(page):
    return page.eval_on_selector_all(
        "#results td.title-cell > a", "links => links.map(a => a.textContent)"
    )


def test_typing_a_body_word_updates_the_list_with_a_highlighted_snippet(
    live_server, page, articles, artifacts
):
    """Typing a word found only in a body narrows the list without a page load, ranks the
    article, and shows its snippet with the word marked; the URL keeps the query."""
    make_user("rita", role="reviewer")
    sign_in(page, live_server.url, "rita")
    assert len(results_titles(page)) == articles
    page.evaluate("window.__noReload = true")
    page.fill("#q", "viaduct")  # a word in the new article's body and title
    expect(page.locator("#results td.title-cell")).to_have_count(1)
    assert page.evaluate("window.__noReload") is True  # swapped in place, not reloaded
    assert results_titles(page) == ["Viaduct passes inspection"]
    page.fill("#q", "ministry")  # only in the body
    expect(page.locator("#results .snippet mark")).to_have_text("ministry")
    assert results_titles(page) == ["Viaduct passes inspection"]
    snippet = page.inner_text("#results .snippet")
    assert "<script>alert(1)</script>" in snippet  # shown as text, never run
    assert page.evaluate("typeof window.alerted") == "undefined"
    assert "q=ministry" in page.url
    page.screenshot(path=str(artifacts / "search-body-word.png"), full_page=True)
    assert page.js_errors == []


def test_a_cjk_query_finds_a_substring_and_marks_it(live_server, page, articles, artifacts):
    """東京 inside 東京都庁 is found and marked; a search with nothing to look for says so."""
    make_user("rita", role="reviewer")
    sign_in(page, live_server.url, "rita")
    page.fill("#q", "東京")
    expect(page.locator("#results td.title-cell")).to_have_count(1)
    assert results_titles(page) == ["防災計画の発表"]
    expect(page.locator("#results .snippet mark")).to_have_text("東京")
    page.screenshot(path=str(artifacts / "search-cjk.png"), full_page=True)
    page.fill("#q", "!!!")
    page.wait_for_selector("#results .search-note")
    assert "Nothing to search for" in page.inner_text("#results .search-note")
    assert "No articles match" in page.inner_text("#results")
    assert page.js_errors == []
