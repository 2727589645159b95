"""The span editor's fact-check fields in Chromium: a verdict from the keyboard, the
speaker combobox (an existing speaker, a new one), the suggested speaker taken with s,
a source reused on a second span and edited in place."""

import pytest

from annotations.models import Annotation, Evidence, Rating, Source, Speaker
from tests.browser.conftest import sign_in
from tests.factories import make_annotation, make_article, make_span, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = (
    "White House spokesman John Kirby spoke on Wednesday.\n\n"
    "“We urge the DPRK to cease its arms negotiations with Russia,” Kirby said.\n\n"
    "Moscow denied it. The talks went on, according to Reuters."
)


@pytest.fixture
def rita(transactional_db):
    return make_user("rita", role="reviewer")


@pytest.fixture
def story(transactional_db):
    return make_article(STORY, title="Arms talks")


def open_span(page, base_url, span):
    """The article with the span's editor open, from the keyboard: j, then Enter."""
    page.goto(f"{base_url}/articles/{span.article_id}/")
    page.wait_for_selector("#article-text")
    page.locator(f'.span-item[data-span-id="{span.pk}"]').click()
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{span.pk}"]')
    # The keyboard is on the page, not in a field.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def shoot(page, path):
    """The editor card whole: tall enough a window that the sticky sidebar holds it."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2200})
    page.locator(".editor-card").screenshot(path=str(path))
    page.set_viewport_size(size)


def wait_saved(page, span, text):
    page.wait_for_selector(f"#li-{span.pk} .span-meta:has-text('{text}')")


def test_a_verdict_set_from_the_keyboard(live_server, page, rita, story, artifacts):
    """v puts the keyboard on the verdicts, the arrows choose, Enter saves: the span list
    shows the verdict chip, the editor says who gave it, and it is stored."""
    claim = make_span(story, "We urge the DPRK to cease its arms negotiations", rita)
    sign_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/articles/{story.pk}/")
    page.wait_for_selector("#article-text")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'.editor-card[data-annotation-ref="{claim.pk}"]')

    page.keyboard.press("v")
    assert page.evaluate("() => document.activeElement.name") == "edit-verdict"
    page.keyboard.press("ArrowDown")  # True
    page.keyboard.press("ArrowDown")  # Mostly true
    page.keyboard.press("ArrowDown")  # Mixed
    page.keyboard.press("ArrowDown")  # Mostly false
    page.keyboard.press("Enter")
    wait_saved(page, claim, "Mostly false")
    page.wait_for_selector(".verdict-by:has-text('Verdict by rita')")
    stored = Annotation.objects.select_related("verdict").get(pk=claim.pk)
    assert stored.verdict == Rating.objects.get(scale__is_default=True, name="Mostly false")
    assert stored.verdict_by == rita

    # The public explanation is saved with Ctrl+Enter from its field.
    page.fill("#id_edit-verdict_explanation", "No transfer had been shown.")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "() => document.querySelector('#id_edit-verdict_explanation').value === "
        "'No transfer had been shown.' "
        "&& document.querySelector('[name=edit-version]').value === '3'"
    )
    assert Annotation.objects.get(pk=claim.pk).verdict_explanation == "No transfer had been shown."
    shoot(page, artifacts / "editor-verdict.png")
    assert page.js_errors == []


def test_a_denial_has_no_verdict_and_v_says_so(live_server, page, rita, story):
    denial = make_span(story, "Moscow denied it", rita, label_slug="denial")
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, denial)
    assert page.locator(".verdict-picker").count() == 0
    page.keyboard.press("v")
    page.wait_for_selector("#flash:not([hidden])")
    assert "Only claims carry a verdict" in page.text_content("#flash")
    assert page.js_errors == []


def test_the_speaker_combobox_picks_an_existing_speaker_and_creates_a_new_one(
    live_server, page, rita, story, artifacts
):
    """Typing shows the corpus' speakers (name and role); ↓ and Enter pick one, Enter
    saves it; a new name is offered as "Create …", picked with the mouse, and created."""
    elsewhere = make_article("Another article entirely.")
    make_annotation(elsewhere, 0, 7, author=rita, speaker="John Kirby")
    Speaker.objects.filter(name="John Kirby").update(role="White House spokesman")
    claim = make_span(story, "We urge the DPRK", rita)
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, claim)

    field = page.locator("#id_edit-speaker")
    field.click()
    field.type("kir")
    page.wait_for_selector(".listbox:not([hidden]) [role=option]:has-text('John Kirby')")
    assert field.get_attribute("aria-expanded") == "true"
    assert "White House spokesman" in page.text_content(".listbox:not([hidden])")
    shoot(page, artifacts / "editor-speaker-options.png")
    page.keyboard.press("ArrowDown")
    active = field.get_attribute("aria-activedescendant")
    assert page.get_attribute(f"#{active}", "aria-selected") == "true"
    page.keyboard.press("Enter")  # takes the option
    assert field.input_value() == "John Kirby"
    assert field.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")  # saves the form
    wait_saved(page, claim, "John Kirby")
    assert Annotation.objects.get(pk=claim.pk).speaker.name == "John Kirby"
    assert Speaker.objects.count() == 1

    # A new name: Esc closes the list, not the editor; then "Create …" with the mouse.
    other = make_span(story, "Moscow denied it", rita, label_slug="denial")
    open_span(page, live_server.url, other)
    field = page.locator("#id_edit-speaker")
    field.click()
    field.type("Maria Zakharova")
    create = page.locator(".listbox:not([hidden]) .option-create")
    create.wait_for()
    assert "Create “Maria Zakharova”" in create.text_content()
    page.keyboard.press("Escape")
    assert field.get_attribute("aria-expanded") == "false"
    assert page.locator(f'.editor-card[data-annotation-ref="{other.pk}"]').count() == 1
    field.press("ArrowDown")  # opens the list again
    create.wait_for()
    create.click()
    assert field.input_value() == "Maria Zakharova"
    page.click(".edit-form button[type=submit]")
    wait_saved(page, other, "Maria Zakharova")
    assert Speaker.objects.filter(name="Maria Zakharova").count() == 1
    assert Annotation.objects.get(pk=other.pk).speaker.name == "Maria Zakharova"
    assert page.js_errors == []


def test_s_takes_the_suggested_speaker(live_server, page, rita, story, artifacts):
    """A span in "“…,” Kirby said." offers John Kirby (named in full a paragraph before);
    s sets and saves it, and the offer goes."""
    claim = make_span(story, "We urge the DPRK to cease its arms negotiations", rita)
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, claim)
    offer = page.locator("[data-speaker-suggestion]")
    assert "Suggested speaker: John Kirby" in " ".join(offer.text_content().split())
    shoot(page, artifacts / "editor-suggestion.png")
    page.keyboard.press("s")
    wait_saved(page, claim, "John Kirby")
    assert Annotation.objects.get(pk=claim.pk).speaker.name == "John Kirby"
    assert page.input_value("#id_edit-speaker") == "John Kirby"
    assert page.locator("[data-speaker-suggestion]").count() == 0

    # In a text field, s is a letter.
    other = make_span(story, "The talks went on", rita)
    open_span(page, live_server.url, other)
    page.click("#id_edit-note")
    page.keyboard.type("see sources")
    assert page.input_value("#id_edit-note") == "see sources"
    assert Annotation.objects.get(pk=other.pk).speaker is None
    assert page.js_errors == []


def test_a_source_reused_on_a_second_span_and_edited_in_place(
    live_server, page, rita, story, artifacts
):
    """A URL typed as www.… on one span; on a second span the stored source is found by
    its title and chosen (title and publisher filled in): one Source row, two Evidence
    rows. Edit in place says the record is shared, and the new title shows at once."""
    first = make_span(story, "We urge the DPRK", rita)
    second = make_span(story, "Moscow denied it", rita, label_slug="denial")
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, first)
    page.click(".add-source summary")
    page.wait_for_selector("#id_source-url")
    page.fill("#id_source-url", "www.state.gov/briefing")
    page.fill("#id_source-title", "Department press briefing")
    page.fill("#id_source-publisher", "US State Department")
    page.click("label.stance-option.stance-supports")
    page.click(".add-source button[type=submit]")
    page.wait_for_selector(".sources a:has-text('Department press briefing')")
    assert Source.objects.get().url == "https://www.state.gov/briefing"

    open_span(page, live_server.url, second)
    page.click(".add-source summary")
    url = page.locator("#id_source-url")
    url.wait_for()
    url.click()
    url.type("press brief")
    page.wait_for_selector(
        ".listbox:not([hidden]) [role=option]:has-text('Department press briefing')"
    )
    assert "US State Department" in page.text_content(".listbox:not([hidden])")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert url.input_value() == "https://www.state.gov/briefing"
    assert page.input_value("#id_source-title") == "Department press briefing"
    assert page.input_value("#id_source-publisher") == "US State Department"
    page.click("label.stance-option.stance-refutes")
    page.click(".add-source button[type=submit]")
    page.wait_for_selector(".sources .stance-refutes:has-text('Refutes')")
    assert Source.objects.count() == 1
    assert Evidence.objects.count() == 2
    wait_saved(page, second, "1 source")

    # The same URL again on this span is refused, and nothing is stored.
    page.click(".add-source summary")
    page.wait_for_selector("#id_source-url")
    page.fill("#id_source-url", "https://www.state.gov/briefing/")
    page.click(".add-source button[type=submit]")
    page.wait_for_selector(".add-source .form-errors:has-text('This span already cites')")
    assert Evidence.objects.count() == 2

    # Edit in place.
    page.click("[data-source-edit]")
    form = page.locator(".source-edit-form")
    form.wait_for()
    assert "Cited by 2 spans: title, publisher and date change for all of them." in (
        form.text_content()
    )
    shoot(page, artifacts / "editor-source-edit.png")
    title = form.locator("input[name$='-title']")
    title.fill("Press briefing, 30 August 2023")
    form.locator("textarea[name$='-quoted_passage']").fill("No transfers yet.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".sources a:has-text('Press briefing, 30 August 2023')")
    assert page.locator(".source-edit-form").count() == 0
    assert Source.objects.get().title == "Press briefing, 30 August 2023"
    citation = Evidence.objects.get(annotation=second)
    assert (citation.stance, citation.quoted_passage) == ("refutes", "No transfers yet.")
    # Esc in the edit form closes the form (the keyboard back on Edit), not the editor.
    page.click("[data-source-edit]")
    page.locator(".source-edit-form input[name$='-title']").click()
    page.keyboard.press("Escape")
    assert page.locator(".source-edit-form").count() == 0
    assert page.locator(f'.editor-card[data-annotation-ref="{second.pk}"]').count() == 1
    assert page.evaluate("() => document.activeElement.hasAttribute('data-source-edit')")
    # The first span's citation shows the shared record's new title too.
    open_span(page, live_server.url, first)
    page.wait_for_selector(".sources a:has-text('Press briefing, 30 August 2023')")
    assert page.js_errors == []


def test_a_stale_source_edit_keeps_what_was_typed(live_server, page, rita, story):
    """Someone changes the source after the form opened: the save answers 409 with the
    saved values beside the form, which still holds what was typed."""
    from annotations import services

    editor = make_user("edith", role="editor")
    span = make_span(story, "We urge the DPRK", rita)
    citation = services.source_create(
        annotation=span, actor=rita, url="https://example.org/report", title="Report"
    )
    sign_in(page, live_server.url, "rita")
    open_span(page, live_server.url, span)
    page.click("[data-source-edit]")
    form = page.locator(".source-edit-form")
    form.wait_for()
    services.source_update(source=citation, actor=editor, quoted_passage="The editor's passage")
    form.locator("textarea[name$='-quoted_passage']").fill("My passage")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(
        ".source-edit-form .conflict:has-text('Someone else changed this source')"
    )
    assert "The editor's passage" in page.text_content(".source-edit-form .conflict")
    assert page.input_value(".source-edit-form textarea[name$='-quoted_passage']") == "My passage"
    assert Evidence.objects.get().quoted_passage == "The editor's passage"
    # Saving again applies it, knowingly.
    page.locator(".source-edit-form button[type=submit]").click()
    page.wait_for_selector(".sources q:has-text('My passage')")
    assert Evidence.objects.get().quoted_passage == "My passage"
    assert page.js_errors == []
