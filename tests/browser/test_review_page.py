"""A reviewer labels spans in a real Chromium, and everything survives a reload."""

from pathlib import Path

import pytest
from django.core.management import call_command

from annotations.models import Annotation, Article, Source
from tests.browser.conftest import select_with_mouse, sign_in
from tests.factories import make_user

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seed_article(transactional_db):
    call_command("import_articles", str(SEEDS), verbosity=0)
    return Article.objects.get(title__startswith="Russia, North Korea")


def mark_text(page, annotation_id):
    return page.eval_on_selector_all(
        f'#article-text mark[data-annotation-id="{annotation_id}"]',
        "marks => marks"
        f".filter(m => !m.parentElement.closest('mark[data-annotation-id=\"{annotation_id}\"]'))"
        ".map(m => m.textContent).join('')",
    )


def test_select_after_curly_quote_press_key_and_reload(live_server, page, seed_article, artifacts):
    """Select a phrase after a curly quote with the mouse, press 1, reload: the span is exact."""
    make_user("rita", role="reviewer")
    phrase = "actively advancing"
    assert "“" + phrase in seed_article.body  # the phrase follows a curly quote
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{seed_article.pk}/")
    pane_text = page.eval_on_selector("#article-text", "e => e.textContent")
    assert pane_text == seed_article.body

    select_with_mouse(page, phrase)
    page.wait_for_selector("#label-bar:not([hidden])")
    page.keyboard.press("1")
    page.wait_for_selector('#article-text mark[data-label="claim"]')

    annotation = Annotation.objects.get()
    assert annotation.quote == phrase
    assert seed_article.body[annotation.start : annotation.end] == phrase

    page.reload()
    marks = page.locator(f'#article-text mark[data-annotation-id="{annotation.pk}"]')
    assert marks.count() >= 1
    assert mark_text(page, annotation.pk) == phrase
    assert page.eval_on_selector("#article-text", "e => e.textContent") == seed_article.body
    page.evaluate("window.scrollTo(0, 0)")  # the sticky sidebar drawn where it rests
    page.screenshot(path=str(artifacts / "review-page.png"), full_page=True)
    assert page.js_errors == []


def test_open_span_set_speaker_add_source_and_overlap(live_server, page, seed_article, artifacts):
    """Clicking a highlight edits it in place; sources and overlapping spans survive a reload."""
    make_user("rita", role="reviewer")
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{seed_article.pk}/")

    select_with_mouse(page, "White House national security spokesman John Kirby")
    page.wait_for_selector("#label-bar:not([hidden])")
    page.click('#label-bar button[data-label="claim"]')
    page.wait_for_selector('#article-text mark[data-label="claim"]')

    # An overlapping span, labelled with key 3.
    select_with_mouse(page, "John Kirby on Wednesday")
    page.keyboard.press("3")
    page.wait_for_selector('#article-text mark[data-label="unverified-allegation"]')
    outer, inner = Annotation.objects.order_by("start")
    assert outer.end > inner.start  # they overlap

    # Open the first span by clicking its highlight, then fill in the speaker.
    page.locator(f'mark[data-annotation-id="{outer.pk}"]').first.click()
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{outer.pk}"]')
    page.fill("#id_edit-speaker", "John Kirby")
    page.click(".edit-form button[type=submit]")
    page.wait_for_selector(".span-item .span-meta:has-text('John Kirby')")

    page.click(".add-source summary")
    page.fill("#id_source-url", "javascript:alert(1)")
    page.fill("#id_source-title", "White House briefing")
    page.click(".add-source button[type=submit]")
    page.wait_for_selector(".add-source .errorlist")
    assert page.input_value("#id_source-title") == "White House briefing"  # nothing typed is lost
    assert Source.objects.count() == 0

    page.fill("#id_source-url", "https://www.whitehouse.gov/briefing-room/")
    page.check("input[name='source-stance'][value='supports']")
    page.click(".add-source button[type=submit]")
    page.wait_for_selector(".sources a:has-text('White House briefing')")

    page.reload()
    outer.refresh_from_db()
    assert outer.speaker.name == "John Kirby"
    assert list(outer.sources.values_list("source__url", "stance")) == [
        ("https://www.whitehouse.gov/briefing-room", "supports")  # stored canonical
    ]
    # Both spans are still visible and clickable after the reload.
    assert mark_text(page, outer.pk) == outer.quote
    assert mark_text(page, inner.pk) == inner.quote
    page.locator(f'mark[data-annotation-id="{inner.pk}"]').last.click()
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{inner.pk}"]')
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "review-editor.png"), full_page=True)
    assert page.js_errors == []


def test_a_refused_span_shows_a_message(live_server, page, seed_article):
    """When the server refuses a span (text changed under the page), the reviewer is told."""
    make_user("rita", role="reviewer")
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{seed_article.pk}/")
    # Tamper with the pane so the selection no longer matches the stored body.
    page.evaluate(
        "() => { const pane = document.getElementById('article-text');"
        " const node = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT).nextNode();"
        " node.data = 'XXXX' + node.data.slice(4); }"
    )
    select_with_mouse(page, "XXXXWhite House")
    page.keyboard.press("2")
    page.wait_for_selector("#flash:not([hidden])")
    assert "does not match" in page.text_content("#flash")
    assert Annotation.objects.count() == 0
