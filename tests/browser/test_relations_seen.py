"""Links between spans and "seen before" in Chromium: a denial linked to its claim with the
mouse and with j/k + Enter, jumping between them both ways, and a similar claim from
another article whose verdict and sources `c` copies."""

import pytest

from annotations.models import Annotation, Rating, Relation
from tests.browser.conftest import sign_in
from tests.factories import make_article, make_source, make_span, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = (
    "Kirby said the talks are advancing. Officials in Kyiv declined to comment.\n\n"
    "Moscow denied it on Thursday, calling the report “misleading”."
)


def open_span(page, base_url, span):
    page.goto(f"{base_url}/annotations/{span.pk}/")
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{span.pk}"]')
    page.wait_for_load_state("networkidle")


def mark(page, span):
    return page.locator(f'#article-text mark.hl[data-first][data-annotation-id="{span.pk}"]')


def focused_span(page):
    return page.evaluate(
        "() => document.activeElement && document.activeElement.dataset.annotationId"
    )


@pytest.fixture
def story(db):
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY, title="Talks")
    claim = make_span(article, "the talks are advancing", rita)
    aside = make_span(article, "declined to comment", rita, label_slug="unverified-allegation")
    denial = make_span(article, "Moscow denied it", rita, label_slug="denial")
    return claim, aside, denial


def jump_and_back(page, claim, denial):
    """From the denial's editor to the claim's (its mark focused and flashing) and back."""
    page.click(f'.link-jump[data-span-id="{claim.pk}"]')
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{claim.pk}"]')
    page.wait_for_function(
        "id => document.activeElement.dataset.annotationId === id", arg=str(claim.pk)
    )
    assert "is-flashing" in mark(page, claim).get_attribute("class")
    assert "answered by" in page.inner_text("#annotation-editor .links").lower()
    page.wait_for_selector(f'.link-jump[data-span-id="{denial.pk}"]')
    # Back, from the keyboard: the jump is a button.
    page.focus(f'.link-jump[data-span-id="{denial.pk}"]')
    page.keyboard.press("Enter")
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{denial.pk}"]')
    assert focused_span(page) == str(denial.pk)
    assert "answers" in page.inner_text("#annotation-editor .links").lower()


def test_link_a_denial_to_its_claim_by_clicking(live_server, page, story, artifacts):
    """The button starts link mode (banner, "denies" preselected for a denial); a click on
    the claim's highlight links them; the editor lists the link; jumps go both ways."""
    claim, _, denial = story
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, denial)
    page.click(".js-link-start")
    banner = page.locator("#link-banner")
    banner.wait_for(state="visible")
    assert "Click a highlight, or press j/k then Enter; Esc cancels" in banner.inner_text()
    assert page.input_value("#link-banner select") == "denies"
    page.screenshot(path=str(artifacts / "link-mode.png"))

    mark(page, claim).click()
    page.wait_for_selector(f'#annotation-editor .link-jump[data-span-id="{claim.pk}"]')
    banner.wait_for(state="hidden")
    relation = Relation.objects.get()
    assert (relation.from_span_id, relation.to_span_id, relation.type) == (
        denial.pk,
        claim.pk,
        "denies",
    )
    assert f'data-annotation-ref="{denial.pk}"' in page.inner_html("#annotation-editor")
    page.screenshot(path=str(artifacts / "links-in-editor.png"))
    jump_and_back(page, claim, denial)
    assert page.js_errors == []


def test_link_with_j_k_and_enter(live_server, page, story, artifacts):
    """l starts link mode, t changes the kind, Enter on the span itself is refused with
    the reason in the banner, Esc cancels; k moves to the claim and Enter links it."""
    claim, aside, denial = story
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{claim.article_id}/")
    page.wait_for_selector("#article-text")
    for _ in range(3):
        page.keyboard.press("j")
    assert focused_span(page) == str(denial.pk)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{denial.pk}"]')

    page.keyboard.press("l")
    page.wait_for_selector("#link-banner:not([hidden])")
    page.keyboard.press("Escape")
    page.wait_for_selector("#link-banner", state="hidden")
    assert page.locator(".editor-card").count() == 1  # Esc left link mode, not the editor

    page.keyboard.press("l")
    page.wait_for_selector("#link-banner:not([hidden])")
    page.keyboard.press("t")
    assert page.input_value("#link-banner select") == "responds_to"
    page.keyboard.press("t")
    page.keyboard.press("t")
    assert page.input_value("#link-banner select") == "denies"
    # Picking the open span itself: refused, the reason shown, still linking.
    page.keyboard.press("j")  # past the last span: stays on the denial
    assert focused_span(page) == str(denial.pk)
    page.keyboard.press("Enter")
    page.wait_for_selector("#link-banner .link-banner-error:not([hidden])")
    assert "A span cannot answer itself" in page.inner_text("#link-banner")
    assert not Relation.objects.exists()
    page.screenshot(path=str(artifacts / "link-refused.png"))

    page.keyboard.press("k")
    page.keyboard.press("k")
    assert focused_span(page) == str(claim.pk)
    page.keyboard.press("1")  # a label key does nothing while a target is being chosen
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#annotation-editor .link-jump[data-span-id="{claim.pk}"]')
    page.wait_for_selector("#link-banner", state="hidden")
    relation = Relation.objects.get()
    assert (relation.from_span_id, relation.to_span_id, relation.type) == (
        denial.pk,
        claim.pk,
        "denies",
    )
    assert Annotation.objects.get(pk=denial.pk).label.slug == "denial"
    assert not Relation.objects.filter(to_span=aside).exists()
    jump_and_back(page, claim, denial)
    assert page.js_errors == []


def test_seen_before_finds_a_claim_and_c_copies_it(live_server, page, artifacts):
    """A claim's editor lists the similar claim of another article with its verdict,
    sources and title; c copies the verdict and both sources, and the editor says so."""
    rita = make_user("rita", role="reviewer")
    earlier = make_article(
        "Last year the mayor claimed the new bridge over the river is safe for heavy trucks.",
        title="Bridge claim checked",
    )
    checked = make_span(earlier, "the new bridge over the river is safe for heavy trucks", rita)
    Annotation.objects.filter(pk=checked.pk).update(
        verdict=Rating.objects.get(slug="false"), verdict_explanation="Engineers said no."
    )
    make_source(checked, url="https://example.org/inspection", title="Inspection report")
    make_source(checked, url="https://example.org/statement", stance="refutes")
    article = make_article(
        "The minister said the new bridge over the river is completely safe for heavy trucks.",
        title="Minister on the bridge",
    )
    claim = make_span(
        article, "the new bridge over the river is completely safe for heavy trucks", rita
    )
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, claim)
    page.wait_for_selector(".seen-results[data-loaded] .seen-match")
    panel = page.inner_text(".seen-before")
    assert "Bridge claim checked" in panel and "False" in panel and "2 sources" in panel
    link = page.get_attribute(".seen-match a", "href")
    assert link == f"/annotations/{checked.pk}/"
    page.locator(".seen-before").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "seen-before.png"))

    page.keyboard.press("c")
    page.wait_for_selector("#toast .toast-body")
    assert (
        f"Copied verdict “False” with its explanation and 2 sources from #{checked.pk}."
        in page.inner_text("#toast")
    )
    stored = Annotation.objects.get(pk=claim.pk)
    assert stored.verdict.slug == "false"
    assert sorted(stored.sources.values_list("source__url", flat=True)) == [
        "https://example.org/inspection",
        "https://example.org/statement",
    ]
    page.wait_for_selector(".seen-results[data-loaded] .seen-applied")
    assert "Sources (2)" in page.inner_text("#annotation-editor")
    page.keyboard.press("c")
    page.wait_for_selector("#flash:not([hidden])")
    assert "already has the verdict and sources" in page.inner_text("#flash")
    page.locator(".seen-before").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "seen-before-copied.png"))
    assert page.js_errors == []


def test_seen_before_with_nothing_similar(live_server, page):
    rita = make_user("rita", role="reviewer")
    article = make_article("The minister said the bridge is safe.")
    claim = make_span(article, "the bridge is safe", rita)
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, claim)
    page.wait_for_selector(".seen-results[data-loaded]")
    assert "No similar claims in other articles yet." in page.inner_text(".seen-before")
    page.keyboard.press("c")
    page.wait_for_selector("#flash:not([hidden])")
    assert "No similar claim" in page.inner_text("#flash")
    assert page.js_errors == []


def test_closing_the_editor_ends_link_mode(live_server, page, story):
    """Link mode belongs to the open span: closing its editor ends it, and a click on a
    highlight opens that span again instead of linking."""
    claim, _, denial = story
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, denial)
    page.click(".js-link-start")
    page.wait_for_selector("#link-banner:not([hidden])")
    page.click(".js-close-editor")
    page.wait_for_selector("#link-banner", state="hidden")
    mark(page, claim).click()
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{claim.pk}"]')
    assert not Relation.objects.exists()
    assert page.js_errors == []
