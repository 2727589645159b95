"""Two people edit the same span in two browsers: the second save is not lost and does
not silently overwrite the first; the page shows both versions and keeps what was typed."""

import pytest

from annotations.models import Annotation
from tests.browser.conftest import sign_in
from tests.factories import make_article, make_span, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_editor(page, base_url, annotation):
    page.goto(f"{base_url}/annotations/{annotation.pk}/")
    page.wait_for_selector("#id_edit-note")


def test_second_editor_sees_the_conflict_and_keeps_their_text(
    live_server, page, browser, artifacts
):
    """Rita and Edith open one span; Edith saves a note; Rita saves hers from the older
    page: Rita sees Edith's note beside her own (still in the form), nothing is lost,
    and saving again applies Rita's note on purpose."""
    rita = make_user("rita", role="reviewer")
    make_user("edith", role="editor")
    article = make_article("Kirby said the talks are advancing. Moscow denied it on Thursday.")
    annotation = make_span(article, "Moscow denied it", rita, label_slug="denial")
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        second = other.new_page()
        sign_in(page, live_server.url, "rita")
        sign_in(second, live_server.url, "edith")
        open_editor(page, live_server.url, annotation)
        open_editor(second, live_server.url, annotation)

        second.fill("#id_edit-note", "Edith: confirmed by the ministry")
        second.click(".edit-form button[type=submit]")
        second.wait_for_function(
            "() => !document.querySelector('.conflict') && document.readyState === 'complete'"
        )
        page.fill("#id_edit-note", "Rita: needs a second source")
        page.click(".edit-form button[type=submit]")
        page.wait_for_selector(".conflict")
        conflict = page.inner_text(".conflict")
        assert "Someone else changed this span" in conflict
        assert "Edith: confirmed by the ministry" in conflict
        assert "edith" in conflict
        assert page.input_value("#id_edit-note") == "Rita: needs a second source"
        assert Annotation.objects.get(pk=annotation.pk).note == "Edith: confirmed by the ministry"
        page.screenshot(path=str(artifacts / "stale-edit.png"))

        page.click(".edit-form button[type=submit]")
        page.wait_for_function("() => !document.querySelector('.conflict')")
        assert Annotation.objects.get(pk=annotation.pk).note == "Rita: needs a second source"
        assert page.js_errors == []
    finally:
        other.close()
