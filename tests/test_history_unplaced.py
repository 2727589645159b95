"""The history of a span a revision could not place: it is live (waiting on the attention
page), not deleted. Found by the outside tester: such a span showed as "Deleted" with a
"Restore this span" button that answered 409 "…no longer in it…", and the revision's own
entry read "No visible change"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.history_diff import diff_lines
from annotations.models import Annotation, HistoryEvent
from annotations.services.restore import restore_refusal
from annotations.services.revisions import place_span, revise_article
from tests.factories import make_article, make_span

OLD = "Kept sentence here. The mayor promised a new bridge. Last sentence."
NEW = "Kept sentence here. Last sentence."
GONE = "The mayor promised a new bridge"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def waiting(db, reviewer, editor):
    """The tester's steps: a span made, deleted, restored; then a revision removes its
    text, so it needs attention."""
    story = make_article(OLD, title="Bridge")
    span = make_span(story, GONE, reviewer)
    deletion = services.annotation_delete(annotation=span, actor=reviewer)
    services.annotation_restore(event=deletion, actor=reviewer)
    revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    stored = Annotation.all_objects.get(pk=span.pk)
    assert stored.needs_attention
    return story, stored, HistoryEvent.objects.get(pk=deletion.pk)


def test_the_span_page_says_needs_attention_with_a_link_not_deleted(waiting, reviewer_client):
    story, span, _ = waiting
    page = reviewer_client.get(reverse("annotation-history", args=[span.pk])).content.decode()
    assert "Needs attention" in page
    assert reverse("article-attention", args=[story.pk]) in page
    assert "status-deleted" not in page and "Restore this span" not in page


def test_neither_history_offers_to_restore_the_old_deletion(waiting, reviewer_client):
    story, span, deletion = waiting
    for url in (
        reverse("annotation-history", args=[span.pk]),
        reverse("article-history", args=[story.pk]),
    ):
        page = reviewer_client.get(url).content.decode()
        assert reverse("annotation-restore", args=[deletion.pk]) not in page, url
        assert "Restore this span" not in page, url


def test_restoring_the_old_deletion_says_where_the_span_is_and_changes_nothing(
    waiting, reviewer_client
):
    _story, span, deletion = waiting
    last = HistoryEvent.objects.latest("pk").pk
    response = reviewer_client.post(reverse("annotation-restore", args=[deletion.pk]), **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "not deleted" in page and "needs attention" in page
    assert "no longer in it" not in page
    assert restore_refusal(deletion) is not None
    stored = Annotation.all_objects.get(pk=span.pk)
    assert stored.needs_attention and stored.version == span.version
    assert not HistoryEvent.objects.filter(pk__gt=last).exists()


def test_the_revisions_entry_says_it_could_not_be_placed(waiting, reviewer_client):
    story, span, _ = waiting
    event = HistoryEvent.objects.filter(object_id=span.pk, action="update").latest("pk")
    assert diff_lines("annotation", "update", event.before, event.after) == [
        "Could not be placed on the new text (needs attention)"
    ]
    page = reviewer_client.get(reverse("article-history", args=[story.pk])).content.decode()
    assert "Could not be placed on the new text (needs attention)" in page
    assert "No visible change" not in page


def test_placed_by_hand_the_entry_says_where(waiting, reviewer):
    _story, span, _ = waiting
    start = NEW.index("Last sentence")
    place_span(annotation=span, start=start, end=start + 13, actor=reviewer)
    event = HistoryEvent.objects.filter(object_id=span.pk, action="update").latest("pk")
    assert diff_lines("annotation", "update", event.before, event.after) == [
        f"Placed on the current text: characters {start}–{start + 13}, “Last sentence”"
    ]


def test_a_span_a_revision_moves_says_where_and_what_its_text_became(db, reviewer, editor):
    story = make_article("Intro. The bridge is safe, he said. End.", title="B")
    span = make_span(story, "The bridge is safe", reviewer)
    new = "A longer intro here. The bridge is now safe, he said. End."
    revise_article(article=story, title="B", body=new, actor=editor)
    event = HistoryEvent.objects.filter(object_id=span.pk, action="update").latest("pk")
    start = new.index("The bridge")
    assert diff_lines("annotation", "update", event.before, event.after) == [
        f"Moved: characters 7–25 → characters {start}–{start + 22}",
        "Text: “The bridge is safe” → “The bridge is now safe”",
    ]


def test_a_span_kept_in_place_says_the_text_around_it_changed(db, reviewer, editor):
    """A revision that changed the words beside a span but not its place (as much text
    added before it as removed): its entry says so, not "No visible change"."""
    story = make_article("Kept here. Removed sentence there. Another kept one.", title="C")
    span = make_span(story, "Another kept one", reviewer)
    new = "Preface of 14. Kept here. New end. Another kept one."
    assert new.index("Another kept one") == span.start  # the same place, other neighbours
    revise_article(article=story, title="C", body=new, actor=editor)
    event = HistoryEvent.objects.filter(object_id=span.pk, action="update").latest("pk")
    assert diff_lines("annotation", "update", event.before, event.after) == [
        "The text around it changed; the span kept its place"
    ]
