"""The span editor's fact-check fields: the verdict of a claim, the speaker (autocomplete,
a typed name found or created, the suggestion from the span's sentence), and sources
edited in place, reused across spans, refused when doubled or stale."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import (
    Annotation,
    Evidence,
    HistoryEvent,
    Rating,
    RatingScale,
    Source,
    Speaker,
)
from tests.factories import make_annotation, make_article, make_source, make_span, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HUGE = 99999999999999999999

STORY = (
    "White House spokesman John Kirby spoke on Wednesday. “We urge the DPRK to cease its "
    "arms negotiations with Russia,” Kirby said.\nMoscow denied it. The talks went on."
)


@pytest.fixture
def story():
    return make_article(STORY, title="Arms talks")


@pytest.fixture
def claim(story, reviewer):
    return make_span(story, "We urge the DPRK to cease its arms negotiations", reviewer)


@pytest.fixture
def denial(story, reviewer):
    return make_span(story, "Moscow denied it", reviewer, label_slug="denial")


def rating(name: str) -> Rating:
    return Rating.objects.get(scale__is_default=True, name=name)


def open_editor(client, span):
    return client.get(reverse("annotation-detail", args=[span.pk]), **HTMX)


def edit(client, span, **values):
    """POST the span's edit form as the page sends it (only the fields it shows)."""
    data = {
        "edit-label": span.label_id,
        "edit-speaker": "",
        "edit-note": "",
        "edit-version": span.version,
    }
    data.update({f"edit-{k}": v for k, v in values.items()})
    return client.post(reverse("annotation-detail", args=[span.pk]), data, **HTMX)


def stored(span) -> Annotation:
    return Annotation.objects.select_related("speaker", "verdict").get(pk=span.pk)


def history_count() -> int:
    return HistoryEvent.objects.count()


# --- the verdict ---------------------------------------------------------------------------


def test_a_claims_editor_offers_the_default_scales_verdicts(reviewer_client, claim):
    """The picker lists the default scale's verdicts (and "No verdict yet"), with the public
    explanation apart from the internal note, each labelled so."""
    other = RatingScale.objects.create(name="Other")
    Rating.objects.create(scale=other, name="Pants on fire", slug="fire", value=9)
    page = open_editor(reviewer_client, claim).content.decode()
    radios = re.findall(r'<input type="radio" name="edit-verdict" value="(\d*)"', page)
    names = [r.name for r in Rating.objects.filter(scale__is_default=True).order_by("-value")]
    assert len(radios) == len(names) + 1 and radios[0] == ""
    for name in ["No verdict yet", *names]:
        assert f"<span>{name}</span>" in page
    assert "Pants on fire" not in page
    assert "Public explanation" in page and "published" in page
    assert "Internal note" in page and "never published" in page
    assert 'name="edit-verdict_explanation"' in page


def test_a_verdict_is_saved_with_who_and_when(reviewer_client, reviewer, claim):
    """Choosing a verdict stores it, the explanation, who gave it and when; the editor
    then says "Verdict by NAME, DATE"."""
    response = edit(
        reviewer_client,
        claim,
        verdict=rating("Mostly false").pk,
        verdict_explanation="The talks had stalled.",
    )
    assert response.status_code == 200
    span = stored(claim)
    assert span.verdict.name == "Mostly false"
    assert span.verdict_explanation == "The talks had stalled."
    assert span.verdict_by == reviewer and span.verdict_at is not None
    page = response.content.decode()
    assert "Verdict by <bdi>rita</bdi>" in page
    event = HistoryEvent.objects.filter(action="update").latest("id")
    assert event.after["verdict_id"] == rating("Mostly false").pk


def test_a_verdict_can_be_cleared(reviewer_client, reviewer, claim):
    services.annotation_update(annotation=claim, actor=reviewer, verdict=rating("True"))
    response = edit(reviewer_client, stored(claim), verdict="", verdict_explanation="")
    assert response.status_code == 200
    assert stored(claim).verdict is None


def test_a_span_that_takes_no_verdict_shows_no_picker(reviewer_client, denial):
    page = open_editor(reviewer_client, denial).content.decode()
    assert 'name="edit-verdict"' not in page
    assert 'name="edit-verdict_explanation"' not in page
    assert "Internal note" in page


def test_a_form_without_the_picker_clears_nothing(reviewer_client, reviewer, claim, denial):
    """A form that sends no verdict (a denial's, which shows no picker) leaves the verdict
    and its explanation as they are."""
    services.annotation_update(
        annotation=claim, actor=reviewer, verdict=rating("False"), verdict_explanation="Kept"
    )
    response = edit(reviewer_client, stored(claim), note="Checked")
    assert response.status_code == 200
    span = stored(claim)
    assert (span.note, span.verdict.name, span.verdict_explanation) == ("Checked", "False", "Kept")
    assert edit(reviewer_client, denial, note="Seen").status_code == 200
    assert stored(denial).verdict is None and stored(denial).note == "Seen"


def test_a_verdict_left_on_a_relabelled_span_can_be_removed(reviewer_client, reviewer, story):
    """A denial that carries a verdict (its label changed in the admin) shows the picker
    so the verdict can be removed; saving it with the verdict kept says why not."""
    legacy = make_annotation(
        story, 0, 5, author=reviewer, label_slug="denial", verdict=rating("False")
    )
    assert 'name="edit-verdict"' in open_editor(reviewer_client, legacy).content.decode()
    kept = edit(reviewer_client, legacy, verdict=rating("False").pk, note="Seen")
    assert kept.status_code == 422 and "Remove the verdict first" in kept.content.decode()
    assert edit(reviewer_client, legacy, verdict="", note="Cleared").status_code == 200
    assert stored(legacy).verdict is None


def test_a_verdict_on_a_denial_posted_by_hand_is_refused(reviewer_client, denial):
    """422 with the clear message; nothing is stored."""
    before = history_count()
    response = edit(reviewer_client, denial, verdict=rating("True").pk)
    assert response.status_code == 422
    assert "carries no verdict: only claims are rated" in response.content.decode()
    span = stored(denial)
    assert span.verdict is None and span.version == denial.version
    assert history_count() == before


def test_a_verdict_off_the_scale_is_refused(reviewer_client, claim):
    other = RatingScale.objects.create(name="Other")
    off = Rating.objects.create(scale=other, name="Pants on fire", slug="fire", value=9)
    before = history_count()
    response = edit(reviewer_client, claim, verdict=off.pk)
    assert response.status_code == 422
    assert "not on the rating scale" in response.content.decode()
    assert stored(claim).verdict is None and history_count() == before


@pytest.mark.parametrize("value", ["abc", str(HUGE), "-1", "1.5"])
def test_a_hostile_verdict_is_a_form_error(reviewer_client, claim, value):
    response = edit(reviewer_client, claim, verdict=value)
    assert response.status_code == 422
    assert stored(claim).verdict is None


def test_another_reviewer_sees_the_verdict_read_only(client, reviewer, other_reviewer, claim):
    services.annotation_update(
        annotation=claim,
        actor=reviewer,
        verdict=rating("Mostly true"),
        verdict_explanation="Confirmed by the briefing.",
        speaker="John Kirby",
    )
    client.force_login(other_reviewer)
    page = open_editor(client, claim).content.decode()
    assert 'name="edit-verdict"' not in page
    assert 'class="verdict-chip" data-verdict="4">Mostly true</span>' in page
    assert "Confirmed by the briefing." in page and "by <bdi>rita</bdi>" in page
    assert "<dt>Speaker</dt><dd><bdi>John Kirby</bdi>" in page


def test_the_span_list_shows_a_rated_claims_verdict(reviewer_client, reviewer, claim, denial):
    """A desk sees rated claims at a glance: a chip with the verdict's name in the list."""
    services.annotation_update(annotation=claim, actor=reviewer, verdict=rating("Mostly false"))
    page = reviewer_client.get(reverse("article-detail", args=[claim.article_id])).content
    item = re.search(rf'<li id="li-{claim.pk}".*?</li>', page.decode(), re.S).group()
    assert 'Claim <span class="verdict-chip" data-verdict="2">Mostly false</span>' in item
    other = re.search(rf'<li id="li-{denial.pk}".*?</li>', page.decode(), re.S).group()
    assert "verdict-chip" not in other


def test_saving_a_verdict_redraws_the_list_item_with_its_chip(reviewer_client, claim):
    response = edit(reviewer_client, claim, verdict=rating("True").pk)
    ops = re.search(r'<div id="list-ops".*?</div>', response.content.decode(), re.S).group()
    assert 'data-verdict="5">True</span>' in ops


# --- the speaker ---------------------------------------------------------------------------


def options(client, q="", **params):
    return client.get(reverse("speaker-options"), {"q": q, **params}, **HTMX)


def option_names(response) -> list[str]:
    return re.findall(
        r'role="option" aria-selected="false" data-value="([^"]*)"', response.content.decode()
    )


def test_speaker_options_put_the_articles_speakers_first_then_prefixes(
    reviewer_client, reviewer, story
):
    """This article's speakers first, then names that start with the text, then names with
    a word that does, then names that contain it; roles shown; "Create" last."""
    elsewhere = make_article("Another text about Kirkuk.")
    make_annotation(elsewhere, 0, 5, author=reviewer, speaker="Kirsten Fontenrose")
    make_annotation(story, 0, 5, author=reviewer, speaker="John Kirby")
    Speaker.objects.filter(name="John Kirby").update(role="White House spokesman")
    for name in ("Akira Kurosawa", "Kim Jong Un", "Kiril Petkov", "Ben Kingsley"):
        Speaker.objects.create(name=name)
    response = options(reviewer_client, "ki", article=story.pk)
    assert response.status_code == 200
    assert option_names(response) == [
        "John Kirby",  # on this article
        "Kim Jong Un",  # starts with "ki"
        "Kiril Petkov",
        "Kirsten Fontenrose",
        "Ben Kingsley",  # a word starts with it
        "Akira Kurosawa",  # contains it
        "ki",  # Create “ki”
    ]
    page = response.content.decode()
    assert "White House spokesman" in page and "on this article" in page
    assert "Create “<bdi>ki</bdi>”" in page


def test_speaker_options_offer_no_create_for_an_exact_name_in_any_case(reviewer_client, story):
    Speaker.objects.create(name="John Kirby")
    response = options(reviewer_client, "JOHN kirby", article=story.pk)
    assert option_names(response) == ["John Kirby"]
    assert "Create" not in response.content.decode()


def test_speaker_options_without_text_are_the_articles_speakers(reviewer_client, reviewer, story):
    make_annotation(story, 0, 5, author=reviewer, speaker="Maria Zakharova")
    Speaker.objects.create(name="Someone Else")
    assert option_names(options(reviewer_client, "", article=story.pk)) == ["Maria Zakharova"]


def test_speaker_options_stop_at_ten(reviewer_client, story):
    Speaker.objects.bulk_create(Speaker(name=f"Kim {i:02}") for i in range(25))
    names = option_names(options(reviewer_client, "kim", article=story.pk))
    assert names[:10] == [f"Kim {i:02}" for i in range(10)] and names[10:] == ["kim"]


def test_speaker_options_say_when_a_name_is_too_long(reviewer_client, story):
    response = options(reviewer_client, "x" * 10_000, article=story.pk)
    assert response.status_code == 200
    assert "The name is 10000 characters long; the limit is 300." in response.content.decode()
    assert "Create" not in response.content.decode()


@pytest.mark.parametrize("article", ["abc", str(HUGE), "0", "-1", "999999"])
def test_speaker_options_for_a_bad_article_are_a_404(reviewer_client, article):
    assert options(reviewer_client, "ki", article=article).status_code == 404


def test_speaker_options_need_an_account_that_annotates(client, story):
    response = client.get(reverse("speaker-options"), {"q": "ki"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(make_user(role="none"))
    assert options(client, "ki").status_code == 403


def test_a_name_that_exists_in_another_case_links_that_speaker(reviewer_client, claim):
    kirby = Speaker.objects.create(name="John Kirby")
    response = edit(reviewer_client, claim, speaker="  john   KIRBY ")
    assert response.status_code == 200
    assert stored(claim).speaker == kirby
    assert Speaker.objects.count() == 1


def test_a_new_name_creates_a_speaker(reviewer_client, reviewer, claim):
    response = edit(reviewer_client, claim, speaker="Maria Zakharova")
    assert response.status_code == 200
    speaker = stored(claim).speaker
    assert speaker.name == "Maria Zakharova" and speaker.created_by == reviewer
    assert HistoryEvent.objects.filter(kind="speaker", action="create").count() == 1


def test_a_10000_character_speaker_is_refused_with_a_message(reviewer_client, claim):
    """A pasted paragraph in the speaker field: 422, the message beside the field,
    nothing stored (no speaker, the span unchanged, no history)."""
    before = history_count()
    response = edit(reviewer_client, claim, speaker="x" * 10_000, note="kept?")
    assert response.status_code == 422
    page = response.content.decode()
    assert "The speaker&#x27;s name is 10000 characters long; the limit is 300." in page
    assert 'aria-invalid="true"' in page
    assert not Speaker.objects.exists()
    span = stored(claim)
    assert span.speaker is None and span.note == "" and span.version == claim.version
    assert history_count() == before


def test_the_editor_suggests_the_speaker_of_the_spans_sentence(reviewer_client, claim):
    page = open_editor(reviewer_client, claim).content.decode()
    assert 'data-speaker-suggestion="John Kirby"' in page
    assert "Suggested speaker:" in page and "press <kbd>s</kbd>" in page


def test_the_suggestion_prefers_a_speaker_known_on_the_article(reviewer_client, reviewer, story):
    make_annotation(story, 0, 5, author=reviewer, speaker="Admiral John Kirby")
    span = make_span(story, "arms negotiations with Russia", reviewer)
    page = open_editor(reviewer_client, span).content.decode()
    assert 'data-speaker-suggestion="Admiral John Kirby"' in page


def test_no_suggestion_for_a_span_with_a_speaker_or_without_one_named(
    reviewer_client, reviewer, claim, denial
):
    services.annotation_update(annotation=claim, actor=reviewer, speaker="John Kirby")
    assert "Suggested speaker" not in open_editor(reviewer_client, claim).content.decode()
    # "The talks went on." names no one.
    quiet = make_span(claim.article, "The talks went on", reviewer)
    assert "Suggested speaker" not in open_editor(reviewer_client, quiet).content.decode()


def test_a_new_spans_editor_offers_the_suggestion(reviewer_client, story):
    """The editor that a label key opens already carries it (for the s key)."""
    start = story.body.index("We urge")
    response = reviewer_client.post(
        reverse("annotation-create", args=[story.pk]),
        {"label": "claim", "start": start, "end": start + 7, "quote": "We urge"},
        **HTMX,
    )
    assert 'data-speaker-suggestion="John Kirby"' in response.content.decode()


# --- sources: reuse, duplicates, URLs --------------------------------------------------------


def add_source(client, span, **data):
    payload = {
        "source-url": "https://example.org/",
        "source-title": "",
        "source-publisher": "",
        "source-stance": "supports",
        "source-quoted_passage": "",
        "source-accessed_on": "",
    }
    payload.update({f"source-{k}": v for k, v in data.items()})
    return client.post(reverse("source-create", args=[span.pk]), payload, **HTMX)


def test_a_bare_host_url_is_completed_to_https(reviewer_client, claim):
    response = add_source(reviewer_client, claim, url="www.example.org/x")
    assert response.status_code == 200
    assert Source.objects.get().url == "https://www.example.org/x"


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://[", "not a web address we can read"),
        ("https://example.org:99999/", "The port 99999 is out of range (0–65535)."),
        ("http://a:b/", "not a web address we can read"),
    ],
)
def test_a_url_urllib_cannot_read_is_a_form_error(reviewer_client, claim, url, message):
    """Not a 500: the form says what is wrong; nothing is stored."""
    response = add_source(reviewer_client, claim, url=url)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Source.objects.exists()
    assert source_options(reviewer_client, url).status_code == 200


def test_the_same_url_on_a_second_span_reuses_the_stored_source(reviewer_client, claim, denial):
    """One Source row, two Evidence rows; the second citation has its own stance."""
    add_source(reviewer_client, claim, url="https://www.state.gov/briefing", title="Briefing")
    response = add_source(
        reviewer_client, denial, url="www.STATE.gov/briefing/?utm_source=x", stance="refutes"
    )
    assert response.status_code == 200
    assert Source.objects.count() == 1
    assert sorted(Evidence.objects.values_list("annotation_id", "stance")) == sorted(
        [(claim.pk, "supports"), (denial.pk, "refutes")]
    )
    assert Source.objects.get().title == "Briefing"


def test_a_url_this_span_already_cites_is_refused(reviewer_client, claim):
    """The form says "This span already cites …"; nothing is stored."""
    add_source(reviewer_client, claim, url="https://example.org/report")
    before = (Source.objects.count(), Evidence.objects.count(), history_count())
    response = add_source(
        reviewer_client, claim, url="EXAMPLE.org/report/", title="Typed again", stance="refutes"
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "This span already cites https://example.org/report" in page
    assert 'value="Typed again"' in page  # what was typed stays
    assert (Source.objects.count(), Evidence.objects.count(), history_count()) == before


def test_stances_show_an_icon_and_words(reviewer_client, claim):
    make_source(claim, "https://example.org/a", stance="supports")
    make_source(claim, "https://example.org/b", stance="refutes")
    make_source(claim, "https://example.org/c", stance="context")
    page = open_editor(reviewer_client, claim).content.decode()
    for icon, words in (("✓", "Supports"), ("✗", "Refutes"), ("i", "Context")):
        assert f'<span class="stance-icon" aria-hidden="true">{icon}</span>{words}' in page


def source_options(client, q, **params):
    return client.get(reverse("source-options"), {"q": q, **params}, **HTMX)


def test_source_options_match_url_or_title(reviewer_client, reviewer, claim, denial):
    make_source(denial, "https://www.state.gov/briefing", title="Press briefing", publisher="State")
    make_source(denial, "https://example.org/other", title="State of play")
    make_source(denial, "https://example.org/unrelated", title="Weather")
    response = source_options(reviewer_client, "state", annotation=claim.pk)
    assert response.status_code == 200
    page = response.content.decode()
    values = re.findall(r'data-value="([^"]+)"', page)
    assert set(values) == {"https://www.state.gov/briefing", "https://example.org/other"}
    assert 'data-fill-title="Press briefing" data-fill-publisher="State"' in page
    by_address = source_options(reviewer_client, "www.state.gov/bri", annotation=claim.pk)
    assert re.findall(r'data-value="([^"]+)"', by_address.content.decode()) == [
        "https://www.state.gov/briefing"
    ]


def test_source_options_mark_what_this_span_already_cites(reviewer_client, claim):
    make_source(claim, "https://example.org/report", title="Report")
    page = source_options(reviewer_client, "report", annotation=claim.pk).content.decode()
    assert 'aria-disabled="true"' in page and "already cited by this span" in page


def test_source_options_need_two_characters(reviewer_client, claim):
    make_source(claim, "https://example.org/report", title="Report")
    assert "data-value" not in source_options(reviewer_client, "r").content.decode()


@pytest.mark.parametrize("annotation", ["abc", str(HUGE), "0", "999999"])
def test_source_options_for_a_bad_span_are_a_404(reviewer_client, annotation):
    assert source_options(reviewer_client, "report", annotation=annotation).status_code == 404


def test_source_options_need_an_account_that_annotates(client):
    response = client.get(reverse("source-options"), {"q": "report"})
    assert response.status_code == 302
    client.force_login(make_user(role="none"))
    assert source_options(client, "report").status_code == 403


# --- sources edited in place --------------------------------------------------------------


def edit_form(client, citation):
    return client.get(reverse("source-edit", args=[citation.pk]), **HTMX)


def save_source(client, citation, **values):
    """POST a source's edit form as rendered now, with `values` changed."""
    record = citation.source
    prefix = f"source-{citation.pk}-"
    data = {
        "url": record.url,
        "title": record.title,
        "publisher": record.publisher,
        "accessed_on": record.accessed_on.isoformat() if record.accessed_on else "",
        "stance": citation.stance,
        "quoted_passage": citation.quoted_passage,
        "version": citation.version,
        "record_version": record.version,
        **values,
    }
    return client.post(
        reverse("source-edit", args=[citation.pk]),
        {prefix + k: v for k, v in data.items()},
        **HTMX,
    )


@pytest.fixture
def cited(claim, reviewer):
    return services.source_create(
        annotation=claim,
        actor=reviewer,
        url="https://www.state.gov/briefing",
        title="Briefing",
        publisher="State Department",
        stance="supports",
    )


def fresh(citation) -> Evidence:
    return Evidence.objects.select_related("source").get(pk=citation.pk)


def test_the_edit_form_holds_the_source_and_its_versions(reviewer_client, cited):
    response = edit_form(reviewer_client, cited)
    assert response.status_code == 200
    page = response.content.decode()
    prefix = f"source-{cited.pk}-"
    assert re.search(rf'name="{prefix}url" [^>]*value="https://www.state.gov/briefing"', page)
    assert f'name="{prefix}version" value="1"' in page
    assert f'name="{prefix}record_version" value="1"' in page
    assert "Cited by" not in page  # one span only


def test_a_shared_sources_form_says_what_else_changes(reviewer_client, reviewer, cited, denial):
    services.source_create(annotation=denial, actor=reviewer, url="https://www.state.gov/briefing")
    page = edit_form(reviewer_client, cited).content.decode()
    assert "Cited by 2 spans: title, publisher and date change for all of them." in page


def test_a_source_is_edited_in_place(reviewer_client, cited):
    """URL, stance, passage and the record's title and date are saved; the answer is the
    whole editor (retargeted from the form) with the new values."""
    response = save_source(
        reviewer_client,
        cited,
        url="www.state.gov/briefing-2023",
        stance="refutes",
        quoted_passage="No transfers yet.",
        title="Briefing, 30 August",
        accessed_on="2023-08-31",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#annotation-editor"
    citation = fresh(cited)
    assert (citation.url, citation.stance, citation.quoted_passage) == (
        "https://www.state.gov/briefing-2023",
        "refutes",
        "No transfers yet.",
    )
    assert citation.title == "Briefing, 30 August"
    assert str(citation.accessed_on) == "2023-08-31"
    assert "Briefing, 30 August" in response.content.decode()
    assert HistoryEvent.objects.filter(kind="source", action="update").exists()


def test_a_title_left_as_it_was_is_not_written(reviewer_client, reviewer, cited):
    """Only what was changed is saved: the stance alone leaves the record untouched."""
    response = save_source(reviewer_client, cited, stance="context")
    assert response.status_code == 200
    assert fresh(cited).stance == "context"
    assert fresh(cited).source.version == 1


def test_a_stale_source_edit_is_a_409_that_keeps_what_was_typed(reviewer_client, editor, cited):
    """Someone changed the citation after the form was rendered: 409 with the saved values
    and the message, nothing stored; the form then carries the new version, so saving it
    again applies it knowingly."""
    services.source_update(source=cited, actor=editor, quoted_passage="Editor's passage")
    before = history_count()
    response = save_source(reviewer_client, cited, quoted_passage="Mine")  # from version 1
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this source while you were editing it" in page
    assert "Editor&#x27;s passage" in page and "Mine</textarea>" in page
    assert f'name="source-{cited.pk}-version" value="2"' in page
    assert fresh(cited).quoted_passage == "Editor's passage"
    assert history_count() == before
    again = save_source(reviewer_client, fresh(cited), quoted_passage="Mine")
    assert again.status_code == 200
    assert fresh(cited).quoted_passage == "Mine"


def test_a_stale_edit_of_the_shared_record_is_a_409(
    reviewer_client, reviewer, editor, cited, denial
):
    """Another span's editor renamed the shared source: this form's title would overwrite
    it, so it is refused."""
    other = services.source_create(
        annotation=denial, actor=reviewer, url="https://www.state.gov/briefing"
    )
    rendered = fresh(cited)
    services.source_update(source=other, actor=editor, title="Renamed by the editor")
    before = history_count()
    response = save_source(reviewer_client, rendered, title="My title")
    assert response.status_code == 409
    assert "Someone else changed this source" in response.content.decode()
    assert fresh(cited).title == "Renamed by the editor"
    assert history_count() == before


def test_changing_the_url_to_one_the_span_cites_is_refused(reviewer_client, reviewer, cited, claim):
    services.source_create(annotation=claim, actor=reviewer, url="https://example.org/other")
    before = (Evidence.objects.count(), history_count())
    response = save_source(reviewer_client, cited, url="example.org/other")
    assert response.status_code == 422
    assert "This span already cites https://example.org/other" in response.content.decode()
    assert fresh(cited).url == "https://www.state.gov/briefing"
    assert (Evidence.objects.count(), history_count()) == before


def test_a_bad_url_in_the_edit_form_is_a_form_error(reviewer_client, cited):
    response = save_source(reviewer_client, cited, url="javascript:alert(1)", title="Kept")
    assert response.status_code == 422
    assert "errorlist" in response.content.decode() and 'value="Kept"' in response.content.decode()
    assert fresh(cited).url == "https://www.state.gov/briefing"


def test_a_shared_record_belongs_to_whoever_added_it(client, reviewer, other_reviewer, story):
    """Another reviewer citing the same source changes their stance, but the record's
    title is shown, not editable, and a title posted anyway is not saved."""
    first = make_span(story, "Moscow denied it", reviewer)
    services.source_create(
        annotation=first, actor=reviewer, url="https://example.org/r", title="Original"
    )
    theirs = make_span(story, "The talks went on", other_reviewer)
    citation = services.source_create(
        annotation=theirs, actor=other_reviewer, url="https://example.org/r"
    )
    client.force_login(other_reviewer)
    page = edit_form(client, citation).content.decode()
    assert "only an editor or whoever added it can change them" in page
    assert re.search(rf'name="source-{citation.pk}-title"[^>]*disabled', page)
    response = save_source(client, fresh(citation), title="Hijacked", stance="refutes")
    assert response.status_code == 200
    assert fresh(citation).stance == "refutes" and fresh(citation).title == "Original"


def test_another_reviewers_source_cannot_be_edited(client, reviewer, other_reviewer, cited):
    client.force_login(other_reviewer)
    assert edit_form(client, cited).status_code == 403
    response = save_source(client, cited, stance="refutes")
    assert response.status_code == 403
    assert fresh(cited).stance == "supports" and fresh(cited).version == 1


def test_anonymous_visitors_are_sent_to_login(client, cited):
    response = client.post(reverse("source-edit", args=[cited.pk]), {})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert fresh(cited).version == 1


@pytest.mark.parametrize("source_id", [0, 999999, HUGE, 2**63])
def test_a_source_that_does_not_exist_is_a_404(reviewer_client, source_id):
    assert reviewer_client.get(f"/sources/{source_id}/", **HTMX).status_code == 404
    assert reviewer_client.post(f"/sources/{source_id}/", {}, **HTMX).status_code == 404


def test_non_numeric_source_ids_are_not_routes(reviewer_client):
    assert reviewer_client.get("/sources/abc/", **HTMX).status_code == 404


def test_a_removed_source_is_a_409_naming_who_removed_it(reviewer_client, editor, cited):
    services.source_delete(source=cited, actor=editor)
    response = save_source(reviewer_client, cited, stance="refutes")
    assert response.status_code == 409
    assert "removed from its span by edith" in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_edit_page_works_without_javascript(reviewer_client, cited):
    response = reviewer_client.get(reverse("source-edit", args=[cited.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and "Edit source" in page and "Back to the span" in page


# --- queries -----------------------------------------------------------------------------


def count_queries(client, url, **extra) -> int:
    client.get(url, **extra)  # warm up
    with CaptureQueriesContext(connection) as run:
        assert client.get(url, **extra).status_code == 200
    return len(run.captured_queries)


def test_the_claims_editor_runs_the_same_queries_for_few_and_many(
    client, django_assert_num_queries, reviewer
):
    """Opening a claim's editor (verdicts, speaker suggestion, sources) costs the same
    with 1 source and 1 speaker on its article as with 15 and 40."""
    client.force_login(reviewer)
    spans = []
    for count in (1, 40):
        article = make_article(STORY + f" ({count})")
        for i in range(count):
            make_annotation(article, i, i + 3, author=reviewer, speaker=f"Speaker {count}-{i}")
        span = make_span(article, "We urge the DPRK", reviewer)
        for i in range(1 if count == 1 else 15):
            make_source(span, f"https://example.org/{count}/{i}")
        spans.append(span)
    small = count_queries(client, reverse("annotation-detail", args=[spans[0].pk]), **HTMX)
    with django_assert_num_queries(small):
        response = open_editor(client, spans[1])
    page = response.content.decode()
    assert page.count('class="source"') == 15 and "Suggested speaker" in page


def test_speaker_and_source_options_run_the_same_queries_for_few_and_many(
    client, django_assert_num_queries, reviewer, story
):
    client.force_login(reviewer)
    Speaker.objects.create(name="Kim 0")
    few = count_queries(client, reverse("speaker-options") + f"?q=kim&article={story.pk}")
    span = make_span(story, "Moscow denied it", reviewer)
    make_source(span, "https://example.org/kim/0", title="Kim")
    few_sources = count_queries(client, reverse("source-options") + f"?q=kim&annotation={span.pk}")
    Speaker.objects.bulk_create(Speaker(name=f"Kim {i}") for i in range(1, 60))
    for i in range(1, 30):
        make_source(
            make_span(story, "Moscow denied it", make_user()), f"https://example.org/kim/{i}"
        )
    with django_assert_num_queries(few):
        client.get(reverse("speaker-options"), {"q": "kim", "article": story.pk})
    with django_assert_num_queries(few_sources):
        client.get(reverse("source-options"), {"q": "kim", "annotation": span.pk})
