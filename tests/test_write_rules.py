"""The rules the services enforce on every write: vanished rows, stale versions, the
restore rule, permissions from the groups, and limits; each refusal leaves everything
as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import services
from annotations.conflicts import Conflict, Gone, StaleEdit
from annotations.models import Annotation, Article, Evidence, HistoryEvent, Source
from annotations.permissions import REVIEWERS
from tests.factories import make_article, make_span, make_user

pytestmark = pytest.mark.django_db


def state():
    return (
        list(Annotation.objects.order_by("pk").values()),
        list(Evidence.objects.order_by("pk").values()),
        list(Source.objects.order_by("pk").values()),
        list(HistoryEvent.objects.order_by("pk").values_list("pk", flat=True)),
    )


create = make_span


@pytest.fixture
def annotation(article, reviewer):
    return create(article, "Moscow denied it", reviewer)


# --- vanished rows ---------------------------------------------------------------------


def test_editing_a_deleted_span_is_gone_and_never_inserts(annotation, reviewer):
    """An edit made with an instance loaded before the delete raises Gone: the span is
    not written back (no INSERT), and nothing is recorded."""
    stale = Annotation.objects.get(pk=annotation.pk)
    services.annotation_delete(annotation=annotation, actor=reviewer)
    before = state()
    with pytest.raises(Gone, match="deleted"):
        services.annotation_update(annotation=stale, actor=reviewer, note="too late")
    assert state() == before
    assert not Annotation.objects.filter(pk=annotation.pk).exists()


def test_deleting_twice_is_a_conflict(annotation, reviewer):
    """The second delete of a span says it is already deleted and records nothing."""
    stale = Annotation.objects.get(pk=annotation.pk)
    services.annotation_delete(annotation=annotation, actor=reviewer)
    before = state()
    with pytest.raises(Gone, match="already deleted"):
        services.annotation_delete(annotation=stale, actor=reviewer)
    assert state() == before


def test_adding_a_source_to_a_deleted_span_is_gone(annotation, reviewer):
    """A source for a span deleted in the meantime is refused; no orphan row."""
    stale = Annotation.objects.get(pk=annotation.pk)
    services.annotation_delete(annotation=annotation, actor=reviewer)
    before = state()
    with pytest.raises(Gone, match="source was not added"):
        services.source_create(annotation=stale, actor=reviewer, url="https://example.org/x")
    assert state() == before


def test_span_on_a_deleted_article_is_gone(article, reviewer):
    """Creating a span on an article deleted since is refused."""
    stale = Article.objects.get(pk=article.pk)
    Article.objects.filter(pk=article.pk).delete()
    with pytest.raises(Gone, match="article was deleted"):
        create(stale, "Moscow denied it", reviewer)
    assert Annotation.objects.count() == 0


# --- versions --------------------------------------------------------------------------


def test_each_edit_bumps_the_version(annotation, reviewer):
    """The version starts at 1 and grows by one per saved change (not per no-op)."""
    assert annotation.version == 1
    saved = services.annotation_update(annotation=annotation, actor=reviewer, note="a")
    assert saved.version == 2
    services.annotation_update(annotation=saved, actor=reviewer, note="a")
    assert Annotation.objects.get(pk=annotation.pk).version == 2


def test_stale_edit_of_the_same_field_is_refused(annotation, reviewer, editor):
    """Two people edit the note from version 1: the later one gets StaleEdit with the
    saved note, and the first one's note stays."""
    services.annotation_update(
        annotation=annotation, actor=editor, note="editor's note", expected_version=1
    )
    before = state()
    with pytest.raises(StaleEdit) as info:
        services.annotation_update(
            annotation=annotation, actor=reviewer, note="reviewer's note", expected_version=1
        )
    assert info.value.fields == ("note",)
    assert info.value.current["note"] == "editor's note"
    assert info.value.changed_by == "edith"
    assert state() == before


def test_stale_edit_of_other_fields_merges(annotation, reviewer, editor):
    """From version 1, one person sets the note and the other the speaker (sending the
    other fields as they saw them): both changes are kept."""
    services.annotation_update(
        annotation=annotation, actor=editor, note="checked", speaker="", expected_version=1
    )
    saved = services.annotation_update(
        annotation=annotation, actor=reviewer, note="", speaker="Zakharova", expected_version=1
    )
    assert (saved.note, saved.speaker.name, saved.version) == ("checked", "Zakharova", 3)


def test_stale_edit_that_agrees_is_no_conflict(annotation, reviewer, editor):
    """Two people make the same change: no conflict, no second version."""
    services.annotation_update(annotation=annotation, actor=editor, note="x", expected_version=1)
    saved = services.annotation_update(
        annotation=annotation, actor=reviewer, note="x", expected_version=1
    )
    assert saved.version == 2


def test_unknown_base_version_conflicts_on_any_difference(annotation, reviewer):
    """A form from a version the history does not know counts every field it sends as
    changed: a difference from what is stored is a conflict, never an overwrite."""
    HistoryEvent.objects.all().delete()  # as for spans from before versions existed
    services.annotation_update(annotation=annotation, actor=reviewer, note="new")
    with pytest.raises(StaleEdit) as info:
        services.annotation_update(
            annotation=annotation, actor=reviewer, note="old form", expected_version=1
        )
    assert info.value.fields == ("note",)


# --- restore ---------------------------------------------------------------------------


def test_only_the_latest_deletion_can_be_restored(annotation, reviewer):
    """Deleted, restored, edited, deleted again: the first deletion would bring back the
    old text without the edit, so it is refused; the latest one restores the edit."""
    first = services.annotation_delete(annotation=annotation, actor=reviewer)
    restored = services.annotation_restore(event=first, actor=reviewer)
    services.annotation_update(annotation=restored, actor=reviewer, note="edited later")
    latest = services.annotation_delete(annotation=restored, actor=reviewer)
    before = state()
    with pytest.raises(Conflict, match="deleted again later"):
        services.annotation_restore(event=first, actor=reviewer)
    assert state() == before
    again = services.annotation_restore(event=latest, actor=reviewer)
    assert again.note == "edited later"


def test_restore_keeps_creation_times(annotation, reviewer):
    """A restored span and its sources keep when they were first made."""
    made = datetime(2025, 3, 14, 9, 26, tzinfo=UTC)
    source = services.source_create(annotation=annotation, actor=reviewer, url="https://e.org/a")
    Annotation.objects.filter(pk=annotation.pk).update(created_at=made)
    Evidence.objects.filter(pk=source.pk).update(created_at=made)
    deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
    restored = services.annotation_restore(event=deletion, actor=reviewer)
    assert restored.created_at == made
    assert restored.sources.get().created_at == made
    assert restored.sources.get().pk == source.pk


def test_restore_after_the_text_moved_reanchors(article, reviewer):
    """The article's text was edited while the span was deleted (words added before it):
    the span comes back where its text is now, with the same quote."""
    annotation = create(article, "Moscow denied it", reviewer)
    deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
    Article.objects.filter(pk=article.pk).update(body="Update: " + article.body)
    restored = services.annotation_restore(event=deletion, actor=reviewer)
    body = Article.objects.get(pk=article.pk).body
    assert body[restored.start : restored.end] == "Moscow denied it"
    assert restored.start == annotation.start + len("Update: ")


def test_restore_after_the_text_is_gone_is_refused(article, reviewer):
    """When the span's text is no longer in the article, the restore says so and
    nothing is stored; the deletion stays in the history."""
    annotation = create(article, "Moscow denied it", reviewer)
    deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
    Article.objects.filter(pk=article.pk).update(body="A different text entirely.")
    before = state()
    with pytest.raises(Conflict, match="no longer in it"):
        services.annotation_restore(event=deletion, actor=reviewer)
    assert state() == before


def test_restore_does_not_land_on_the_same_words_in_another_sentence(reviewer):
    """Deleted, then its sentence went from the text while the same words stayed in
    another one (Biden's "We will win" gone, Trump's still there): that is another claim,
    so the restore is refused and nothing is stored, as a revision would not place it."""
    article = make_article(
        "Biden said: 'We will win the election in November.' Markets rose. "
        "Later, Trump said: 'We will win the election in November.' Nobody believed it."
    )
    annotation = create(article, "'We will win the election in November.'", reviewer)
    assert article.body.startswith("Biden said: ", 0) and annotation.start == len("Biden said: ")
    deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
    Article.objects.filter(pk=article.pk).update(
        body="Markets rose. Later, Trump said: 'We will win the election in November.' "
        "Nobody believed it."
    )
    before = state()
    with pytest.raises(Conflict, match="no longer in it"):
        services.annotation_restore(event=deletion, actor=reviewer)
    assert state() == before


# --- permissions come from the groups --------------------------------------------------


def _revoke(codename: str) -> None:
    Group.objects.get(name=REVIEWERS).permissions.remove(
        Permission.objects.get(codename=codename, content_type__app_label="annotations")
    )


def test_a_reviewer_whose_group_lost_delete_cannot_delete(annotation):
    """Taking delete_annotation from the Reviewers group stops their deletes."""
    _revoke("delete_annotation")
    author = make_user_fresh(annotation.author_id)
    before = state()
    with pytest.raises(PermissionDenied):
        services.annotation_delete(annotation=annotation, actor=author)
    assert state() == before


def test_a_reviewer_whose_group_lost_add_cannot_create(article):
    """annotation_create checks the permission itself, whoever calls it."""
    _revoke("add_annotation")
    reviewer = make_user("newcomer", role="reviewer")
    with pytest.raises(PermissionDenied):
        create(article, "Moscow denied it", reviewer)
    assert Annotation.objects.count() == 0


def test_setting_a_status_needs_the_permission(article):
    """article_set_status checks set_article_status; a user in no group is refused."""
    outsider = make_user("outsider", role="none")
    with pytest.raises(PermissionDenied):
        services.article_set_status(article=article, status="reviewed", actor=outsider)
    assert Article.objects.get(pk=article.pk).status == Article.Status.NEW


def make_user_fresh(pk):
    """The user reloaded, so permission caches reflect the group as it is now."""
    from django.contrib.auth.models import User

    return User.objects.get(pk=pk)


# --- limits ----------------------------------------------------------------------------


def test_a_10000_character_speaker_is_refused(annotation, reviewer):
    """The speaker column holds 300 characters: a longer name is a clear error."""
    before = state()
    with pytest.raises(ValidationError, match="the limit is 300"):
        services.annotation_update(annotation=annotation, actor=reviewer, speaker="x" * 10_000)
    assert state() == before


# --- sources ---------------------------------------------------------------------------


def test_a_source_moves_to_another_span(article, reviewer):
    """Setting another span on a source moves it, and the history says from where."""
    first = create(article, "Moscow denied it", reviewer)
    second = create(article, "Kirby said", reviewer)
    source = services.source_create(annotation=first, actor=reviewer, url="https://e.org/a")
    services.source_update(source=source, actor=reviewer, annotation=second)
    assert Evidence.objects.get(pk=source.pk).annotation_id == second.pk
    event = HistoryEvent.objects.filter(kind="source", action="update").get()
    assert (event.before["annotation_id"], event.after["annotation_id"]) == (first.pk, second.pk)


def test_a_source_cannot_move_to_someone_elses_span(article, reviewer, other_reviewer):
    """A reviewer cannot move their source onto another reviewer's span."""
    mine = create(article, "Moscow denied it", reviewer)
    theirs = create(article, "Kirby said", other_reviewer)
    source = services.source_create(annotation=mine, actor=reviewer, url="https://e.org/a")
    with pytest.raises(PermissionDenied):
        services.source_update(source=source, actor=reviewer, annotation=theirs)
    assert Evidence.objects.get(pk=source.pk).annotation_id == mine.pk


def test_a_stale_source_edit_is_a_conflict(annotation, reviewer, editor):
    """A source edited from an older version is refused, naming what to do."""
    source = services.source_create(annotation=annotation, actor=reviewer, url="https://e.org/a")
    services.source_update(
        source=source, actor=editor, expected_version=1, quoted_passage="Editor's passage"
    )
    with pytest.raises(Conflict, match="Someone else changed this source"):
        services.source_update(
            source=source, actor=reviewer, expected_version=1, quoted_passage="Reviewer's"
        )
    assert Evidence.objects.get(pk=source.pk).quoted_passage == "Editor's passage"


# --- articles --------------------------------------------------------------------------


def test_article_text_cannot_change_once_a_span_points_into_it(article, reviewer, editor):
    """article_update checks for spans under the article's lock: a span made just before
    the edit refuses the new text, and nothing is saved."""
    create(article, "Moscow denied it", reviewer)
    with pytest.raises(Conflict, match="spans now point into it"):
        services.article_update(
            article=article, actor=editor, changes={"body": "Other text.", "title": "New"}
        )
    stored = Article.objects.get(pk=article.pk)
    assert (stored.body, stored.title) == (article.body, article.title)


def test_article_metadata_edit_saves_only_what_changed(article, editor):
    """An editor's title change is saved; the text and its hash stay."""
    saved = services.article_update(article=article, actor=editor, changes={"title": "Fixed"})
    stored = Article.objects.get(pk=article.pk)
    assert (saved.title, stored.title, stored.content_hash) == (
        "Fixed",
        "Fixed",
        article.content_hash,
    )


def test_a_reviewer_cannot_edit_article_metadata(article, reviewer):
    """Changing articles needs change_article, which reviewers do not have."""
    with pytest.raises(PermissionDenied):
        services.article_update(article=article, actor=reviewer, changes={"title": "Mine"})
    assert Article.objects.get(pk=article.pk).title == article.title


def test_an_exact_duplicate_span_is_refused_naming_the_first(article, reviewer, other_reviewer):
    """The same text, label and reviewer twice: the second is refused with the first's
    id; another reviewer, or another label, on the same text is a span of its own."""
    first = create(article, "Moscow denied it", reviewer)
    before = state()
    with pytest.raises(ValidationError, match=f"span #{first.pk}"):
        create(article, "Moscow denied it", reviewer)
    assert state() == before
    create(article, "Moscow denied it", other_reviewer)
    create(article, "Moscow denied it", reviewer, label_slug="denial")
    assert Annotation.objects.count() == 3
