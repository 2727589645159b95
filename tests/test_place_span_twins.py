"""Placing a span a revision could not place never makes an exact twin (services/twins.py,
asked by services.revisions.place_span under the article's lock). Found by the outside
tester: placing it on the offsets of the same reviewer's claim said "Span #3 placed…"
and left two identical spans. On PostgreSQL, the writers race on real threads."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from annotations import services
from annotations.conflicts import Conflict
from annotations.models import Annotation, HistoryEvent
from annotations.services.revisions import place_span, revise_article
from tests.factories import label, make_article, make_span, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import race

OLD = (
    "The minister said the bridge is safe. Engineers inspected it in May. "
    "Critics say the report was rushed."
)
NEW = "The minister said the bridge is safe. Critics say the report was rushed."
KEPT = "Critics say the report was rushed"


def setup_story(reviewer, editor):
    story = make_article(OLD, title="Bridge")
    gone = make_span(story, "Engineers inspected it in May", reviewer)
    revise_article(article=story, title="Bridge", body=NEW, actor=editor)
    story.refresh_from_db()
    kept = make_span(story, KEPT, reviewer)  # made on the new text
    return story, Annotation.all_objects.get(pk=gone.pk), kept


def spans_at(story, start, end):
    return sorted(
        Annotation.all_objects.filter(article=story, start=start, end=end).values_list(
            "pk", "label__slug", "needs_attention"
        )
    )


@pytest.mark.django_db
def test_placing_on_the_same_reviewers_span_of_that_label_is_refused(reviewer, editor):
    story, gone, kept = setup_story(reviewer, editor)
    last_event = HistoryEvent.objects.latest("pk").pk

    with pytest.raises(Conflict) as refused:
        place_span(annotation=gone, start=kept.start, end=kept.end, actor=reviewer)

    assert f"(span #{kept.pk})" in str(refused.value) and "nothing was changed" in str(
        refused.value
    )
    stored = Annotation.all_objects.get(pk=gone.pk)
    assert stored.needs_attention and (stored.start, stored.end, stored.version) == (
        gone.start,
        gone.end,
        gone.version,
    )
    assert spans_at(story, kept.start, kept.end) == [(kept.pk, "claim", False)]
    assert not HistoryEvent.objects.filter(pk__gt=last_event).exists()


@pytest.mark.django_db
def test_the_attention_page_says_why_and_places_nothing(client, reviewer, editor):
    story, gone, kept = setup_story(reviewer, editor)
    client.force_login(reviewer)

    response = client.post(
        reverse("attention-place", args=[story.pk, gone.pk]),
        {"start": kept.start, "end": kept.end},
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Span #{gone.pk} was not placed." in page and f"(span #{kept.pk})" in page
    assert f"Span #{gone.pk} placed" not in page
    assert Annotation.all_objects.get(pk=gone.pk).needs_attention
    assert spans_at(story, kept.start, kept.end) == [(kept.pk, "claim", False)]


@pytest.mark.django_db
def test_another_label_or_another_reviewer_on_that_text_is_no_twin(reviewer, editor):
    story, gone, kept = setup_story(reviewer, editor)
    kept.delete()
    make_span(story, KEPT, reviewer, label_slug="denial")
    make_span(story, KEPT, make_user("olga"), label_slug="claim")
    start = NEW.index(KEPT)

    placed = place_span(annotation=gone, start=start, end=start + len(KEPT), actor=reviewer)

    assert not placed.needs_attention and placed.quote == KEPT


# --- races on PostgreSQL ---------------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent transactions"
)


@pytest.mark.django_db(transaction=True)
@needs_postgresql
def test_a_place_racing_a_new_span_on_that_text_leaves_no_twin():
    restore_migration_rows()
    reviewer, editor = make_user("rita"), make_user("edith", role="editor")
    for trial in range(6):
        story = make_article(f"{OLD} Trial {trial}.", title="Bridge")
        gone = make_span(story, "Engineers inspected it in May", reviewer)
        revise_article(article=story, title="Bridge", body=f"{NEW} Trial {trial}.", actor=editor)
        gone = Annotation.all_objects.get(pk=gone.pk)
        start = NEW.index(KEPT)
        outcomes = race(
            lambda g=gone, s=start: place_span(
                annotation=g, start=s, end=s + len(KEPT), actor=reviewer
            ),
            lambda a=story, s=start: services.annotation_create(
                article=a,
                label=label("claim"),
                start=s,
                end=s + len(KEPT),
                quote=KEPT,
                author=reviewer,
            ),
        )
        assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
        spans = Annotation.objects.filter(article=story, start=start, end=start + len(KEPT))
        assert spans.count() == 1


@pytest.mark.django_db(transaction=True)
@needs_postgresql
def test_two_spans_placed_on_one_text_at_once_leave_no_twin():
    restore_migration_rows()
    reviewer, editor = make_user("rita"), make_user("edith", role="editor")
    for trial in range(6):
        body = f"{OLD} Engineers inspected it in May, again. Trial {trial}."
        story = make_article(body, title="Bridge")
        first = make_span(story, "Engineers inspected it in May", reviewer)
        second = services.annotation_create(
            article=story,
            label=label("claim"),
            start=body.rindex("Engineers"),
            end=body.rindex("Engineers") + len("Engineers inspected it in May"),
            quote="Engineers inspected it in May",
            author=reviewer,
        )
        revise_article(article=story, title="Bridge", body=f"{NEW} Trial {trial}.", actor=editor)
        pending = list(Annotation.all_objects.filter(pk__in=[first.pk, second.pk]))
        assert all(span.needs_attention for span in pending)
        start = NEW.index(KEPT)
        outcomes = race(
            *(
                lambda p=p, s=start: place_span(
                    annotation=p, start=s, end=s + len(KEPT), actor=reviewer
                )
                for p in pending
            )
        )
        assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
        error = next(o[1] for o in outcomes if o[0] == "error")
        assert isinstance(error, Conflict) and "twin" in str(error), outcomes
        assert Annotation.objects.filter(article=story, start=start).count() == 1
        assert Annotation.all_objects.filter(article=story, needs_attention=True).count() == 1
