"""Another reviewer's changes arrive by the page's poll without moving anything of the
reviewer's: the pages of the span list loaded so far, the sidebar's scroll, the reading
position and the keyboard focus stay as they were."""

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation
from annotations.offsets import quote_selector
from annotations.sentences import sentence_spans
from annotations.views.regions import LIST_PAGE
from tests.browser.conftest import sign_in
from tests.factories import label, make_article, make_span, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Ten sentences a paragraph, each one unique, so a span can be made on any of them.
LONG = "\n\n".join(
    " ".join(f"Sentence {p * 10 + s} says the figure is {p * 10 + s}." for s in range(10))
    for p in range(30)
)

# What the reviewer sees: the sidebar's and the page's scroll, the first span-list entry
# in the sidebar's view and where it is on screen, how many entries are loaded, the focus.
VIEW = """() => {
  const side = document.querySelector('.sidebar');
  const top = side.getBoundingClientRect().top;
  const items = Array.from(document.querySelectorAll('#annotation-list > li[id^="li-"]'));
  const first = items.find(li => li.getBoundingClientRect().bottom > top + 1);
  return {side: side.scrollTop, y: window.scrollY, count: items.length,
          first: first ? first.id : null,
          firstTop: first ? first.getBoundingClientRect().top : null,
          active: document.activeElement.id || document.activeElement.tagName};
}"""


def spans_on_sentences(article, author, indexes):
    """One claim on each of these sentences, straight to the table (setup, not under test)."""
    bounds = list(sentence_spans(article.body))
    rows = []
    for i in indexes:
        start, end = bounds[i]
        selector = quote_selector(article.body, start, end)
        rows.append(
            Annotation(
                article=article,
                label=label("claim"),
                start=start,
                end=end,
                quote=selector.exact,
                prefix=selector.prefix,
                suffix=selector.suffix,
                author=author,
            )
        )
    Annotation.objects.bulk_create(rows)


def poll_and_settle(page, until):
    """Run the page's own poll now (it runs every 5 s) and wait until its answer is in."""
    page.evaluate("() => window.FactcheckReview.poll()")
    page.wait_for_function(until, timeout=10_000)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(300)  # any "more" row revealed, any layout settled


def test_a_poll_keeps_the_loaded_pages_the_sidebar_scroll_and_the_focus(live_server, page):
    """Rita has scrolled the sidebar into its second page, with the keyboard on the label
    filter; Oscar adds a span after what she looks at, then one above it, then deletes one
    above it. Each time that entry comes or goes and nothing else moves: every loaded
    entry stays, the sidebar shows the same entries at the same place, the page does not
    scroll, the filter keeps the keyboard (also when a new reviewer joins its choices)."""
    make_user("rita", role="reviewer")
    oscar, vera = make_user("oscar", role="reviewer"), make_user("vera", role="reviewer")
    article = make_article(LONG)
    held = LIST_PAGE + 60
    spans_on_sentences(article, oscar, range(held))
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    page.wait_for_selector("#article-text mark[data-first]")
    page.click("#list-more button")  # the second page
    page.wait_for_function(
        "n => document.querySelectorAll('#annotation-list .span-item').length === n"
        " && !document.getElementById('list-more')",
        arg=held,
    )
    # The keyboard on the label filter; the page and the sidebar scrolled (to an entry
    # of the second page).
    page.focus("#list-label")
    page.evaluate("() => window.scrollTo(0, 1500)")
    page.evaluate(
        """() => { const s = document.querySelector('.sidebar');
                   const li = document.querySelectorAll('#annotation-list > li')[230];
                   const gap = li.getBoundingClientRect().top - s.getBoundingClientRect().top;
                   s.scrollTop += gap; }"""
    )
    page.wait_for_timeout(200)
    before = page.evaluate(VIEW)
    assert before["side"] > 5000 and before["y"] == 1500 and before["active"] == "list-label"

    # A span after everything Rita looks at.
    make_span(article, "Sentence 280 says the figure is 280.", oscar)
    poll_and_settle(
        page,
        f"() => document.querySelectorAll('#annotation-list .span-item').length === {held + 1}",
    )
    after = page.evaluate(VIEW)
    assert after["count"] == held + 1  # the second page is still there, and the new entry
    assert abs(after["side"] - before["side"]) <= 2
    assert after["first"] == before["first"] and abs(after["firstTop"] - before["firstTop"]) <= 2
    assert abs(after["y"] - before["y"]) <= 2
    assert after["active"] == "list-label"

    # A span above what she looks at: the entries in view stay where they are on screen.
    make_span(article, "Sentence 5 says the figure is 5.", oscar, label_slug="denial")
    poll_and_settle(
        page,
        f"() => document.querySelectorAll('#annotation-list .span-item').length === {held + 2}",
    )
    again = page.evaluate(VIEW)
    assert again["first"] == before["first"] and abs(again["firstTop"] - before["firstTop"]) <= 2
    assert abs(again["y"] - before["y"]) <= 2
    assert again["active"] == "list-label"

    # And one of his above it goes: the entry leaves, the view stays.
    gone = Annotation.objects.get(article=article, start=article.body.index("Sentence 10 says"))
    services.annotation_delete(annotation=gone, actor=oscar)
    poll_and_settle(
        page,
        f"() => document.querySelectorAll('#annotation-list .span-item').length === {held + 1}",
    )
    last = page.evaluate(VIEW)
    assert last["first"] == before["first"] and abs(last["firstTop"] - before["firstTop"]) <= 2
    assert abs(last["y"] - before["y"]) <= 2
    assert last["active"] == "list-label"

    # Vera's first span: the reviewer filter, with the keyboard on it, offers her now.
    page.evaluate("() => document.getElementById('list-reviewer').focus({preventScroll: true})")
    make_span(article, "Sentence 290 says the figure is 290.", vera)
    poll_and_settle(page, "() => document.querySelector('#list-reviewer option[value=vera]')")
    final = page.evaluate(VIEW)
    assert final["active"] == "list-reviewer"
    assert page.input_value("#list-reviewer") == ""  # still "All reviewers"
    assert final["first"] == before["first"] and abs(final["firstTop"] - before["firstTop"]) <= 2
    assert page.js_errors == []


def test_a_poll_keeps_the_keyboard_on_a_restore_button(live_server, page):
    """Rita's keyboard is on the Restore button of a span she deleted; Oscar deletes one of
    his (a new entry above hers in "Recently deleted"): her button keeps the keyboard."""
    rita = make_user("rita", role="reviewer")
    oscar = make_user("oscar", role="reviewer")
    article = make_article(LONG)
    mine = make_span(article, "Sentence 3 says the figure is 3.", rita)
    his = make_span(article, "Sentence 40 says the figure is 40.", oscar)
    deletion = services.annotation_delete(annotation=mine, actor=rita)
    restore_url = reverse("annotation-restore", args=[deletion.pk])
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    page.wait_for_selector("#article-text mark[data-first]")
    page.focus(f'#deleted-block form[hx-post="{restore_url}"] button')

    services.annotation_delete(annotation=his, actor=oscar)
    poll_and_settle(page, "() => document.querySelectorAll('#deleted-block form').length === 2")
    focused = page.evaluate(
        "() => { const form = document.activeElement.closest('form');"
        " return form ? form.getAttribute('hx-post') : document.activeElement.tagName; }"
    )
    assert focused == restore_url
    assert page.js_errors == []


def test_scrolling_the_sidebar_to_its_end_loads_the_next_page(live_server, page):
    """The span list's next page comes when its "More spans…" row scrolls into view in
    the sidebar, which scrolls on its own beside the article: htmx's `revealed` heard
    only the window's scroll, so the row waited for a click; `intersect` sees it."""
    make_user("rita", role="reviewer")
    oscar = make_user("oscar", role="reviewer")
    article = make_article(LONG)
    held = LIST_PAGE + 60
    spans_on_sentences(article, oscar, range(held))
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    page.wait_for_selector("#article-text mark[data-first]")
    count = "() => document.querySelectorAll('#annotation-list .span-item').length"
    assert page.evaluate(count) == LIST_PAGE
    y = page.evaluate("() => window.scrollY")

    # The reviewer scrolls the sidebar down to its end, as with a wheel: entries drawn on
    # the way (content-visibility) take their real height, so the end is reached in steps.
    for _ in range(20):
        page.evaluate(
            "() => { const s = document.querySelector('.sidebar'); s.scrollTop = s.scrollHeight; }"
        )
        page.wait_for_timeout(150)
        if page.evaluate(count) == held:
            break
    page.wait_for_function(f"() => ({count})() === {held}", timeout=10_000)
    assert page.evaluate("() => document.getElementById('list-more')") is None
    assert page.evaluate("() => window.scrollY") == y  # the window never scrolled
