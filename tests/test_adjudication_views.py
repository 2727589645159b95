"""The adjudication page and its posts: who may open it, what it shows, what each answers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Adjudication, Annotation, HistoryEvent
from annotations.services import adjudication as service
from tests.adjudication_factories import make_collection, span_on
from tests.factories import make_article, make_user

BODY = "Kirby said the talks are advancing. Moscow denied it on Thursday. Prices rose."


@pytest.fixture
def desk(db):
    rita, oscar = make_user("rita"), make_user("oscar")
    edith = make_user("edith", role="editor")
    article = make_article(BODY, title="Talks")
    make_collection(article, reviewers=[rita, oscar], editors=[edith])
    spans = {
        "agreed_a": span_on(article, "Prices rose", rita),
        "agreed_b": span_on(article, "Prices rose", oscar),
        "only_a": span_on(article, "Moscow denied it", rita, label_slug="denial"),
        "wider_b": span_on(article, "Moscow denied it on Thursday", oscar, label_slug="denial"),
    }
    return article, rita, oscar, edith, spans


def url(name, article, *args):
    return reverse(name, args=[article.pk, *args])


def test_a_reviewer_is_refused_the_page_and_every_post(client, desk):
    article, rita, _, _, spans = desk
    client.force_login(rita)
    response = client.get(url("article-adjudicate", article))
    assert response.status_code == 403
    assert "Only an editor of this article" in response.content.decode()
    for name in ("adjudication-start", "adjudication-finish"):
        assert client.post(url(name, article)).status_code == 403
    response = client.post(
        url("adjudication-accept", article), {"span": spans["only_a"].pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert response.content.decode() == service.NOT_AN_ADJUDICATOR
    assert not Adjudication.objects.exists()
    assert not Annotation.objects.filter(layer="gold").exists()
    assert not HistoryEvent.objects.exists()


def test_unknown_article_is_404(client, desk):
    *_, edith, _ = desk
    client.force_login(edith)
    assert client.get(reverse("article-adjudicate", args=[999999])).status_code == 404


def test_the_page_shows_each_reviewer_and_marks_disputes(client, desk):
    article, _, _, edith, spans = desk
    client.force_login(edith)
    page = client.get(url("article-adjudicate", article)).content.decode()
    assert "Start adjudication" in page
    # Each reviewer: a letter and a name; spans in the text carry the reviewer's lane.
    assert '<bdi class="adj-reviewer">rita</bdi>' in page
    assert '<bdi class="adj-reviewer">oscar</bdi>' in page
    assert f'data-candidate="{spans["only_a"].pk}" data-lane="1"' in page  # rita sorts second
    assert f'data-candidate="{spans["wider_b"].pk}" data-lane="0"' in page
    # The two denials differ: disputed; the agreed claim is not.
    assert page.count("⚠ Disputed") == 2
    assert page.count("All agree") == 2
    # The text pane's characters are the article's.
    assert "Moscow denied it on Thursday" in page


def test_start_pre_accepts_and_answers_htmx_with_the_board(client, desk):
    article, _, _, edith, _ = desk
    client.force_login(edith)
    response = client.post(url("adjudication-start", article), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="adjudication"')
    assert "spans every reviewer marked alike are in the gold layer" in body
    (gold,) = Annotation.objects.filter(article=article, layer="gold")
    assert gold.quote == "Prices rose"
    assert f'id="gold-{gold.pk}"' in body


def test_accept_reject_merge_edit_remove_finish_through_the_page(client, desk):
    article, _, _, edith, spans = desk
    client.force_login(edith)
    hx = {"HTTP_HX_REQUEST": "true"}
    client.post(url("adjudication-start", article), **hx)

    response = client.post(url("adjudication-accept", article), {"span": spans["only_a"].pk}, **hx)
    assert (
        response.status_code == 200 and "Accepted into the gold layer." in response.content.decode()
    )
    response = client.post(url("adjudication-reject", article), {"span": spans["wider_b"].pk}, **hx)
    assert "Rejected" in response.content.decode()
    assert service.rejected_span_ids(article.pk) == {spans["wider_b"].pk}

    denial = Annotation.objects.get(article=article, layer="gold", label__slug="denial")
    response = client.post(
        url("adjudication-gold-edit", article, denial.pk),
        {"label": "denial", "start": denial.start, "end": denial.end + len(" on Thursday")},
        **hx,
    )
    assert response.status_code == 200
    denial.refresh_from_db()
    assert denial.quote == "Moscow denied it on Thursday"

    response = client.post(
        url("adjudication-merge", article),
        {"spans": [spans["only_a"].pk, spans["wider_b"].pk]},
        **hx,
    )
    assert response.status_code == 200
    assert (
        Annotation.objects.filter(article=article, layer="gold", label__slug="denial").count() == 1
    )

    response = client.post(url("adjudication-gold-remove", article, denial.pk), **hx)
    assert response.status_code == 200
    assert not Annotation.objects.filter(pk=denial.pk).exists()

    response = client.post(url("adjudication-finish", article), **hx)
    assert "the article is adjudicated" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "adjudicated"


def test_refusals_come_back_with_the_board_and_nothing_stored(client, desk):
    article, _, _, edith, spans = desk
    client.force_login(edith)
    hx = {"HTTP_HX_REQUEST": "true"}
    client.post(url("adjudication-start", article), **hx)
    before = (Annotation.objects.count(), HistoryEvent.objects.count())

    merge_one = client.post(
        url("adjudication-merge", article), {"spans": [spans["only_a"].pk]}, **hx
    )
    assert merge_one.status_code == 422
    assert "Select at least two spans to merge." in merge_one.content.decode()

    mixed = client.post(
        url("adjudication-merge", article),
        {"spans": [spans["only_a"].pk, spans["agreed_a"].pk]},
        **hx,
    )
    assert mixed.status_code == 422
    assert "different labels" in mixed.content.decode()

    gold = Annotation.objects.get(article=article, layer="gold")
    past_end = client.post(url("adjudication-gold-edit", article, gold.pk), {"end": 9999}, **hx)
    assert past_end.status_code == 422
    assert "ends after the text" in past_end.content.decode()

    not_a_number = client.post(url("adjudication-accept", article), {"span": "x"}, **hx)
    assert not_a_number.status_code == 422

    assert (Annotation.objects.count(), HistoryEvent.objects.count()) == before


def test_without_htmx_a_post_redirects_back_with_its_message(client, desk):
    article, _, _, edith, _ = desk
    client.force_login(edith)
    response = client.post(url("adjudication-start", article), follow=True)
    assert response.redirect_chain[-1][0] == url("article-adjudicate", article)
    assert "Adjudication started" in response.content.decode()
    response = client.post(url("adjudication-accept", article), {"span": 987654}, follow=True)
    assert "deleted in the meantime" in response.content.decode()


def test_finished_adjudication_refuses_changes_until_reopened(client, desk):
    article, _, _, edith, spans = desk
    client.force_login(edith)
    hx = {"HTTP_HX_REQUEST": "true"}
    client.post(url("adjudication-start", article), **hx)
    client.post(url("adjudication-finish", article), **hx)
    page = client.get(url("article-adjudicate", article)).content.decode()
    assert "Reopen" in page and 'data-action="accept"' not in page
    refused = client.post(url("adjudication-accept", article), {"span": spans["only_a"].pk}, **hx)
    assert refused.status_code == 422
    assert "reopen it" in refused.content.decode()
    client.post(url("adjudication-reopen", article), **hx)
    article.refresh_from_db()
    assert article.status == "reviewed"


def test_the_review_page_links_editors_only_to_adjudication(client, desk):
    article, rita, _, edith, _ = desk
    link = url("article-adjudicate", article)
    client.force_login(rita)
    assert link not in client.get(reverse("article-detail", args=[article.pk])).content.decode()
    client.force_login(edith)
    assert link in client.get(reverse("article-detail", args=[article.pk])).content.decode()


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_spans(client, desk):
    """Spans, gold spans, their links and the decisions are one query each: a page with
    twenty more spans (some accepted, some rejected) costs the same queries."""
    article, rita, oscar, edith, _ = desk
    client.force_login(edith)
    client.post(url("adjudication-start", article))
    page = url("article-adjudicate", article)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    words = ["talks", "Moscow", "Thursday", "Prices", "Kirby", "advancing", "denied", "rose"]
    for i, word in enumerate(words):
        for author in (rita, oscar):
            extra = span_on(article, word, author, label_slug="denial")
            if i % 2:
                service.reject_span(article=article, span_id=extra.pk, actor=edith)
        service.accept_span(article=article, span_id=extra.pk, actor=edith)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page)
    assert response.content.decode().count('class="adj-candidate ') == 4 + 2 * len(words)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- two editors on one gold span ---------------------------------------------------------


def _started_with_gold(client, desk):
    """The board started; the agreed claim "Prices rose" is the gold span, version 1."""
    article, *_, edith, _ = desk
    client.force_login(edith)
    client.post(url("adjudication-start", article), HTTP_HX_REQUEST="true")
    return Annotation.objects.get(article=article, layer="gold")


def test_the_gold_edit_form_carries_its_version(client, desk):
    article = desk[0]
    gold = _started_with_gold(client, desk)
    page = client.get(url("article-adjudicate", article)).content.decode()
    form_at = page.index(url("adjudication-gold-edit", article, gold.pk))
    assert f'name="version" value="{gold.version}"' in page[form_at : form_at + 600]


def test_the_testers_case_keeps_both_edits(client, desk):
    """Editor relabels; admin, from the page as it was (its form posts the old label),
    moves the end: the span is both, nothing lost."""
    article, *_ = desk
    gold = _started_with_gold(client, desk)
    eric = make_user("eric", role="editor")
    seen = {"start": gold.start, "end": gold.end, "version": gold.version}
    edit = url("adjudication-gold-edit", article, gold.pk)
    assert client.post(edit, {**seen, "label": "denial"}).status_code == 302
    client.force_login(eric)
    response = client.post(edit, {**seen, "label": "claim", "end": gold.end + 1})
    assert response.status_code == 302
    gold.refresh_from_db()
    assert (gold.label.slug, gold.quote) == ("denial", "Prices rose.")


def test_a_stale_gold_edit_answers_409_with_theirs_beside_mine(client, desk):
    article, *_ = desk
    gold = _started_with_gold(client, desk)
    eric = make_user("eric", role="editor")
    edit = url("adjudication-gold-edit", article, gold.pk)
    seen = {"label": "claim", "start": gold.start, "version": gold.version}
    assert client.post(edit, {**seen, "end": gold.end - 1}).status_code == 302  # "Prices ros"
    events = HistoryEvent.objects.count()

    client.force_login(eric)
    response = client.post(edit, {**seen, "end": gold.end + 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="adjudication"')
    assert "Someone else changed this span while you were editing it." in body
    # Theirs: who, and the bounds they saved, with the text.
    assert "<strong><bdi>edith</bdi></strong>" in body
    assert f"{gold.start}–{gold.end - 1} “Prices ros”" in body
    # Mine, still in the form, which now carries the saved version; its editor is open.
    form_at = body.index(f'action="{edit}"')
    form = body[form_at : body.index("</form>", form_at)]
    assert f'name="version" value="{gold.version + 1}"' in form
    assert f'name="end" value="{gold.end + 1}"' in form
    assert '<details class="adj-edit" open>' in body
    gold.refresh_from_db()
    assert (gold.end, gold.version) == (gold.start + len("Prices ros"), 2)
    assert HistoryEvent.objects.count() == events

    # Saving the form as it came back replaces theirs, knowingly.
    again = client.post(edit, {**seen, "version": 2, "end": gold.end + 2}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    gold.refresh_from_db()
    assert gold.quote == "Prices rose."


def test_a_stale_gold_edit_without_htmx_is_the_page_with_the_conflict(client, desk):
    article, *_ = desk
    gold = _started_with_gold(client, desk)
    edit = url("adjudication-gold-edit", article, gold.pk)
    seen = {"start": gold.start, "end": gold.end, "version": gold.version}
    client.post(edit, {**seen, "label": "denial"})
    response = client.post(edit, {**seen, "label": "unverified-allegation"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "<title>" in body and "Not saved yet." in body
    assert "<dt>Label</dt><dd><bdi>Denial</bdi></dd>" in body
    gold.refresh_from_db()
    assert gold.label.slug == "denial"


# --- numbers no column holds --------------------------------------------------------------

HUGE = 99999999999999999999999  # the tester's: past any 64-bit column


@pytest.mark.parametrize("name", ["adjudication-accept", "adjudication-reject"])
@pytest.mark.parametrize("span", [HUGE, 2**63])
@pytest.mark.parametrize("htmx", [True, False])
def test_a_span_id_past_the_column_is_refused_with_a_message(client, desk, name, span, htmx):
    """It was an OverflowError (SQLite), a 500: now the form's message, nothing stored."""
    article, *_, edith, _ = desk
    client.force_login(edith)
    client.post(url("adjudication-start", article))
    before = (Annotation.objects.count(), HistoryEvent.objects.count())
    if htmx:
        response = client.post(url(name, article), {"span": span}, HTTP_HX_REQUEST="true")
        assert response.status_code == 422
        body = response.content.decode()
    else:
        response = client.post(url(name, article), {"span": span}, follow=True)
        assert response.redirect_chain[-1][0] == url("article-adjudicate", article)
        body = response.content.decode()
    assert "There is no span with that id; reload the page." in body
    assert (Annotation.objects.count(), HistoryEvent.objects.count()) == before


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("value", [HUGE, 2**31])
def test_gold_bounds_past_the_column_are_refused_with_a_message(client, desk, field, value):
    article = desk[0]
    gold = _started_with_gold(client, desk)
    before = (gold.start, gold.end, gold.version, HistoryEvent.objects.count())
    data = {"label": "claim", "start": gold.start, "end": gold.end, field: value}
    response = client.post(
        url("adjudication-gold-edit", article, gold.pk), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "The text is not that long: offsets go up to 2147483647." in response.content.decode()
    gold.refresh_from_db()
    assert (gold.start, gold.end, gold.version, HistoryEvent.objects.count()) == before
