"""Two people acting on the same span at the same moment, raced on real threads.

Each thread has its own database connection (and so its own transaction), and a barrier
releases them together, so the services' row locks are what keeps the outcome right.
PostgreSQL only: that is where concurrent transactions really interleave (the SQLite
test database is one in-memory connection).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotations import history, services
from annotations.conflicts import Conflict, Gone, StaleEdit
from annotations.models import Annotation, Evidence, HistoryEvent, Source, Speaker
from tests.factories import make_annotation, make_article, make_source, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent transactions"
    ),
]

TRIALS = 8


@pytest.fixture(autouse=True)
def migration_rows(transactional_db):
    """A flushed database has lost the labels and groups that migrations create."""
    restore_migration_rows()


@pytest.fixture
def people(db):
    return make_user("rita", role="reviewer"), make_user("edith", role="editor")


@pytest.fixture
def article(db):
    return make_article("Kirby said the talks are advancing. Moscow denied it on Thursday.")


def span(article, author, text="the talks are advancing"):
    start = article.body.index(text)
    annotation = make_annotation(article, start, start + len(text), author=author)
    history.record(
        kind=HistoryEvent.Kind.ANNOTATION,
        obj_id=annotation.pk,
        annotation_id=annotation.pk,
        article_id=article.pk,
        action=HistoryEvent.Action.CREATE,
        actor=author,
        after=services.snapshot_annotation(annotation),
    )
    return annotation


def test_edit_racing_delete_never_resurrects_the_span(people, article):
    """An edit and a delete of one span at once: the span ends deleted with its sources
    in the deletion's snapshot, or edited and then deleted; it is never brought back, and
    the deletion can always be restored with its sources."""
    reviewer, editor = people
    for trial in range(TRIALS):
        annotation = span(article, reviewer)
        make_source(annotation, url=f"https://example.org/{trial}")
        stale = Annotation.objects.get(pk=annotation.pk)
        outcomes = race(
            lambda: services.annotation_update(annotation=stale, actor=editor, note=f"n{trial}"),
            lambda: services.annotation_delete(annotation=stale, actor=reviewer),
        )
        edit, delete = outcomes
        assert delete[0] == "ok", delete
        assert edit[0] == "ok" or isinstance(edit[1], Gone), edit
        assert not Annotation.objects.filter(pk=annotation.pk).exists()
        deletion = HistoryEvent.objects.get(object_id=annotation.pk, action="delete")
        assert [s["url"] for s in deletion.before["sources"]] == [f"https://example.org/{trial}"]
        if edit[0] == "ok":  # the edit went first: the deletion snapshot has it
            assert deletion.before["note"] == f"n{trial}"
        restored = services.annotation_restore(event=deletion, actor=reviewer)
        assert restored.sources.count() == 1
        services.annotation_delete(annotation=restored, actor=reviewer)


def test_two_edits_of_the_same_field_never_silently_overwrite(people, article):
    """Two people change the note from the same version at once: one saves, the other
    gets a StaleEdit naming the note and showing the saved value."""
    reviewer, editor = people
    for trial in range(TRIALS):
        annotation = span(article, reviewer)
        version = annotation.version
        outcomes = race(
            lambda: services.annotation_update(
                annotation=annotation,
                actor=reviewer,
                note=f"rita {trial}",
                expected_version=version,
            ),
            lambda: services.annotation_update(
                annotation=annotation,
                actor=editor,
                note=f"edith {trial}",
                expected_version=version,
            ),
        )
        oks = [o for o in outcomes if o[0] == "ok"]
        conflicts = [o[1] for o in outcomes if o[0] == "error"]
        assert len(oks) == 1 and len(conflicts) == 1, outcomes
        assert isinstance(conflicts[0], StaleEdit) and conflicts[0].fields == ("note",)
        stored = Annotation.objects.get(pk=annotation.pk)
        assert stored.note == oks[0][1].note
        assert conflicts[0].current["note"] == stored.note
        assert stored.version == version + 1


def test_two_edits_of_different_fields_both_land(people, article):
    """One person sets the speaker while another sets the note, from the same version:
    both changes are kept."""
    reviewer, editor = people
    for trial in range(TRIALS):
        annotation = span(article, reviewer)
        version = annotation.version
        outcomes = race(
            lambda: services.annotation_update(
                annotation=annotation,
                actor=reviewer,
                speaker=f"Kirby {trial}",
                note="",
                expected_version=version,
            ),
            lambda: services.annotation_update(
                annotation=annotation,
                actor=editor,
                speaker="",
                note=f"checked {trial}",
                expected_version=version,
            ),
        )
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        stored = Annotation.objects.get(pk=annotation.pk)
        assert (stored.speaker.name, stored.note) == (f"Kirby {trial}", f"checked {trial}")
        assert stored.version == version + 2


def test_two_restores_of_one_deletion(people, article):
    """Two clicks on Restore at once: one restores the span, the other gets a Conflict
    saying it is already restored; there is one span and one restore event."""
    reviewer, _ = people
    for _trial in range(TRIALS):
        annotation = span(article, reviewer)
        deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
        outcomes = race(
            lambda: services.annotation_restore(event=deletion, actor=reviewer),
            lambda: services.annotation_restore(event=deletion, actor=reviewer),
        )
        assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
        error = next(o[1] for o in outcomes if o[0] == "error")
        assert isinstance(error, Conflict) and "already been restored" in str(error)
        assert Annotation.objects.filter(pk=annotation.pk).count() == 1
        assert HistoryEvent.objects.filter(object_id=annotation.pk, action="restore").count() == 1
        services.annotation_delete(annotation=annotation, actor=reviewer)


def test_source_added_while_its_span_is_deleted(people, article):
    """Adding a source while the span is being deleted: either the source is added first
    and is in the deletion's snapshot, or the add is refused with Gone; never an orphan
    row or a database error."""
    reviewer, _ = people
    seen = set()
    for trial in range(TRIALS):
        annotation = span(article, reviewer)
        url = f"https://example.org/evidence/{trial}"
        outcomes = race(
            lambda: services.source_create(annotation=annotation, actor=reviewer, url=url),
            lambda: services.annotation_delete(annotation=annotation, actor=reviewer),
        )
        add, delete = outcomes
        assert delete[0] == "ok", delete
        assert add[0] == "ok" or isinstance(add[1], Gone), add
        seen.add(add[0])
        assert not Evidence.objects.filter(source__url=url).exists()
        deletion = HistoryEvent.objects.get(object_id=annotation.pk, action="delete")
        in_snapshot = [s["url"] for s in deletion.before["sources"]]
        assert in_snapshot == ([url] if add[0] == "ok" else [])


def _client_for(user) -> Client:
    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(user)
    return client


def test_views_edit_racing_delete(people, article):
    """Through the review page's endpoints: an edit and a delete at once answer 200 and
    200, or 409 "deleted" and 200; never a 5xx, never a resurrected span."""
    reviewer, editor = people
    for trial in range(TRIALS):
        annotation = span(article, reviewer)
        editing, deleting = _client_for(editor), _client_for(reviewer)
        edit_url = reverse("annotation-detail", args=[annotation.pk])
        delete_url = reverse("annotation-delete", args=[annotation.pk])
        outcomes = race(
            lambda: (
                editing.post(
                    edit_url,
                    {
                        "edit-label": annotation.label_id,
                        "edit-speaker": "Kirby",
                        "edit-note": f"v{trial}",
                        "edit-version": annotation.version,
                    },
                ).status_code
            ),
            lambda: deleting.post(delete_url).status_code,
        )
        edit_status, delete_status = (o[1] for o in outcomes)
        assert delete_status == 200, outcomes
        assert edit_status in (200, 409), outcomes
        assert not Annotation.objects.filter(pk=annotation.pk).exists()


def test_views_two_restores(people, article):
    """Two Restore clicks through the endpoint: one 200, one 409 with a message."""
    reviewer, _ = people
    for _trial in range(TRIALS):
        annotation = span(article, reviewer)
        deletion = services.annotation_delete(annotation=annotation, actor=reviewer)
        url = reverse("annotation-restore", args=[deletion.pk])
        first, second = _client_for(reviewer), _client_for(reviewer)
        outcomes = race(lambda: first.post(url), lambda: second.post(url))
        statuses = sorted(o[1].status_code for o in outcomes)
        assert statuses == [200, 409], outcomes
        refused = next(o[1] for o in outcomes if o[1].status_code == 409)
        assert "already been restored" in refused.content.decode()
        assert Annotation.objects.filter(pk=annotation.pk).count() == 1
        services.annotation_delete(annotation=annotation, actor=reviewer)


def test_views_source_racing_delete(people, article):
    """Adding a source through the page while the span is deleted: 200 or 409, never 5xx."""
    reviewer, _ = people
    for trial in range(TRIALS):
        annotation = span(article, reviewer)
        adding, deleting = _client_for(reviewer), _client_for(reviewer)
        url = f"https://example.org/page/{trial}"
        outcomes = race(
            lambda: (
                adding.post(
                    reverse("source-create", args=[annotation.pk]),
                    {"source-url": url, "source-stance": "supports"},
                ).status_code
            ),
            lambda: deleting.post(reverse("annotation-delete", args=[annotation.pk])).status_code,
        )
        add_status, delete_status = (o[1] for o in outcomes)
        assert delete_status == 200 and add_status in (200, 409), outcomes
        assert not Evidence.objects.filter(source__url=url).exists()


# --- fact-check data: shared records, speakers, merges ---------------------------------


def test_two_spans_cite_a_new_url_at_once(people, article):
    """Two reviewers cite the same new URL on two spans at the same moment: one shared
    record, two citations, no error for either."""
    reviewer, editor = people
    for trial in range(TRIALS):
        first = span(article, reviewer)
        second = span(article, editor, text="Moscow denied it")
        url = f"https://example.org/shared/{trial}"
        outcomes = race(
            lambda: services.source_create(annotation=first, actor=reviewer, url=url),
            lambda: services.source_create(annotation=second, actor=editor, url=url),
        )
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        assert Source.objects.filter(url=url).count() == 1
        cited = Evidence.objects.filter(source__url=url)
        assert sorted(cited.values_list("annotation_id", flat=True)) == sorted(
            [first.pk, second.pk]
        )


def test_two_spans_name_a_new_speaker_at_once(people, article):
    """Two reviewers type the same new name (in different case) at once: one speaker."""
    reviewer, editor = people
    for trial in range(TRIALS):
        first = span(article, reviewer)
        second = span(article, editor, text="Moscow denied it")
        outcomes = race(
            lambda: services.annotation_update(
                annotation=first, actor=reviewer, speaker=f"Maria Zakharova {trial}"
            ),
            lambda: services.annotation_update(
                annotation=second, actor=editor, speaker=f"maria zakharova {trial}"
            ),
        )
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        speakers = Speaker.objects.filter(name__iexact=f"Maria Zakharova {trial}")
        assert speakers.count() == 1
        both = Annotation.objects.filter(pk__in=[first.pk, second.pk])
        assert set(both.values_list("speaker_id", flat=True)) == {speakers.get().pk}


def test_a_merge_racing_an_edit_keeps_both(people, article):
    """An editor merges "J. Kirby" into "John Kirby" while the span's author edits its
    note from the version they saw: the span ends with the kept speaker and the note."""
    reviewer, editor = people
    kept = Speaker.objects.create(name="John Kirby")
    for trial in range(TRIALS):
        duplicate = Speaker.objects.create(name=f"J. Kirby {trial}")
        annotation = services.annotation_update(
            annotation=span(article, reviewer), actor=reviewer, speaker=duplicate
        )
        version = annotation.version
        outcomes = race(
            lambda: services.speaker_merge(duplicate=duplicate, into=kept, actor=editor),
            lambda: services.annotation_update(
                annotation=annotation,
                actor=reviewer,
                note=f"checked {trial}",
                expected_version=version,
            ),
        )
        assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
        stored = Annotation.objects.get(pk=annotation.pk)
        assert (stored.speaker_id, stored.note) == (kept.pk, f"checked {trial}")
        assert not Speaker.objects.filter(pk=duplicate.pk).exists()
