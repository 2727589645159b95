"""No exact twins (services/twins.py): a reviewer marks a stretch of text with a label once,
whether the span is made, relabelled or restored; the refusal names the first span and
nothing is stored. On PostgreSQL, the writers race on real threads."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from annotations import services
from annotations.conflicts import Conflict
from annotations.models import Annotation, HistoryEvent
from tests.factories import label, make_span
from tests.migration_rows import restore_migration_rows
from tests.races import race

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = "Moscow denied it"


def create(client, article, text=TEXT, label_slug="claim"):
    start = article.body.index(text)
    data = {"label": label_slug, "start": start, "end": start + len(text), "quote": text}
    return client.post(reverse("annotation-create", args=[article.pk]), data, **HTMX)


def relabel(client, annotation, label_slug):
    data = {
        "edit-label": label(label_slug).pk,
        "edit-speaker": "",
        "edit-note": "",
        "edit-version": annotation.version,
    }
    return client.post(reverse("annotation-detail", args=[annotation.pk]), data, **HTMX)


def spans_on(article):
    return sorted(Annotation.objects.filter(article=article).values_list("label__slug", "start"))


@pytest.mark.django_db
def test_the_same_text_and_label_twice_is_refused_naming_the_first(reviewer_client, article):
    first = create(reviewer_client, article)
    assert first.status_code == 200
    stored = Annotation.objects.get(article=article)
    events = HistoryEvent.objects.count()

    again = create(reviewer_client, article)

    assert again.status_code in (400, 422)
    assert f"You already marked exactly this text as “Claim” (span #{stored.pk})" in (
        again.content.decode()
    )
    assert Annotation.objects.filter(article=article).count() == 1
    assert HistoryEvent.objects.count() == events


@pytest.mark.django_db
def test_relabelling_a_span_into_a_twin_is_refused_and_changes_nothing(
    reviewer_client, reviewer, article
):
    claim = make_span(article, TEXT, reviewer, label_slug="claim")
    denial = make_span(article, TEXT, reviewer, label_slug="denial")
    events = HistoryEvent.objects.count()

    response = relabel(reviewer_client, denial, "claim")

    assert response.status_code == 422
    page = response.content.decode()
    assert f"already marked “Claim” by the same reviewer (span #{claim.pk})" in page
    assert "the label was not changed" in page
    denial.refresh_from_db()
    assert denial.label.slug == "denial" and denial.version == 1
    assert HistoryEvent.objects.count() == events


@pytest.mark.django_db
def test_relabelling_to_a_label_no_twin_has_still_works(reviewer_client, reviewer, article):
    """The rule refuses twins only: a claim and a denial on one text may become a claim
    and an unverified allegation; another reviewer's claim is no twin of mine."""
    make_span(article, TEXT, reviewer, label_slug="claim")
    denial = make_span(article, TEXT, reviewer, label_slug="denial")

    assert relabel(reviewer_client, denial, "unverified-allegation").status_code == 200

    denial.refresh_from_db()
    assert denial.label.slug == "unverified-allegation"


@pytest.mark.django_db
def test_another_reviewers_span_on_the_same_text_is_no_twin(
    reviewer_client, other_reviewer, article
):
    make_span(article, TEXT, other_reviewer, label_slug="claim")
    assert create(reviewer_client, article).status_code == 200
    assert Annotation.objects.filter(article=article).count() == 2


@pytest.mark.django_db
def test_restoring_a_span_marked_again_since_is_a_409_and_restores_nothing(
    reviewer_client, reviewer, article
):
    """Delete, select the same text, press the same label, then Undo: the deleted span
    would come back as a twin of the new one; it stays deleted, and the message says why
    and what to do."""
    gone = make_span(article, TEXT, reviewer, label_slug="claim")
    deletion = services.annotation_delete(annotation=gone, actor=reviewer)
    again = make_span(article, TEXT, reviewer, label_slug="claim")
    events = HistoryEvent.objects.count()

    response = reviewer_client.post(reverse("annotation-restore", args=[deletion.pk]), **HTMX)

    assert response.status_code == 409
    page = response.content.decode()
    assert f"(span #{again.pk})" in page and "nothing was restored" in page
    assert not Annotation.objects.filter(pk=gone.pk).exists()
    assert spans_on(article) == [("claim", again.start)]
    assert HistoryEvent.objects.count() == events


@pytest.mark.django_db
def test_restoring_beside_a_span_of_another_label_works(reviewer_client, reviewer, article):
    gone = make_span(article, TEXT, reviewer, label_slug="claim")
    deletion = services.annotation_delete(annotation=gone, actor=reviewer)
    make_span(article, TEXT, reviewer, label_slug="denial")

    response = reviewer_client.post(reverse("annotation-restore", args=[deletion.pk]), **HTMX)

    assert response.status_code == 200
    assert Annotation.objects.filter(pk=gone.pk).exists()


# --- races on PostgreSQL ---------------------------------------------------------------

TRIALS = 6


def new_claim(article, author):
    """A reviewer marks TEXT as a claim, as the review page does."""
    start = article.body.index(TEXT)
    return services.annotation_create(
        article=article,
        label=label("claim"),
        start=start,
        end=start + len(TEXT),
        quote=TEXT,
        author=author,
    )


@pytest.fixture
def flushed_rows(transactional_db):
    """A flushed database has lost the labels and groups that migrations create."""
    restore_migration_rows()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent transactions"
)
def test_a_relabel_racing_a_new_span_of_that_label_leaves_no_twin(flushed_rows, reviewer, article):
    """One thread relabels a denial as a claim while another makes a claim on the same
    text: one of them is refused, and the article holds no twin."""
    for _trial in range(TRIALS):
        Annotation.objects.filter(article=article).delete()
        denial = make_span(article, TEXT, reviewer, label_slug="denial")
        outcomes = race(
            lambda d=denial: services.annotation_update(
                annotation=d, actor=reviewer, label=label("claim")
            ),
            lambda: new_claim(article, reviewer),
        )
        assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
        error = next(o[1] for o in outcomes if o[0] == "error")
        assert isinstance(error, ValidationError), outcomes
        claims = Annotation.objects.filter(article=article, label__slug="claim").count()
        assert claims == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent transactions"
)
def test_a_restore_racing_a_new_twin_leaves_one_span(flushed_rows, reviewer, article):
    for _trial in range(TRIALS):
        Annotation.objects.filter(article=article).delete()
        gone = make_span(article, TEXT, reviewer, label_slug="claim")
        deletion = services.annotation_delete(annotation=gone, actor=reviewer)
        outcomes = race(
            lambda e=deletion: services.annotation_restore(event=e, actor=reviewer),
            lambda: new_claim(article, reviewer),
        )
        assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
        error = next(o[1] for o in outcomes if o[0] == "error")
        assert isinstance(error, Conflict | ValidationError), outcomes
        assert Annotation.objects.filter(article=article).count() == 1
