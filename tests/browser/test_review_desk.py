"""The review desk in Chromium: a whole article labelled from the keyboard, a page that
does not jump, the sidebar's filters, previous/next, two reviewers at once, and exact
spans over hard Unicode."""

import re

import pytest

from annotations import selectors, services
from annotations.models import Annotation, Article, HistoryEvent, Label
from annotations.sentences import sentence_spans
from tests.browser.conftest import marks_off_their_line, select_with_mouse, sign_in
from tests.factories import make_article, make_span, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = (
    "Kirby said the talks are advancing. Moscow denied it on Thursday.\n\n"
    "Officials in Kyiv declined to comment. The ministry called the report “misleading”.\n"
    "Analysts were not surprised."
)


# The page's poll every 5 s never runs: what a test sees came from the page's own asking.
NO_TIMED_POLLS = """
  const everyFew = window.setInterval;
  window.setInterval = (fn, ms, ...rest) => (ms >= 1000 ? 0 : everyFew(fn, ms, ...rest));
"""


def open_article(page, base_url, article):
    page.goto(f"{base_url}/articles/{article.pk}/")
    page.wait_for_selector("#article-text")


def wait_for_spans(page, count):
    page.wait_for_function(
        "n => document.querySelectorAll('#article-text mark[data-first]').length === n", arg=count
    )


def test_keyboard_only_flow(live_server, page, artifacts):
    """Sentence cursor, label, next sentence, label, relabel the open span, delete it,
    undo with Ctrl+Z, the ? sheet: all without the mouse, each span exactly a sentence."""
    make_user("rita", role="reviewer")
    article = make_article(STORY)
    sentences = [article.body[a:b] for a, b in sentence_spans(article.body)]
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)

    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#label-bar:not([hidden])")
    assert page.evaluate("() => window.getSelection().toString()") == sentences[0]
    page.keyboard.press("1")
    wait_for_spans(page, 1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowDown")  # two sentences
    page.keyboard.press("2")
    wait_for_spans(page, 2)
    spans = list(Annotation.objects.order_by("start"))
    assert [s.quote for s in spans] == [
        sentences[0],
        article.body[
            article.body.index(sentences[1]) : article.body.index(sentences[2]) + len(sentences[2])
        ],
    ]
    assert [s.label.slug for s in spans] == ["claim", "denial"]

    # j/k walk the spans; Enter opens; 3 relabels the open span.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.evaluate("() => document.activeElement.dataset.annotationId") == str(spans[0].pk)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{spans[0].pk}"]')
    page.keyboard.press("3")
    page.wait_for_selector('.editor-card[data-label="unverified-allegation"]')
    assert Annotation.objects.get(pk=spans[0].pk).label.slug == "unverified-allegation"
    # The redrawn paragraph gets the keyboard back on the same span.
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.dataset.annotationId === id",
        arg=str(spans[0].pk),
    )

    # Delete, then undo.
    page.keyboard.press("Delete")
    wait_for_spans(page, 1)
    page.wait_for_selector("#toast [data-undo]")
    assert not Annotation.objects.filter(pk=spans[0].pk).exists()
    page.keyboard.press("Control+z")
    wait_for_spans(page, 2)
    assert Annotation.objects.get(pk=spans[0].pk).label.slug == "unverified-allegation"

    page.keyboard.press("?")
    page.wait_for_selector("dialog#shortcuts[open]")
    page.screenshot(path=str(artifacts / "shortcuts.png"))
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('shortcuts').open")

    # Esc closes the editor and clears any selection, so a later key labels nothing.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.getSelection().isCollapsed")
    assert page.locator(".editor-card").count() == 0
    page.keyboard.press("1")
    page.wait_for_selector("#flash:not([hidden])")
    assert Annotation.objects.count() == 2
    assert page.js_errors == []


def test_keyboard_down_after_a_word_adjusted_span_goes_on(live_server, page):
    """↓ after labelling a selection trimmed by a word (Shift+←), or one made with the
    mouse, selects the sentence after that span, not the first sentence on screen."""
    make_user("rita", role="reviewer")
    article = make_article(STORY)
    sentences = [article.body[a:b] for a, b in sentence_spans(article.body)]
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)

    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => window.getSelection().toString()") == sentences[2]
    page.keyboard.press("Shift+ArrowLeft")  # drop the last word
    assert (
        page.evaluate("() => window.getSelection().toString()") == "Officials in Kyiv declined to"
    )
    page.keyboard.press("1")
    wait_for_spans(page, 1)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => window.getSelection().toString()") == sentences[3]
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => window.getSelection().toString()") == sentences[2]

    page.keyboard.press("Escape")
    select_with_mouse(page, "Moscow denied it")
    page.wait_for_selector("#label-bar:not([hidden])")
    page.keyboard.press("2")
    wait_for_spans(page, 2)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => window.getSelection().toString()") == sentences[2]
    assert page.js_errors == []


def test_a_restored_deletion_takes_its_undo_toast_away(live_server, page):
    """Deleted, then restored from the sidebar's Restore button: the "Span deleted. Undo"
    toast goes (Ctrl+Z has nothing left to undo) and the keyboard is on the restored
    span's entry."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 409 else None)
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/annotations/{span.pk}/")
    page.click("#annotation-editor [data-delete]")
    page.wait_for_selector("#toast [data-undo]")
    wait_for_spans(page, 0)

    page.focus("#deleted-block button")
    before = page.evaluate("() => window.scrollY")
    page.keyboard.press("Enter")
    wait_for_spans(page, 1)
    # Gone at once, not when the toast's 10 s are up.
    page.wait_for_function("() => !document.querySelector('#toast [data-undo]')", timeout=2000)
    assert page.evaluate("id => Boolean(document.activeElement.closest('#li-' + id))", span.pk), (
        page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
    )
    assert page.evaluate("() => window.scrollY") == before  # the reader stays put
    page.keyboard.press("Control+z")
    page.wait_for_timeout(500)
    assert refused == [] and page.is_hidden("#flash")
    assert Annotation.objects.filter(pk=span.pk).exists()

    assert page.js_errors == []


def test_a_deletion_restored_elsewhere_takes_its_undo_toast_away_on_the_next_poll(
    live_server, page
):
    """Deleted here, restored by an editor elsewhere (the admin, another page): the next
    poll takes the "Span deleted. Undo" toast away, since its Undo would be refused."""
    rita, edith = make_user("rita", role="reviewer"), make_user("edith", role="editor")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/annotations/{span.pk}/")
    page.click("#annotation-editor [data-delete]")
    page.wait_for_selector("#toast [data-undo]")
    wait_for_spans(page, 0)
    services.annotation_restore(event=selectors.latest_deletion(span.pk), actor=edith)
    page.evaluate("() => window.FactcheckReview.poll()")
    wait_for_spans(page, 1)
    page.wait_for_function("() => !document.querySelector('#toast [data-undo]')", timeout=2000)
    assert page.js_errors == []


def test_delete_pressed_while_the_editor_is_redrawn_is_drawn_whole(live_server, page):
    """Delete pressed while another answer is on its way to redraw the editor (a span
    opened from the list a moment before): that answer replaces the Delete button, and
    the delete's own answer must still be drawn whole (the span out of the text and the
    list, in "Recently deleted", the Undo toast). htmx 2.0.10 dropped all of it but the
    editor, since it looked for those regions inside the replaced button's tree."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    first = make_span(article, "Moscow denied it", rita, label_slug="denial")
    second = make_span(article, "Analysts were not surprised.", rita, label_slug="claim")
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/annotations/{first.pk}/")
    wait_for_spans(page, 2)

    held = {}
    page.route(re.compile(rf"/annotations/{second.pk}/\?"), lambda route: held.update(open=route))
    page.route(
        re.compile(rf"/annotations/{first.pk}/delete/$"), lambda route: held.update(delete=route)
    )
    page.click(f"#li-{second.pk} .span-item")
    wait_until(page, lambda: "open" in held)
    button = page.query_selector("#annotation-editor [data-delete]")
    button.click()  # still the first span's card
    wait_until(page, lambda: "delete" in held)

    held["open"].continue_()
    page.wait_for_function("button => !button.isConnected", arg=button)
    held["delete"].continue_()
    page.wait_for_selector("#toast [data-undo]")
    wait_for_spans(page, 1)
    # The list is redrawn once the answer settles (htmx's 20 ms after its swap).
    page.wait_for_function(f"() => !document.getElementById('li-{first.pk}')")
    assert page.query_selector("#deleted-block form[hx-post]") is not None
    assert not Annotation.objects.filter(pk=first.pk).exists()

    page.click("#toast [data-undo]")  # and its Undo works
    wait_for_spans(page, 2)
    assert Annotation.objects.filter(pk=first.pk).exists()
    assert page.js_errors == []


def test_the_keyboard_stays_on_a_list_entry_redrawn_by_its_own_change(live_server, page):
    """Enter on a span's list entry opens it and 3 relabels it: the entry is redrawn with
    the new label and the keyboard is still on it (Tab and Enter go on from there)."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    page.focus(f"#li-{span.pk} .span-item")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{span.pk}"]')
    page.keyboard.press("3")
    page.wait_for_selector(f'#li-{span.pk} .span-item[data-label="unverified-allegation"]')
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    assert page.evaluate(
        "id => document.activeElement === document.querySelector('#li-' + id + ' .span-item')",
        span.pk,
    ), page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
    assert page.js_errors == []


def test_a_new_undo_toast_lives_its_own_ten_seconds(live_server, page):
    """A toast retired early (its deletion restored from the sidebar) must not take the
    next deletion's toast away when its own 10 s would have ended: each toast keeps its
    own 10 s."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    page.clock.install()
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/annotations/{span.pk}/")
    page.click("#annotation-editor [data-delete]")
    page.wait_for_selector("#toast [data-undo]")
    wait_for_spans(page, 0)
    page.click("#deleted-block button")  # restored from the sidebar: the toast goes early
    wait_for_spans(page, 1)
    page.wait_for_function("() => !document.querySelector('#toast [data-undo]')")

    page.clock.fast_forward(8_000)  # most of the first toast's 10 s have gone by
    page.click(f"#li-{span.pk} .span-item")
    page.click("#annotation-editor [data-delete]")
    page.wait_for_selector("#toast [data-undo]")
    page.clock.fast_forward(4_000)  # past the first toast's end, within the second's
    assert page.is_visible("#toast [data-undo]")
    page.clock.fast_forward(7_000)  # past the second toast's own 10 s
    page.wait_for_function("() => !document.querySelector('#toast [data-undo]')")
    assert page.js_errors == []


def wait_until(page, condition, timeout_ms=5000):
    """Let the page's events (a held request reaching its route) run until `condition`."""
    for _ in range(timeout_ms // 20):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError("the page never got there")


def test_past_the_last_sentence_and_an_empty_pane(live_server, page):
    """↑ on the first sentence and ↓ past the last say so and store nothing."""
    make_user("rita", role="reviewer")
    article = make_article("Only one sentence here.")
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#flash:not([hidden])")
    assert "last sentence" in page.inner_text("#flash")
    assert "is-error" not in page.get_attribute("#flash", "class")  # a note, not an error
    assert Annotation.objects.count() == 0


def test_typing_in_a_field_does_not_label(live_server, page):
    """Keys typed in the speaker field are text, not shortcuts."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/annotations/{span.pk}/")
    page.click("#id_edit-speaker")
    page.keyboard.type("Zakharova 123 jk?")
    assert page.input_value("#id_edit-speaker") == "Zakharova 123 jk?"
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(300)
    assert Annotation.objects.get(pk=span.pk).speaker.name == "Zakharova 123 jk?"
    assert Annotation.objects.count() == 1


def test_the_page_does_not_jump(live_server, page):
    """On a long article, labelling, saving and adding a source keep the reader's
    scroll position and the sidebar's scroll."""
    rita = make_user("rita", role="reviewer")
    paragraphs = [
        f"Paragraph {i}: the minister said the bridge number {i} is safe." for i in range(160)
    ]
    article = make_article("\n\n".join(paragraphs))
    make_span(article, "Paragraph 3", rita)
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)

    select_with_mouse(page, "the bridge number 90 is safe")
    page.wait_for_selector("#label-bar:not([hidden])")
    before = page.evaluate("() => window.scrollY")
    assert before > 1000
    page.keyboard.press("1")
    wait_for_spans(page, 2)
    assert abs(page.evaluate("() => window.scrollY") - before) <= 2

    page.fill("#id_edit-note", "Checked against the register")
    page.click(".edit-form button[type=submit]:not([data-delete])")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(200)
    assert abs(page.evaluate("() => window.scrollY") - before) <= 2
    assert Annotation.objects.filter(note="Checked against the register").exists()

    page.click(".add-source summary")
    page.fill("#id_source-url", "not a url")
    page.click(".add-source button[type=submit]")
    page.wait_for_selector("#annotation-editor .errorlist")
    assert abs(page.evaluate("() => window.scrollY") - before) <= 2
    # The error is in view inside the sidebar.
    assert page.evaluate(
        "() => { const b = document.querySelector('#annotation-editor .errorlist')"
        ".getBoundingClientRect();"
        " return b.top >= 0 && b.bottom <= window.innerHeight; }"
    )
    assert page.js_errors == []


def test_sidebar_filters_and_navigation(live_server, page, artifacts):
    """The span list filters by label and reviewer; clicking a span opens it; previous
    and next follow the article list; "Mark reviewed, next" moves on."""
    rita, oscar = make_user("rita", role="reviewer"), make_user("oscar", role="reviewer")
    older = make_article("An older article. It has words.", title="Older")
    article = make_article(STORY, title="Current")
    newer = make_article("A newer article. It has words too.", title="Newer")
    # Same publication time: the list orders by id, newest first.
    make_span(article, "Kirby said", rita)
    make_span(article, "Moscow denied it", oscar, label_slug="denial")
    make_span(article, "declined to comment", rita, label_slug="denial")
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    assert page.locator("#annotation-list .span-item").count() == 3

    page.select_option("#list-label", "denial")
    page.wait_for_function(
        "() => document.querySelectorAll('#annotation-list .span-item').length === 2"
    )
    page.select_option("#list-reviewer", "oscar")
    page.wait_for_function(
        "() => document.querySelectorAll('#annotation-list .span-item').length === 1"
    )
    assert "Moscow denied it" in page.inner_text("#annotation-list")
    page.click("#annotation-list .span-item")
    page.wait_for_selector(".editor-card[data-label=denial]")
    page.screenshot(path=str(artifacts / "review-desk.png"))

    assert page.get_attribute("a[rel=prev]", "href").endswith(f"/articles/{newer.pk}/")
    assert page.get_attribute("a[rel=next]", "href").endswith(f"/articles/{older.pk}/")
    page.click("text=Mark reviewed, next →")
    page.wait_for_url(f"{live_server.url}/articles/{older.pk}/")
    assert Article.objects.get(pk=article.pk).status == "reviewed"
    assert page.js_errors == []


def test_two_reviewers_see_each_others_spans(live_server, page, browser):
    """Rita and Oscar on one article: Oscar's new span appears on Rita's page without a
    reload, while Rita's open editor stays as it was; nobody's span is lost."""
    rita, _ = make_user("rita", role="reviewer"), make_user("oscar", role="reviewer")
    article = make_article(STORY)
    mine = make_span(article, "Kirby said", rita)
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        second = other.new_page()
        sign_in(page, live_server.url, "rita")
        sign_in(second, live_server.url, "oscar")
        page.goto(f"{live_server.url}/annotations/{mine.pk}/")
        page.wait_for_selector("#id_edit-note")
        page.fill("#id_edit-note", "half-typed")
        open_article(second, live_server.url, article)
        select_with_mouse(second, "declined to comment")
        second.keyboard.press("2")
        wait_for_spans(second, 2)

        page.wait_for_function(
            "() => document.querySelectorAll('#article-text mark[data-first]').length === 2",
            timeout=10_000,
        )
        assert page.input_value("#id_edit-note") == "half-typed"
        assert "declined to comment" in page.inner_text("#annotation-list")
        assert Annotation.objects.count() == 2
        assert HistoryEvent.objects.filter(action="create").count() == 2
    finally:
        other.close()


HARD = (
    "Emoji 👩‍👩‍👧 family, flag 🇫🇷 France.\n"
    "東京で会議が開かれた。\n"
    "قال المتحدث إن المحادثات تتقدم.\n"
    "Cafe\u0301 au lait\u00a0chaud.\r\nEnd of CRLF line."
)


@pytest.mark.parametrize(
    "phrase",
    [
        "👩‍👩‍👧 family",
        "flag 🇫🇷",
        "会議が開かれた",
        "المحادثات تتقدم",
        "Café au lait\u00a0chaud",
        "CRLF line",
    ],
)
def test_hard_unicode_spans_are_exact(live_server, page, phrase):
    """Each phrase selected with the mouse is stored with exactly its text."""
    make_user("rita", role="reviewer")
    article = make_article(HARD)
    assert phrase in article.body, phrase
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    page.uncheck("#snap-words")  # exact characters, not whole words
    select_with_mouse(page, phrase)
    page.wait_for_selector("#label-bar:not([hidden])")
    page.keyboard.press("1")
    wait_for_spans(page, 1)
    span = Annotation.objects.get()
    assert span.quote == phrase
    assert article.body[span.start : span.end] == phrase
    assert (
        page.evaluate("() => document.getElementById('article-text').textContent") == article.body
    )


def test_a_drag_can_start_on_a_highlight(live_server, page):
    """A drag that starts on the first character of an existing highlight selects text
    (it does not open that span), so a second label on the same words is easy."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    make_span(article, "Moscow denied it", rita)
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    page.uncheck("#snap-words")
    select_with_mouse(page, "Moscow denied it on Thursday")
    page.wait_for_selector("#label-bar:not([hidden])")
    assert page.locator(".editor-card").count() == 0
    page.keyboard.press("2")
    wait_for_spans(page, 2)
    assert {a.quote for a in Annotation.objects.all()} == {
        "Moscow denied it",
        "Moscow denied it on Thursday",
    }


def test_mouse_selection_snaps_to_whole_words(live_server, page):
    """A sloppy drag from inside one word to inside another stores the whole words; the
    setting is remembered for the reviewer."""
    make_user("rita", role="reviewer")
    article = make_article(STORY)
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    select_with_mouse(page, "isleading")
    page.keyboard.press("1")
    wait_for_spans(page, 1)
    assert Annotation.objects.get().quote == "misleading"
    page.uncheck("#snap-words")
    page.reload()
    assert not page.is_checked("#snap-words")


def test_a_drag_begun_in_the_title_snaps_too(live_server, page):
    """A drag from the title into the middle of a word stores the text from the start to
    the end of that word: the part of the drag in the article is snapped like any other."""
    make_user("rita", role="reviewer")
    article = make_article(STORY)
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    inside_talks = STORY.index("talks") + 2  # "ta|lks"
    title = page.locator("#article-title").bounding_box()
    word = page.evaluate(
        """at => {
          const pane = document.getElementById('article-text');
          const box = FactcheckOffsets.rangeFromSpan(pane, at, at + 1).getBoundingClientRect();
          return {x: box.left + 1, y: box.top + box.height / 2};
        }""",
        inside_talks,
    )
    page.mouse.move(title["x"] + 5, title["y"] + title["height"] / 2)
    page.mouse.down()
    page.mouse.move(word["x"], word["y"], steps=10)
    page.mouse.up()
    page.keyboard.press("1")
    wait_for_spans(page, 1)
    assert Annotation.objects.get().quote == "Kirby said the talks"
    assert page.js_errors == []


def test_a_refused_restore_brings_the_page_up_to_date_at_once(live_server, page):
    """Restore pressed on a deletion someone restored meanwhile: refused ("already been
    restored"), and the page asks for the article's state at once, without waiting for
    its next poll: the span is back in the text and the list, and no longer offered."""
    rita, edith = make_user("rita", role="reviewer"), make_user("edith", role="editor")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    services.annotation_delete(annotation=span, actor=rita)
    page.add_init_script(NO_TIMED_POLLS)
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    wait_for_spans(page, 0)
    services.annotation_restore(event=selectors.latest_deletion(span.pk), actor=edith)

    page.click("#deleted-block button")
    page.wait_for_selector("#flash:not([hidden])")
    assert "already been restored" in page.inner_text("#flash")
    wait_for_spans(page, 1)
    page.wait_for_selector(f"#li-{span.pk}")
    assert page.query_selector("#deleted-block form[hx-post]") is None
    assert page.js_errors == []


def test_a_refused_duplicate_lists_the_span_it_names_at_once(live_server, page):
    """The same text labelled in another tab meanwhile: the duplicate is refused naming
    that span, which the list shows at once rather than at the next poll."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    page.add_init_script(NO_TIMED_POLLS)
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    sentence = "Moscow denied it on Thursday."
    twin = make_span(article, sentence, rita, label_slug="denial")  # made in another tab
    for _ in range(2):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => window.getSelection().toString()") == sentence
    page.keyboard.press("2")
    page.wait_for_selector("#flash:not([hidden])")
    assert f"span #{twin.pk}" in page.inner_text("#flash")
    assert "is-error" in page.get_attribute("#flash", "class")  # a refusal, in red
    page.wait_for_selector(f"#li-{twin.pk}")
    assert Annotation.objects.count() == 1
    assert page.js_errors == []


def test_an_empty_article_has_no_sentence_to_select(live_server, page):
    """The sentence cursor on an article with no sentences says so; nothing is stored."""
    make_user("rita", role="reviewer")
    article = make_article("   ")
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#flash:not([hidden])")
    assert "no sentences" in page.inner_text("#flash")
    assert Annotation.objects.count() == 0


def test_a_poll_answer_older_than_the_pages_own_change_is_not_drawn(live_server, page):
    """A poll on its way while the reviewer deletes a span answers with the state from
    before the delete: drawn, it would show the span again and take the Undo toast away
    (the deletion it undoes would not be in Recently deleted). It is dropped instead."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    span = make_span(article, "Moscow denied it", rita, label_slug="denial")
    make_span(article, "the talks are advancing", rita)  # so that the state has spans left
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/annotations/{span.pk}/")
    wait_for_spans(page, 2)
    held = []

    def hold(route):  # the server answers now; the page gets the answer when released
        held.append((route, route.fetch()))

    page.route("**/state/**", hold)
    services.annotation_update(annotation=span, actor=rita, note="changed elsewhere")
    page.evaluate("() => window.FactcheckReview.poll()")
    wait_until(page, lambda: held)  # the poll was sent
    page.click("#annotation-editor [data-delete]")
    page.wait_for_selector("#toast [data-undo]")
    wait_for_spans(page, 1)

    route, answer = held[0]
    route.fulfill(response=answer)
    page.wait_for_timeout(800)
    assert page.is_visible("#toast [data-undo]")
    marks = "() => document.querySelectorAll('#article-text mark[data-first]').length"
    assert page.evaluate(marks) == 1
    assert page.query_selector(f"#li-{span.pk}") is None
    assert page.js_errors == []


def test_a_poll_answer_for_the_lists_old_filter_is_not_drawn(live_server, page):
    """A poll on its way when the reviewer filters the list by label answers with the
    unfiltered list: drawn after the filter's own answer, it would list spans the filter
    hides. It is dropped; the next poll asks with the new filter."""
    rita = make_user("rita", role="reviewer")
    article = make_article(STORY)
    denial = make_span(article, "Moscow denied it", rita, label_slug="denial")
    claim = make_span(article, "the talks are advancing", rita, label_slug="claim")
    sign_in(page, live_server.url, "rita")
    open_article(page, live_server.url, article)
    wait_for_spans(page, 2)
    held = []
    page.route("**/state/**", lambda route: held.append((route, route.fetch())))
    services.annotation_update(annotation=claim, actor=rita, note="changed elsewhere")
    page.evaluate("() => window.FactcheckReview.poll()")
    wait_until(page, lambda: held)  # the poll was sent, with no filter

    page.select_option("#list-label", "denial")
    page.wait_for_function(f"() => !document.querySelector('#li-{claim.pk}')")
    route, answer = held[0]
    route.fulfill(response=answer)
    page.wait_for_timeout(800)
    assert page.query_selector(f"#li-{claim.pk}") is None
    assert page.query_selector(f"#li-{denial.pk}") is not None

    page.unroute("**/state/**")
    later_denial = make_span(article, "declined to comment", rita, label_slug="denial")
    later_claim = make_span(article, "Analysts were not surprised", rita, label_slug="claim")
    page.evaluate("() => window.FactcheckReview.poll()")  # asks with the new filter
    page.wait_for_selector(f"#li-{later_denial.pk}")
    assert page.query_selector(f"#li-{claim.pk}") is None
    assert page.query_selector(f"#li-{later_claim.pk}") is None
    assert page.js_errors == []


def test_a_label_badge_stays_on_the_line_of_its_spans_first_word(live_server, page, artifacts):
    """At any width, a span's label badge (the letter colour-blind readers go by) is on
    the line where the span begins, never left at the end of the line before."""
    rita = make_user("rita", role="reviewer")
    sentence = "Critics denied that claim strongly."
    article = make_article(f"Officials said the plan was sound. {sentence} " * 30)
    at = -1
    while (at := article.body.find(sentence, at + 1)) >= 0:
        services.annotation_create(
            article=article,
            label=Label.objects.get(slug="denial"),
            start=at,
            end=at + len(sentence),
            quote=sentence,
            author=rita,
        )
    sign_in(page, live_server.url, "rita")
    off = {}
    for width in range(700, 1400, 23):
        page.set_viewport_size({"width": width, "height": 900})
        open_article(page, live_server.url, article)
        if count := marks_off_their_line(page, "#article-text mark[data-first]"):
            off[width] = count
    page.screenshot(path=str(artifacts / "badges-at-line-ends.png"))
    assert off == {}, f"badges left at a line's end, by viewport width: {off}"
