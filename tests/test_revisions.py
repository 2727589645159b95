"""A new text for an article (services.revisions): the old text kept, spans re-anchored,
the ones that cannot be placed kept for a reviewer, placed or discarded by hand."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from annotations import offsets, services
from annotations.conflicts import Conflict
from annotations.models import Annotation, Article, ArticleRevision, HistoryEvent
from annotations.services.revisions import (
    ALREADY_PRESENT,
    discard_span,
    place_span,
    placement_candidates,
    revise_article,
)
from tests.factories import make_article, make_span, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import race

OLD = (
    "The minister said the bridge is safe. Engineers inspected it in May. "
    "Critics say the report was rushed."
)
NEW = (
    "UPDATE: The minister said the bridge is safe. "
    "Critics say the report was rushed and incomplete."
)


@pytest.fixture
def story(db):
    return make_article(OLD, title="Bridge", source_url="https://news.example.org/bridge")


def spans_of(article):
    return {a.quote: a for a in Annotation.all_objects.filter(article=article)}


def test_revision_keeps_the_old_text_and_moves_the_spans(story, reviewer, editor):
    safe = make_span(story, "the bridge is safe", reviewer)
    rushed = make_span(story, "the report was rushed", reviewer)
    result = revise_article(article=story, title="Bridge (updated)", body=NEW, actor=editor)

    story.refresh_from_db()
    assert (story.body, story.title) == (NEW, "Bridge (updated)")
    revision = ArticleRevision.objects.get(article=story)
    assert (revision.number, revision.body, revision.title) == (1, OLD, "Bridge")
    assert revision.replaced_by == editor
    assert revision.content_hash != story.content_hash
    for span in (safe, rushed):
        span.refresh_from_db()
        assert NEW[span.start : span.end] == span.quote
        assert span.version == 2 and not span.needs_attention
        assert span.prefix == offsets.quote_selector(NEW, span.start, span.end).prefix
    assert sorted(result.moved) == sorted([safe.pk, rushed.pk])
    assert result.unplaced == []


def test_revision_records_history_for_the_article_and_each_moved_span(story, reviewer, editor):
    safe = make_span(story, "the bridge is safe", reviewer)
    revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    article_event = HistoryEvent.objects.get(kind=HistoryEvent.Kind.ARTICLE, object_id=story.pk)
    assert article_event.action == HistoryEvent.Action.UPDATE
    assert article_event.before["content_hash"] != article_event.after["content_hash"]
    moved = HistoryEvent.objects.filter(
        kind=HistoryEvent.Kind.ANNOTATION, object_id=safe.pk, action="update"
    ).get()
    assert moved.before["start"] == OLD.index("the bridge")
    assert moved.after["start"] == NEW.index("the bridge")
    assert moved.actor == editor


def test_a_span_whose_text_is_gone_is_marked_never_deleted(story, reviewer, editor):
    inspected = make_span(story, "Engineers inspected it in May", reviewer)
    result = revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    assert result.unplaced == [inspected.pk]
    stored = Annotation.all_objects.get(pk=inspected.pk)
    assert stored.needs_attention
    # Its offsets still index the text it was made on, kept as revision 1.
    assert stored.anchored_in == result.revision
    assert stored.anchored_in.body[stored.start : stored.end] == "Engineers inspected it in May"
    # Out of every query that reads offsets into the current text.
    assert not Annotation.objects.filter(pk=inspected.pk).exists()
    assert not story.annotations.filter(pk=inspected.pk).exists()
    event = HistoryEvent.objects.get(
        kind=HistoryEvent.Kind.ANNOTATION, object_id=inspected.pk, action="update"
    )
    assert event.before["start"] == event.after["start"] == stored.start


def test_a_reviewer_cannot_revise_and_nothing_is_stored(story, reviewer):
    make_span(story, "the bridge is safe", reviewer)
    with pytest.raises(PermissionDenied):
        revise_article(article=story, title="x", body=NEW, actor=reviewer)
    story.refresh_from_db()
    assert story.body == OLD and not ArticleRevision.objects.exists()
    assert not HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ARTICLE).exists()


def test_same_text_is_refused_and_nothing_is_stored(story, reviewer, editor):
    make_span(story, "the bridge is safe", reviewer)
    with pytest.raises(ValidationError) as refused:
        revise_article(article=story, title="Other", body=OLD, actor=editor)
    assert ALREADY_PRESENT in refused.value.messages
    assert not ArticleRevision.objects.exists()
    story.refresh_from_db()
    assert story.title == "Bridge"
    assert not HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ARTICLE).exists()


def test_empty_text_and_another_articles_text_are_refused(story, reviewer, editor):
    other = make_article("Completely different text of another article.", title="Other")
    with pytest.raises(ValidationError, match="empty"):
        revise_article(article=story, title="x", body=" \n ", actor=editor)
    with pytest.raises(ValidationError, match=f"already article #{other.pk}"):
        revise_article(article=story, title="x", body=other.body, actor=editor)
    with pytest.raises(ValidationError, match="status"):
        revise_article(article=story, title="x", body=NEW, actor=editor, status="reviewed")
    assert not ArticleRevision.objects.exists()
    story.refresh_from_db()
    assert story.body == OLD


def test_second_revision_numbers_on_and_retries_unplaced_spans(story, reviewer, editor):
    inspected = make_span(story, "Engineers inspected it in May", reviewer)
    revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    # The sentence comes back, where it was, in revision 3: the span is placed again
    # from its own text (its context, the sentences around it, corroborates it).
    third = NEW.replace("safe. ", "safe. Engineers inspected it in May. ")
    result = revise_article(article=story, title="Bridge", body=third, actor=None)
    assert result.revision.number == 2
    assert list(story.revisions.values_list("number", flat=True)) == [2, 1]
    stored = Annotation.objects.get(pk=inspected.pk)
    assert third[stored.start : stored.end] == "Engineers inspected it in May"
    assert stored.anchored_in is None
    assert result.revision.replaced_by is None
    story.refresh_from_db()
    assert story.import_metadata["revisions"] == 2  # what the review page's link shows


def test_source_url_and_metadata_come_with_the_revision(story, reviewer, editor):
    revise_article(
        article=story,
        title="Bridge",
        body=NEW,
        source_url="HTTPS://News.Example.org/bridge/?utm_source=x",
        actor=editor,
        author="Jane Doe",
    )
    story.refresh_from_db()
    assert story.canonical_url == "https://news.example.org/bridge"
    assert story.author == "Jane Doe"


# --- placing and discarding by hand -----------------------------------------------------


@pytest.fixture
def unplaced(story, reviewer, editor):
    span = make_span(story, "Engineers inspected it in May", reviewer)
    revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    return Annotation.all_objects.get(pk=span.pk)


def test_place_puts_the_span_on_the_current_text(unplaced, reviewer, story):
    start = NEW.index("Critics say")
    placed = place_span(annotation=unplaced, start=start, end=start + 11, actor=reviewer)
    assert (placed.quote, placed.needs_attention) == ("Critics say", False)
    assert placed.anchored_in is None
    assert Annotation.objects.filter(pk=unplaced.pk).exists()
    event = HistoryEvent.objects.filter(object_id=unplaced.pk).latest("id")
    assert event.after["quote"] == "Critics say" and event.before["start"] == unplaced.start


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(-1, 4, "before the text"), (3, 10_000, "after the text"), (5, 5, "empty"), (7, 8, "white")],
)
def test_place_refuses_bad_offsets_and_changes_nothing(unplaced, reviewer, start, end, message):
    with pytest.raises(offsets.SpanError, match=message):
        place_span(annotation=unplaced, start=start, end=end, actor=reviewer)
    stored = Annotation.all_objects.get(pk=unplaced.pk)
    assert stored.needs_attention and stored.version == unplaced.version


def test_place_and_discard_refuse_another_reviewer(unplaced, other_reviewer):
    with pytest.raises(PermissionDenied):
        place_span(annotation=unplaced, start=0, end=6, actor=other_reviewer)
    with pytest.raises(PermissionDenied):
        discard_span(annotation=unplaced, actor=other_reviewer)
    stored = Annotation.all_objects.get(pk=unplaced.pk)
    assert stored.needs_attention and stored.version == unplaced.version
    assert not HistoryEvent.objects.filter(object_id=unplaced.pk, action="delete").exists()


def test_an_editor_may_place_anyones_span(unplaced, editor):
    placed = place_span(annotation=unplaced, start=0, end=6, actor=editor)
    assert placed.quote == "UPDATE"


def test_placing_a_placed_span_is_a_conflict(unplaced, reviewer):
    place_span(annotation=unplaced, start=0, end=6, actor=reviewer)
    with pytest.raises(Conflict, match="placed in the meantime"):
        place_span(annotation=unplaced, start=8, end=11, actor=reviewer)


def test_discard_deletes_through_the_history_and_can_be_restored(unplaced, reviewer, story):
    event = discard_span(annotation=unplaced, actor=reviewer)
    assert not Annotation.all_objects.filter(pk=unplaced.pk).exists()
    assert event.action == HistoryEvent.Action.DELETE
    assert event.before["quote"] == "Engineers inspected it in May"
    # Its text is not in the current article: the restore says so instead of misplacing it.
    with pytest.raises(Conflict, match="no longer in it"):
        services.annotation_restore(event=event, actor=reviewer)


def test_candidates_are_offered_for_an_unplaced_span(story, reviewer, editor):
    span = make_span(story, "the report was rushed", reviewer)
    revise_article(
        article=story, title="Bridge", body="Critics say the review was hurried.", actor=editor
    )
    stored = Annotation.all_objects.select_related("anchored_in", "article").get(pk=span.pk)
    assert stored.needs_attention
    found = placement_candidates(stored)
    assert found
    assert found[0].start == "Critics say the review was hurried.".index("the review")


def test_deleting_the_article_takes_unplaced_spans_along(unplaced, story):
    Article.objects.filter(pk=story.pk).delete()
    assert not Annotation.all_objects.filter(pk=unplaced.pk).exists()
    assert not ArticleRevision.objects.exists()


def test_article_delete_service_takes_unplaced_spans_along(unplaced, story):
    admin = make_user("root", role="admin")
    services.articles.article_delete(article=story, actor=admin)
    assert not Annotation.all_objects.filter(pk=unplaced.pk).exists()


# --- at the same moment (PostgreSQL) ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL")
def test_revision_racing_a_reviewers_edit_loses_nothing():
    restore_migration_rows()
    reviewer = make_user("rita", role="reviewer")
    editor = make_user("edith", role="editor")
    for trial in range(6):
        story = make_article(f"{OLD} Trial {trial}.", title="Bridge")
        span = make_span(story, "the report was rushed", reviewer)
        gone = make_span(story, "Engineers inspected it in May", reviewer)
        outcomes = race(
            lambda story=story, trial=trial: revise_article(
                article=story, title="Bridge", body=f"{NEW} Trial {trial}.", actor=editor
            ),
            lambda span=span, trial=trial: services.annotation_update(
                annotation=span, actor=reviewer, note=f"checked {trial}"
            ),
        )
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        stored = Annotation.objects.get(pk=span.pk)
        assert stored.note == f"checked {trial}"  # the edit survived the revision
        assert story.__class__.objects.get(pk=story.pk).body[stored.start : stored.end] == (
            "the report was rushed"
        )  # and the revision's new offsets survived the edit
        assert stored.version == 3
        assert Annotation.all_objects.get(pk=gone.pk).needs_attention


def test_deleting_an_article_keeps_its_unplaced_spans_in_the_history(story, reviewer, editor):
    """A span a revision could not place is still the article's: deleting the article
    records its deletion too (so it can be restored), and counts it on the delete page."""
    from annotations.services.articles import article_delete, deletion_impact

    inspected = make_span(story, "Engineers inspected it in May", reviewer)
    make_span(story, "Critics say the report was rushed", reviewer)
    revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    assert Annotation.all_objects.get(pk=inspected.pk).needs_attention
    assert deletion_impact([story.pk]).spans == 2
    admin = make_user("root-admin", role="admin")
    article_delete(article=story, actor=admin)
    deleted = HistoryEvent.objects.filter(
        kind=HistoryEvent.Kind.ANNOTATION, action="delete", object_id=inspected.pk
    )
    assert deleted.exists()
    assert not Annotation.all_objects.filter(pk=inspected.pk).exists()
