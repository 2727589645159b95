"""The history of imported work: one event per imported article (its arrival), none per
span, and everything the history does with a span still works for an imported one: its
timeline, its first version for a merge of concurrent edits, blind mode.
(importers/rows._record_arrivals, history.annotation_version_snapshot,
history_selectors.span_events.)"""

import json

import pytest
from django.urls import reverse

from annotations import services
from annotations.conflicts import StaleEdit
from annotations.history import annotation_version_snapshot, snapshot_annotation
from annotations.importers import service
from annotations.models import Annotation, Article, HistoryEvent
from tests.desk_factories import make_collection
from tests.factories import label

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = "Kirby said the talks are advancing on Wednesday, and Moscow denied it."


def import_spans(tmp_path, user, *, by: str) -> Article:
    """One article with a claim and a denial annotated by `by`, imported by `user`."""
    line = {
        "title": "Talks",
        "text": TEXT,
        "spans": [
            {"start": 11, "end": 34, "label": "claim", "annotator": by, "note": "first"},
            {"start": 54, "end": 70, "label": "denial", "annotator": by},
        ],
    }
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = service.import_path(path, user=user)
    assert not result.reason and not result.refused_lines, result
    return Article.objects.get(title="Talks")


@pytest.mark.django_db
def test_an_import_records_each_articles_arrival_and_no_event_per_span(tmp_path, editor):
    article = import_spans(tmp_path, editor, by=editor.username)

    events = list(HistoryEvent.objects.all())
    assert [(e.kind, e.action, e.object_id, e.actor) for e in events] == [
        ("article", "create", article.pk, editor)
    ]
    assert events[0].after["title"] == "Talks"


@pytest.mark.django_db
def test_an_imported_spans_timeline_begins_with_its_arrival_as_it_arrived(
    tmp_path, reviewer, reviewer_client
):
    """Its article's arrival stands for the span's creation, told as the span's own:
    who imported it, and the span as it came (its label, text, note)."""
    import_spans(tmp_path, reviewer, by=reviewer.username)
    span = Annotation.objects.get(label__slug="claim")

    editor_pane = reviewer_client.get(reverse("annotation-detail", args=[span.pk]), **HTMX)
    assert 'History <span class="muted">(1)</span>' in editor_pane.content.decode()
    page = reviewer_client.get(reverse("annotation-history", args=[span.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Label: Claim" in html
    assert "Text: “the talks are advancing”" in html
    assert "Note added" in html
    assert "by import" in html
    assert "Article added" not in html

    services.annotation_update(annotation=span, actor=reviewer, note="second")
    html = reviewer_client.get(reverse("annotation-history", args=[span.pk])).content.decode()
    # Newest first: the change above the creation, which still shows the span as it came.
    assert html.index("Note changed") < html.index("Text: “the talks are advancing”")


@pytest.mark.django_db
def test_a_span_made_on_the_review_page_does_not_show_the_articles_arrival(
    tmp_path, reviewer, reviewer_client
):
    article = import_spans(tmp_path, reviewer, by=reviewer.username)
    span = services.annotation_create(
        article=article, label=label("claim"), start=0, end=5, quote="Kirby", author=reviewer
    )

    html = reviewer_client.get(reverse("annotation-history", args=[span.pk])).content.decode()
    assert "Text: “Kirby”" in html
    assert "Article added" not in html


@pytest.mark.django_db
def test_an_imported_spans_first_version_is_read_off_the_span_then_off_its_first_change(
    tmp_path, editor
):
    import_spans(tmp_path, editor, by=editor.username)
    span = Annotation.objects.get(label__slug="claim")
    as_imported = snapshot_annotation(span)

    assert annotation_version_snapshot(span.pk, 1) == as_imported
    services.annotation_update(annotation=span, actor=editor, note="second")
    assert annotation_version_snapshot(span.pk, 1) == as_imported
    assert annotation_version_snapshot(span.pk, 2)["note"] == "second"
    assert annotation_version_snapshot(span.pk, 3) is None


@pytest.mark.django_db
def test_concurrent_edits_of_an_imported_span_merge_or_conflict_as_any_other(
    tmp_path, reviewer, editor
):
    """Two people opened the imported span at version 1; one changed its note. The other's
    label change merges in; their own note change is a conflict, not an overwrite."""
    import_spans(tmp_path, reviewer, by=reviewer.username)
    span = Annotation.objects.get(label__slug="claim")
    services.annotation_update(annotation=span, actor=editor, note="the editor's")

    merged = services.annotation_update(
        annotation=span, actor=reviewer, label=label("denial"), expected_version=1
    )
    assert (merged.label.slug, merged.note, merged.version) == ("denial", "the editor's", 3)
    with pytest.raises(StaleEdit):
        services.annotation_update(
            annotation=span, actor=reviewer, note="the reviewer's", expected_version=1
        )
    assert Annotation.objects.get(pk=span.pk).note == "the editor's"


@pytest.mark.django_db
def test_blind_mode_shows_a_reviewer_the_sources_of_their_imported_span_only(
    tmp_path, client, editor, reviewer, other_reviewer
):
    """The article history of a blind collection lists what was done to a reviewer's
    own imported spans (which have no event of their own), and nothing of others'."""
    article = import_spans(tmp_path, editor, by=reviewer.username)
    other = services.annotation_create(
        article=article, label=label("claim"), start=0, end=5, quote="Kirby", author=other_reviewer
    )
    make_collection(
        "Blind desk", members=[reviewer, other_reviewer], articles=[article], blind=True
    )
    own = Annotation.objects.get(label__slug="claim", author=reviewer)
    services.source_create(annotation=own, actor=reviewer, url="https://mine.example.org/a")
    services.source_create(
        annotation=other, actor=other_reviewer, url="https://theirs.example.net/x"
    )
    client.force_login(reviewer)

    page = client.get(reverse("article-history", args=[article.pk])).content.decode()
    assert "mine.example.org" in page
    assert "theirs.example.net" not in page
    assert "Article added: “Talks”" in page


@pytest.mark.django_db
def test_a_deleted_imported_span_is_restored_whole_and_its_timeline_still_begins_with_it(
    tmp_path, editor, reviewer_client, reviewer
):
    """Deleted before anyone changed it, an imported span is kept whole by its deletion
    (there is no creation event to fall back on): restored with its id, label, note and
    sources, and its timeline reads created, deleted, restored."""
    import_spans(tmp_path, editor, by=reviewer.username)
    span = Annotation.objects.get(label__slug="claim")
    services.source_create(annotation=span, actor=reviewer, url="https://kept.example.org/a")
    kept = snapshot_annotation(span)
    deletion = services.annotation_delete(annotation=span, actor=reviewer)

    restored = services.annotation_restore(event=deletion, actor=reviewer)

    assert restored.pk == span.pk
    # All as it was, but its version: a restore is a change of its own.
    assert {**snapshot_annotation(restored), "version": 0} == {**kept, "version": 0}
    assert list(restored.sources.values_list("source__url", flat=True)) == [
        "https://kept.example.org/a"
    ]
    html = reviewer_client.get(reverse("annotation-history", args=[span.pk])).content.decode()
    restored_at, deleted_at = html.index("Restored"), html.index("Deleted")
    assert restored_at < deleted_at < html.index("Text: “the talks are advancing”")
