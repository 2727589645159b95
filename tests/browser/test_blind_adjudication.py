"""Blind double annotation to a gold export, in Chromium: two reviewers mark the same
article without seeing each other's spans, the editor adjudicates (keyboard and buttons),
and the gold export holds exactly the spans the editor accepted."""

import json

import pytest

from annotations.models import Annotation
from tests.adjudication_factories import make_collection, span_on
from tests.browser.conftest import marks_off_their_line, select_with_mouse, sign_in
from tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = (
    "Kirby said the talks are advancing. Moscow denied it on Thursday.\n\n"
    "Officials in Kyiv declined to comment. Prices rose sharply."
)


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    return page


def mark(page, base_url, article, text, key):
    """Select `text` with the mouse in the review page and press a label key."""
    before = page.locator("#article-text mark[data-first]").count()
    select_with_mouse(page, text)
    page.wait_for_selector("#label-bar:not([hidden])")
    page.keyboard.press(key)
    page.wait_for_function(
        "n => document.querySelectorAll('#article-text mark[data-first]').length === n",
        arg=before + 1,
    )


def review(page, base_url, article, username, marks):
    sign_in(page, base_url, username)
    page.goto(f"{base_url}/articles/{article.pk}/")
    page.wait_for_selector("#article-text")
    for text, key in marks:
        mark(page, base_url, article, text, key)


def visible_quotes(page, count=None) -> set[str]:
    """The quotes in the review page's span list (once it lists `count` of them)."""
    if count is not None:
        page.wait_for_function(
            "n => document.querySelectorAll('#annotation-list .span-quote').length === n",
            arg=count,
        )
    return set(
        page.evaluate(
            "() => Array.from(document.querySelectorAll('#annotation-list .span-quote'))"
            ".map(e => e.textContent)"
        )
    )


def focus_candidate(page, span_id):
    """j or k until the keyboard is on the candidate for `span_id`."""
    order = page.evaluate(
        "() => Array.from(document.querySelectorAll('.adj-candidate'))"
        ".map(e => e.dataset.candidate)"
    )
    here = page.evaluate("() => document.activeElement.dataset.candidate || null")
    start = order.index(here) if here in order else -1
    target = order.index(str(span_id))
    if start < 0:
        page.keyboard.press("j")
        start = 0
    for _ in range(abs(target - start)):
        page.keyboard.press("j" if target > start else "k")
    focused = page.evaluate("() => document.activeElement.dataset.candidate")
    assert focused == str(span_id), (order, here, focused)


def test_blind_double_annotation_adjudicated_to_exactly_the_accepted_gold(
    live_server, browser, artifacts
):
    rita, oscar = make_user("rita"), make_user("oscar")
    edith = make_user("edith", role="editor")
    article = make_article(STORY, title="Talks and prices")
    make_collection(article, reviewers=[rita, oscar], editors=[edith], blind=True)
    base = live_server.url

    # Reviewer A (rita): two spans.
    page_a = new_page(browser)
    review(
        page_a,
        base,
        article,
        "rita",
        [("the talks are advancing", "1"), ("Moscow denied it", "2")],
    )

    # Reviewer B (oscar), blind: rita's spans are not on his page.
    page_b = new_page(browser)
    sign_in(page_b, base, "oscar")
    page_b.goto(f"{base}/articles/{article.pk}/")
    page_b.wait_for_selector("#article-text")
    assert page_b.locator("#article-text mark").count() == 0, "blind: oscar sees rita's spans"
    for text, key in [
        ("the talks are advancing", "1"),
        ("Moscow denied it on Thursday", "2"),
        ("Prices rose sharply", "1"),
    ]:
        mark(page_b, base, article, text, key)
    assert visible_quotes(page_b, 3) == {
        "the talks are advancing",
        "Moscow denied it on Thursday",
        "Prices rose sharply",
    }
    # And rita, reloading, still sees only her own.
    page_a.reload()
    page_a.wait_for_selector("#article-text")
    assert visible_quotes(page_a, 2) == {"the talks are advancing", "Moscow denied it"}

    spans = {(s.author.username, s.quote): s for s in Annotation.objects.select_related("author")}
    assert len(spans) == 5

    # The editor adjudicates.
    page_e = new_page(browser)
    page_e.on("dialog", lambda dialog: dialog.accept())
    sign_in(page_e, base, "edith")
    page_e.goto(f"{base}/articles/{article.pk}/")
    page_e.click("a.adj-link")
    page_e.wait_for_selector("#adjudication")
    page_e.click('[data-action="start"]')
    # Both marked the claim alike: pre-accepted from both.
    page_e.wait_for_selector("#adj-gold-list li.adj-gold-item")
    assert page_e.locator("#adj-gold-list li.adj-gold-item").count() == 1
    assert page_e.locator(".adj-candidate.is-disputed").count() == 3

    # Keyboard: accept rita's short denial (j … a), reject oscar's long one (r).
    focus_candidate(page_e, spans[("rita", "Moscow denied it")].pk)
    page_e.keyboard.press("a")
    page_e.wait_for_function(
        "() => document.querySelectorAll('#adj-gold-list li.adj-gold-item').length === 2"
    )
    focus_candidate(page_e, spans[("oscar", "Moscow denied it on Thursday")].pk)
    page_e.keyboard.press("r")
    page_e.wait_for_selector(
        f"#cand-{spans[('oscar', 'Moscow denied it on Thursday')].pk}.state-rejected"
    )
    # A button: reject the prices claim.
    prices = spans[("oscar", "Prices rose sharply")].pk
    page_e.click(f'#cand-{prices} [data-action="reject"]')
    page_e.wait_for_selector(f"#cand-{prices}.state-rejected")
    page_e.keyboard.press("?")
    assert page_e.locator("#adj-shortcuts[open]").count() == 1
    page_e.keyboard.press("Escape")
    page_e.screenshot(path=str(artifacts / "adjudication-view.png"), full_page=True)

    page_e.click('[data-action="finish"]')
    page_e.wait_for_selector('#adjudication[data-finished="true"]')
    assert "Adjudicated" in page_e.locator(".adj-head .pill").inner_text()

    # The gold export: exactly the accepted spans.
    response = page_e.request.get(f"{base}/export/download/?format=jsonl&layer=gold")
    assert response.status == 200
    (record,) = [json.loads(line) for line in response.text().splitlines()]
    assert record["id"] == article.pk
    got = sorted((s["start"], s["end"], s["label"]) for s in record["spans"])
    claim = spans[("rita", "the talks are advancing")]
    denial = spans[("rita", "Moscow denied it")]
    assert got == sorted([(claim.start, claim.end, "claim"), (denial.start, denial.end, "denial")])
    assert {s["annotator"] for s in record["spans"]} == {"edith"}

    # Adjudicated: the blind is lifted, rita now sees oscar's spans too.
    page_a.reload()
    page_a.wait_for_selector("#article-text")
    assert "Prices rose sharply" in visible_quotes(page_a, 5)
    for page in (page_a, page_b, page_e):
        assert page.js_errors == []
        page.context.close()


def test_merge_and_edit_from_the_keyboard(live_server, browser, artifacts):
    """Space selects two disputed spans, m merges them into one gold span (the union of
    their bounds), e opens its editor, and a new end saved with Enter moves it."""
    rita, oscar = make_user("rita"), make_user("oscar")
    make_user("edith", role="editor")
    article = make_article(STORY, title="Merge me")
    make_collection(article, reviewers=[rita, oscar], blind=True)
    short = span_on(article, "Moscow denied it", rita, label_slug="denial")
    longer = span_on(article, "denied it on Thursday", oscar, label_slug="denial")

    page = new_page(browser)
    sign_in(page, live_server.url, "edith")
    page.goto(f"{live_server.url}/articles/{article.pk}/adjudicate/")
    page.click('[data-action="start"]')
    page.wait_for_selector('#adjudication[data-started="true"]')
    assert page.locator("#adj-gold-list li.adj-gold-item").count() == 0

    focus_candidate(page, short.pk)
    page.keyboard.press(" ")
    focus_candidate(page, longer.pk)
    page.keyboard.press("Enter")
    assert page.locator(".adj-candidate.is-selected").count() == 2
    page.keyboard.press("m")
    page.wait_for_selector("#adj-gold-list li.adj-gold-item")
    gold = Annotation.objects.get(article=article, layer="gold")
    assert gold.quote == "Moscow denied it on Thursday"
    assert sorted(gold.adjudicated_from.values_list("pk", flat=True)) == [short.pk, longer.pk]

    focus_candidate(page, short.pk)
    page.keyboard.press("e")
    end = page.locator(f"#gold-{gold.pk} input[name=end]")
    end.fill(str(gold.end - len(" on Thursday")))
    end.press("Enter")
    page.wait_for_function(
        "q => document.querySelector('#adj-gold-list .adj-quote').textContent.includes(q)",
        arg="“Moscow denied it”",
    )
    gold.refresh_from_db()
    assert gold.quote == "Moscow denied it"
    assert page.js_errors == []
    page.context.close()


def test_a_stale_gold_edit_shows_theirs_beside_mine_and_saves_on_purpose(
    live_server, browser, artifacts
):
    """Edith's page is open when Eric moves the gold span's end: her own new end is
    answered 409, the board redrawn with his bounds beside hers (still in the open form,
    the keyboard on the conflict); saving again applies hers."""
    from annotations.services import adjudication as service

    rita, oscar = make_user("rita"), make_user("oscar")
    edith, eric = make_user("edith", role="editor"), make_user("eric", role="editor")
    article = make_article(STORY, title="Two editors")
    make_collection(article, reviewers=[rita, oscar], blind=True)
    span_on(article, "Moscow denied it", rita, label_slug="denial")
    span_on(article, "Moscow denied it", oscar, label_slug="denial")
    service.adjudication_start(article=article, actor=edith)
    gold = Annotation.objects.get(article=article, layer="gold")

    page = new_page(browser)
    sign_in(page, live_server.url, "edith")
    page.goto(f"{live_server.url}/articles/{article.pk}/adjudicate/")
    page.click(f"#gold-{gold.pk} summary")
    service.edit_gold_span(
        article=article, gold_id=gold.pk, actor=eric, expected_version=1, end=gold.end - 3
    )
    end = page.locator(f"#gold-{gold.pk} input[name=end]")
    end.fill(str(gold.end + len(" on Thursday")))
    end.press("Enter")
    page.wait_for_selector(f"#gold-{gold.pk} .conflict")
    assert "Moscow denied" in page.locator(f"#gold-{gold.pk} .conflict dd").inner_text()
    assert page.evaluate("document.activeElement.classList.contains('conflict')")
    assert end.input_value() == str(gold.end + len(" on Thursday"))
    assert Annotation.objects.get(pk=gold.pk).quote == "Moscow denied"
    page.screenshot(path=str(artifacts / "adjudication-stale-gold-edit.png"))

    page.click(f'#gold-{gold.pk} [data-action="save-gold"]')
    page.wait_for_selector(f"#gold-{gold.pk} .conflict", state="detached")
    assert Annotation.objects.get(pk=gold.pk).quote == "Moscow denied it on Thursday"
    assert page.js_errors == []
    page.context.close()


def test_reviewer_letters_stay_on_the_line_of_their_spans(live_server, page, artifacts):
    """At any width, the letter of a reviewer's span on the adjudication page is on the
    line where the span begins, never left at the end of the line before."""
    rita, oscar = make_user("rita"), make_user("oscar")
    make_user("edith", role="editor")
    sentence = "Critics denied that claim strongly."
    article = make_article(f"Officials said the plan was sound. {sentence} " * 12)
    make_collection(article, reviewers=[rita, oscar], editors=[])
    for occurrence in range(12):
        span_on(article, sentence, rita, occurrence=occurrence)
        span_on(article, sentence, oscar, occurrence=occurrence, label_slug="denial")
    sign_in(page, live_server.url, "edith")
    off = {}
    for width in range(1000, 1700, 29):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/articles/{article.pk}/adjudicate/")
        page.wait_for_selector("mark.adj-mark")
        if count := marks_off_their_line(page, "mark.adj-mark[data-badge]"):
            off[width] = count
    page.screenshot(path=str(artifacts / "adjudication-letters.png"))
    assert off == {}, f"letters left at a line's end, by viewport width: {off}"
