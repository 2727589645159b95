"""Adjudication into the gold layer: the service's flows, its refusals and its history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from annotations.conflicts import Conflict, Gone, StaleEdit
from annotations.models import Adjudication, Annotation, Article, HistoryEvent
from annotations.offsets import SpanError
from annotations.services import adjudication as service
from tests.adjudication_factories import make_collection, span_on
from tests.factories import label, make_article, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import race

BODY = "Kirby said the talks are advancing. Moscow denied it on Thursday. Prices rose."


@pytest.fixture
def desk(db):
    rita, oscar = make_user("rita"), make_user("oscar")
    edith = make_user("edith", role="editor")
    article = make_article(BODY)
    make_collection(article, reviewers=[rita, oscar], editors=[edith])
    return article, rita, oscar, edith


def gold_of(article):
    return list(service.gold_spans(article.pk).order_by("start", "pk"))


def sources_of(gold):
    return sorted(gold.adjudicated_from.values_list("pk", flat=True))


# --- pure rules -----------------------------------------------------------------------


def test_agreed_keys_need_every_reviewer_and_at_least_two():
    class S:
        def __init__(self, author_id, start, end, label_id):
            self.author_id, self.start, self.end, self.label_id = author_id, start, end, label_id

    both = [S(1, 0, 5, 1), S(2, 0, 5, 1), S(1, 6, 9, 1), S(2, 6, 10, 1)]
    assert service.agreed_keys(both) == {service.SpanKey(0, 5, 1)}
    assert service.agreed_keys([S(1, 0, 5, 1)]) == set()
    assert service.agreed_keys([S(1, 0, 5, 1), S(2, 0, 5, 2)]) == set()


def test_latest_decision_wins():
    assert service.latest_decisions([(1, "rejected"), (2, "accepted"), (1, "open")]) == {
        1: "open",
        2: "accepted",
    }


# --- start: agreements pre-accepted ---------------------------------------------------


def test_start_pre_accepts_exact_agreements_from_all_reviewers(desk):
    article, rita, oscar, edith = desk
    a1 = span_on(article, "the talks are advancing", rita)
    b1 = span_on(article, "the talks are advancing", oscar)
    span_on(article, "Moscow denied it", rita, label_slug="denial")
    span_on(article, "Moscow denied it on Thursday", oscar, label_slug="denial")

    adjudication = service.adjudication_start(article=article, actor=edith)

    assert adjudication.adjudicator == edith
    assert adjudication.collection.slug == "desk"
    (gold,) = gold_of(article)
    assert (gold.start, gold.end, gold.label.slug) == (a1.start, a1.end, "claim")
    assert gold.layer == "gold" and gold.author == edith
    assert gold.quote == "the talks are advancing"
    assert sources_of(gold) == sorted([a1.pk, b1.pk])
    # Starting again is the same adjudication, and adds nothing.
    assert service.adjudication_start(article=article, actor=edith).pk == adjudication.pk
    assert len(gold_of(article)) == 1


def test_start_writes_history_with_the_adjudication_origin(desk):
    article, rita, oscar, edith = desk
    span_on(article, "Prices rose", rita)
    span_on(article, "Prices rose", oscar)
    service.adjudication_start(article=article, actor=edith)
    events = HistoryEvent.objects.filter(article=article)
    assert events.exists()
    assert set(events.values_list("origin", flat=True)) == {"adjudication"}
    created = events.get(kind="annotation", action="create")
    assert created.after["layer"] == "gold"
    assert len(created.after["adjudicated_from"]) == 2


def test_a_reviewer_cannot_adjudicate_and_nothing_is_stored(desk):
    article, rita, oscar, _ = desk
    span_on(article, "Prices rose", rita)
    span_on(article, "Prices rose", oscar)
    with pytest.raises(PermissionDenied, match="Only an editor of this article's collection"):
        service.adjudication_start(article=article, actor=rita)
    assert not Adjudication.objects.exists()
    assert not Annotation.objects.filter(layer="gold").exists()
    assert not HistoryEvent.objects.exists()


def test_a_reviewer_cannot_accept_into_a_started_adjudication(desk):
    article, rita, oscar, edith = desk
    span = span_on(article, "Prices rose", rita)
    service.adjudication_start(article=article, actor=edith)
    before = HistoryEvent.objects.count()
    with pytest.raises(PermissionDenied):
        service.accept_span(article=article, span_id=span.pk, actor=oscar)
    assert gold_of(article) == []
    assert HistoryEvent.objects.count() == before


def test_writes_need_a_started_adjudication(desk):
    article, rita, _, edith = desk
    span = span_on(article, "Prices rose", rita)
    with pytest.raises(Conflict, match="Start the adjudication"):
        service.accept_span(article=article, span_id=span.pk, actor=edith)


# --- accept, dedupe, reject -----------------------------------------------------------


def test_accept_copies_the_span_and_identical_twins_make_one_gold_span(desk):
    article, rita, oscar, edith = desk
    third = make_user("tess")
    a = span_on(article, "Moscow denied it", rita, label_slug="denial", speaker="Moscow")
    b = span_on(article, "Moscow denied it", oscar, label_slug="denial")
    span_on(article, "Prices rose", third)  # a third reviewer: no exact agreement
    service.adjudication_start(article=article, actor=edith)
    assert gold_of(article) == []

    gold = service.accept_span(article=article, span_id=b.pk, actor=edith)
    again = service.accept_span(article=article, span_id=a.pk, actor=edith)

    assert again.pk == gold.pk
    (stored,) = gold_of(article)
    assert sources_of(stored) == sorted([a.pk, b.pk])
    assert (stored.start, stored.end, stored.label.slug) == (a.start, a.end, "denial")
    assert stored.prefix == a.prefix and stored.suffix == a.suffix
    # Copied from the lowest-id source (rita's), who named the speaker.
    assert stored.speaker.name == "Moscow"


def test_accept_refuses_a_gold_span_and_a_span_of_another_article(desk):
    article, rita, oscar, edith = desk
    a = span_on(article, "Prices rose", rita)
    b = span_on(article, "Prices rose", oscar)
    service.adjudication_start(article=article, actor=edith)
    (gold,) = gold_of(article)
    with pytest.raises(ValidationError, match="Only reviewers' spans"):
        service.accept_span(article=article, span_id=gold.pk, actor=edith)
    elsewhere = make_article("Another text entirely.")
    other = span_on(elsewhere, "Another text", rita)
    with pytest.raises(Gone):
        service.accept_span(article=article, span_id=other.pk, actor=edith)
    assert sources_of(gold) == sorted([a.pk, b.pk])


def test_reject_marks_the_span_and_takes_it_out_of_gold(desk):
    article, rita, oscar, edith = desk
    a = span_on(article, "Prices rose", rita)
    b = span_on(article, "Prices rose", oscar)
    c = span_on(article, "Kirby said", rita)
    service.adjudication_start(article=article, actor=edith)

    service.reject_span(article=article, span_id=c.pk, actor=edith)
    assert service.rejected_span_ids(article.pk) == {c.pk}

    service.reject_span(article=article, span_id=a.pk, actor=edith)
    (gold,) = gold_of(article)
    assert sources_of(gold) == [b.pk]
    service.reject_span(article=article, span_id=b.pk, actor=edith)
    assert gold_of(article) == []
    assert service.rejected_span_ids(article.pk) == {a.pk, b.pk, c.pk}

    # Accepting a rejected span overrides the rejection.
    service.accept_span(article=article, span_id=c.pk, actor=edith)
    assert service.rejected_span_ids(article.pk) == {a.pk, b.pk}
    deletions = HistoryEvent.objects.filter(
        kind="annotation", action="delete", origin="adjudication"
    )
    assert deletions.count() == 1


# --- merge, edit, remove --------------------------------------------------------------


def test_merge_takes_the_union_of_bounds_and_one_label(desk):
    article, rita, oscar, edith = desk
    a = span_on(article, "Moscow denied it", rita, label_slug="denial")
    b = span_on(article, "denied it on Thursday", oscar, label_slug="denial")
    service.adjudication_start(article=article, actor=edith)

    gold = service.merge_spans(article=article, span_ids=[a.pk, b.pk], actor=edith)

    assert gold.quote == "Moscow denied it on Thursday"
    assert gold.label.slug == "denial"
    assert sources_of(gold) == sorted([a.pk, b.pk])


def test_merge_of_different_labels_needs_a_chosen_label_and_chosen_bounds_are_checked(desk):
    article, rita, oscar, edith = desk
    a = span_on(article, "Moscow denied it", rita, label_slug="denial")
    b = span_on(article, "Moscow denied it", oscar, label_slug="claim")
    service.adjudication_start(article=article, actor=edith)
    with pytest.raises(ValidationError, match="different labels"):
        service.merge_spans(article=article, span_ids=[a.pk, b.pk], actor=edith)
    with pytest.raises(SpanError, match="ends after the text"):
        service.merge_spans(
            article=article, span_ids=[a.pk, b.pk], actor=edith, label=label("denial"), end=9999
        )
    assert gold_of(article) == []

    gold = service.merge_spans(
        article=article, span_ids=[a.pk, b.pk], actor=edith, label=label("denial"), end=a.end - 3
    )
    assert gold.quote == "Moscow denied"
    assert gold.label.slug == "denial"


def test_merge_moves_spans_out_of_the_gold_spans_they_were_in(desk):
    article, rita, oscar, edith = desk
    a = span_on(article, "Moscow denied it", rita, label_slug="denial")
    b = span_on(article, "Moscow denied it", oscar, label_slug="denial")
    c = span_on(article, "on Thursday", oscar, label_slug="denial")
    service.adjudication_start(article=article, actor=edith)
    assert len(gold_of(article)) == 1
    merged = service.merge_spans(article=article, span_ids=[a.pk, b.pk, c.pk], actor=edith)
    (only,) = gold_of(article)
    assert only.pk == merged.pk and only.quote == "Moscow denied it on Thursday"


def test_edit_gold_span_label_and_bounds_with_checks(desk):
    article, rita, oscar, edith = desk
    span_on(article, "Moscow denied it", rita, label_slug="denial")
    span_on(article, "Moscow denied it", oscar, label_slug="denial")
    span_on(article, "Prices rose", rita)
    span_on(article, "Prices rose", oscar)
    service.adjudication_start(article=article, actor=edith)
    denial, prices = gold_of(article)

    edited = service.edit_gold_span(
        article=article, gold_id=denial.pk, actor=edith, end=denial.end + len(" on Thursday")
    )
    assert edited.quote == "Moscow denied it on Thursday"
    assert edited.version == denial.version + 1
    with pytest.raises(SpanError, match="white space"):
        service.edit_gold_span(
            article=article,
            gold_id=denial.pk,
            actor=edith,
            start=edited.end + 1,
            end=edited.end + 2,
        )
    with pytest.raises(ValidationError, match="already has exactly this text"):
        service.edit_gold_span(
            article=article,
            gold_id=denial.pk,
            actor=edith,
            start=prices.start,
            end=prices.end,
            label=label("claim"),
        )
    relabelled = service.edit_gold_span(
        article=article, gold_id=denial.pk, actor=edith, label=label("claim")
    )
    assert relabelled.label.slug == "claim"
    update = HistoryEvent.objects.filter(object_id=denial.pk, action="update").order_by("id")
    assert update.first().before["end"] == denial.end
    assert set(update.values_list("origin", flat=True)) == {"adjudication"}


def _agreed_denial(desk):
    """The gold span both reviewers agreed on: "Moscow denied it", a denial, version 1."""
    article, rita, oscar, edith = desk
    span_on(article, "Moscow denied it", rita, label_slug="denial")
    span_on(article, "Moscow denied it", oscar, label_slug="denial")
    service.adjudication_start(article=article, actor=edith)
    (gold,) = gold_of(article)
    return gold


def test_a_stale_gold_edit_of_the_same_field_is_refused_and_stores_nothing(desk):
    article, *_, edith = desk
    eric = make_user("eric", role="editor")
    gold = _agreed_denial(desk)
    seen = gold.version
    longer = gold.end + len(" on Thursday")
    service.edit_gold_span(
        article=article, gold_id=gold.pk, actor=edith, expected_version=seen, end=longer
    )
    events = HistoryEvent.objects.count()

    # Eric's form still shows version `seen`: his other end clashes with Edith's.
    with pytest.raises(StaleEdit) as raised:
        service.edit_gold_span(
            article=article,
            gold_id=gold.pk,
            actor=eric,
            expected_version=seen,
            label=label("denial"),
            start=gold.start,
            end=gold.end - len(" it"),
        )
    assert raised.value.fields == ("bounds",)
    assert raised.value.current["bounds"] == (gold.start, longer)
    assert raised.value.current["version"] == seen + 1
    assert raised.value.changed_by == "edith"
    stored = Annotation.objects.get(pk=gold.pk)
    assert (stored.start, stored.end, stored.version) == (gold.start, longer, seen + 1)
    assert HistoryEvent.objects.count() == events

    # Saved again from the version he was shown, his bounds apply, on purpose.
    again = service.edit_gold_span(
        article=article,
        gold_id=gold.pk,
        actor=eric,
        expected_version=raised.value.current["version"],
        label=label("denial"),
        start=gold.start,
        end=gold.end - len(" it"),
    )
    assert again.quote == "Moscow denied"


def test_a_stale_relabel_clashes_with_a_relabel(desk):
    article, *_, edith = desk
    eric = make_user("eric", role="editor")
    gold = _agreed_denial(desk)
    service.edit_gold_span(
        article=article, gold_id=gold.pk, actor=edith, expected_version=1, label=label("claim")
    )
    with pytest.raises(StaleEdit) as raised:
        service.edit_gold_span(
            article=article,
            gold_id=gold.pk,
            actor=eric,
            expected_version=1,
            label=label("unverified-allegation"),
            start=gold.start,
            end=gold.end,
        )
    assert raised.value.fields == ("label_id",)
    assert Annotation.objects.get(pk=gold.pk).label.slug == "claim"


def test_stale_gold_edits_of_different_fields_both_stay(desk):
    """The tester's case: one relabels, the other (from the page as it was, which posts
    the old label too) moves the end: both changes are kept, neither is lost."""
    article, *_, edith = desk
    eric = make_user("eric", role="editor")
    gold = _agreed_denial(desk)
    service.edit_gold_span(
        article=article,
        gold_id=gold.pk,
        actor=edith,
        expected_version=1,
        label=label("claim"),
        start=gold.start,
        end=gold.end,
    )
    merged = service.edit_gold_span(
        article=article,
        gold_id=gold.pk,
        actor=eric,
        expected_version=1,
        label=label("denial"),
        start=gold.start,
        end=gold.end + len(" on Thursday"),
    )
    assert (merged.label.slug, merged.quote) == ("claim", "Moscow denied it on Thursday")
    assert merged.version == 3


def test_a_gold_span_moved_on_by_an_accept_is_not_a_conflict(desk):
    """Accepting a twin adds a source and bumps the version, but changes neither the label
    nor the bounds: an edit from the older version applies."""
    article, rita, oscar, edith = desk
    a = span_on(article, "Prices rose", rita)
    service.adjudication_start(article=article, actor=edith)
    service.accept_span(article=article, span_id=a.pk, actor=edith)
    (gold,) = gold_of(article)
    b = span_on(article, "Prices rose", oscar)
    service.accept_span(article=article, span_id=b.pk, actor=edith)
    assert Annotation.objects.get(pk=gold.pk).version == gold.version + 1
    edited = service.edit_gold_span(
        article=article,
        gold_id=gold.pk,
        actor=edith,
        expected_version=gold.version,
        label=label("unverified-allegation"),
        start=gold.start,
        end=gold.end,
    )
    assert edited.label.slug == "unverified-allegation"


def test_remove_gold_span_leaves_its_sources_open(desk):
    article, rita, oscar, edith = desk
    a = span_on(article, "Prices rose", rita)
    span_on(article, "Prices rose", oscar)
    service.adjudication_start(article=article, actor=edith)
    (gold,) = gold_of(article)
    service.reject_span(article=article, span_id=a.pk, actor=edith)
    service.accept_span(article=article, span_id=a.pk, actor=edith)
    service.remove_gold_span(article=article, gold_id=gold.pk, actor=edith)
    assert gold_of(article) == []
    assert service.rejected_span_ids(article.pk) == set()
    with pytest.raises(Gone):
        service.remove_gold_span(article=article, gold_id=gold.pk, actor=edith)


# --- finish and reopen ----------------------------------------------------------------


def test_finish_sets_the_status_and_locks_the_gold_layer_until_reopened(desk):
    article, rita, _, edith = desk
    a = span_on(article, "Prices rose", rita)
    service.adjudication_start(article=article, actor=edith)

    adjudication = service.finish_adjudication(article=article, actor=edith)

    assert adjudication.finished_at is not None
    article.refresh_from_db()
    assert article.status == Article.Status.ADJUDICATED
    with pytest.raises(Conflict, match="finished"):
        service.accept_span(article=article, span_id=a.pk, actor=edith)
    assert gold_of(article) == []

    service.reopen_adjudication(article=article, actor=edith)
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEWED
    assert Adjudication.objects.get(article=article).finished_at is None
    service.accept_span(article=article, span_id=a.pk, actor=edith)
    assert len(gold_of(article)) == 1
    finished = HistoryEvent.objects.filter(kind="article", after__event="finished").get()
    assert finished.origin == "adjudication" and finished.after["status"] == "adjudicated"


def test_a_reviewer_cannot_finish(desk):
    article, rita, _, edith = desk
    service.adjudication_start(article=article, actor=edith)
    with pytest.raises(PermissionDenied):
        service.finish_adjudication(article=article, actor=rita)
    article.refresh_from_db()
    assert article.status != Article.Status.ADJUDICATED
    assert Adjudication.objects.get(article=article).finished_at is None


# --- the race -------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_editors_accepting_the_same_span_at_once_make_one_gold_span():
    restore_migration_rows()
    rita, oscar = make_user("rita"), make_user("oscar")
    edith, eric = make_user("edith", role="editor"), make_user("eric", role="editor")
    for trial in range(6):
        article = make_article(f"{BODY} Trial {trial}.")
        # Started before the spans exist, so nothing is pre-accepted.
        service.adjudication_start(article=article, actor=edith)
        a = span_on(article, "Prices rose", rita)
        b = span_on(article, "Prices rose", oscar)
        second = a if trial % 2 == 0 else b  # the same span, or its twin

        def accept(span, actor, article=article):
            return lambda: service.accept_span(article=article, span_id=span.pk, actor=actor).pk

        outcomes = race(accept(a, edith), accept(second, eric))
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], (trial, outcomes)
        (gold,) = gold_of(article)
        assert {value for _, value in outcomes} == {gold.pk}
        assert sources_of(gold) == sorted([a.pk, b.pk])
        creations = HistoryEvent.objects.filter(object_id=gold.pk, action="create")
        assert creations.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_editors_editing_the_same_gold_span_at_once_lose_nothing():
    """Both from the same version: two relabels clash (one saved, the other a StaleEdit,
    nothing of it stored); a relabel and a new end both stay."""
    restore_migration_rows()
    rita, oscar = make_user("rita"), make_user("oscar")
    edith, eric = make_user("edith", role="editor"), make_user("eric", role="editor")
    for trial in range(6):
        article = make_article(f"{BODY} Trial {trial}.")
        make_collection(article, reviewers=[rita, oscar], editors=[edith, eric], slug=f"d{trial}")
        span_on(article, "Moscow denied it", rita, label_slug="denial")
        span_on(article, "Moscow denied it", oscar, label_slug="denial")
        service.adjudication_start(article=article, actor=edith)
        (gold,) = gold_of(article)
        longer = gold.end + len(" on Thursday")

        def edit(actor, slug, end, version, article=article, gold=gold):
            return lambda: (
                service.edit_gold_span(
                    article=article,
                    gold_id=gold.pk,
                    actor=actor,
                    expected_version=version,
                    label=label(slug),
                    start=gold.start,
                    end=end,
                ).label.slug
            )

        seen = gold.version
        outcomes = race(
            edit(edith, "claim", gold.end, seen),
            edit(eric, "unverified-allegation", gold.end, seen),
        )
        assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], (trial, outcomes)
        (saved,) = [value for kind, value in outcomes if kind == "ok"]
        (refused,) = [value for kind, value in outcomes if kind == "error"]
        assert isinstance(refused, StaleEdit), refused
        stored = Annotation.objects.get(pk=gold.pk)
        assert (stored.label.slug, stored.version) == (saved, seen + 1)
        assert HistoryEvent.objects.filter(object_id=gold.pk, action="update").count() == 1

        # Both from the version now stored: one relabels, the other (posting the label
        # it was shown) moves the end. Whichever goes second merges: both stay.
        seen = stored.version
        outcomes = race(edit(edith, "denial", gold.end, seen), edit(eric, saved, longer, seen))
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], (trial, outcomes)
        stored = Annotation.objects.get(pk=gold.pk)
        assert (stored.label.slug, stored.end, stored.version) == ("denial", longer, seen + 2)
