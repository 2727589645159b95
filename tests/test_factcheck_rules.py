"""The rules of the fact-check data, at the services and in the database's constraints:
verdicts, links between spans, speakers, sources stored once and cited by spans."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from annotations import services
from annotations.conflicts import Gone
from annotations.models import (
    Annotation,
    Evidence,
    HistoryEvent,
    Rating,
    RatingScale,
    Relation,
    Source,
    Speaker,
)
from tests.factories import make_article, make_span

pytestmark = pytest.mark.django_db

BODY = (
    "John Kirby said the talks are advancing. Moscow denied it on Thursday. "
    "Officials alleged sabotage."
)


def everything():
    """What a refused call must leave as it was."""
    return (
        list(Annotation.objects.order_by("pk").values()),
        list(Evidence.objects.order_by("pk").values()),
        list(Source.objects.order_by("pk").values()),
        list(Relation.objects.order_by("pk").values()),
        list(Speaker.objects.order_by("pk").values()),
        list(Rating.objects.order_by("pk").values()),
        HistoryEvent.objects.count(),
    )


@pytest.fixture
def page(db):
    return make_article(BODY)


@pytest.fixture
def claim(page, reviewer):
    return make_span(page, "the talks are advancing", reviewer)


@pytest.fixture
def denial(page, reviewer):
    return make_span(page, "Moscow denied it", reviewer, label_slug="denial")


def rating(slug: str) -> Rating:
    return Rating.objects.get(scale__is_default=True, slug=slug)


# --- verdicts ----------------------------------------------------------------------------


def test_the_default_scale_has_six_ordered_verdicts():
    scale = RatingScale.objects.get(is_default=True)
    assert [(r.slug, r.value) for r in scale.ratings.order_by("-value")] == [
        ("true", 5),
        ("mostly-true", 4),
        ("mixed", 3),
        ("mostly-false", 2),
        ("false", 1),
        ("unproven", 0),
    ]


def test_a_verdict_on_a_claim_records_who_and_when(claim, editor):
    saved = services.annotation_update(
        annotation=claim,
        actor=editor,
        verdict=rating("false"),
        verdict_explanation=" The talks had stalled. ",
    )
    saved.refresh_from_db()
    assert (saved.verdict.slug, saved.verdict_explanation) == ("false", "The talks had stalled.")
    assert saved.verdict_by == editor and saved.verdict_at is not None
    event = HistoryEvent.objects.filter(kind="annotation", action="update").get()
    assert (event.before["verdict_id"], event.after["verdict_id"]) == (None, rating("false").pk)
    assert event.after["verdict_explanation"] == "The talks had stalled."


def test_a_verdict_on_a_denial_is_refused(denial, reviewer):
    before = everything()
    with pytest.raises(ValidationError, match="only claims are rated"):
        services.annotation_update(annotation=denial, actor=reviewer, verdict=rating("true"))
    assert everything() == before


def test_relabelling_a_rated_claim_is_refused_until_the_verdict_goes(claim, reviewer):
    from tests.factories import label

    services.annotation_update(annotation=claim, actor=reviewer, verdict=rating("mixed"))
    before = everything()
    with pytest.raises(ValidationError, match="Remove the verdict first"):
        services.annotation_update(annotation=claim, actor=reviewer, label=label("denial"))
    assert everything() == before
    services.annotation_update(annotation=claim, actor=reviewer, verdict=None)
    saved = services.annotation_update(annotation=claim, actor=reviewer, label=label("denial"))
    assert (saved.label.slug, saved.verdict_id) == ("denial", None)


def test_two_verdicts_of_one_scale_cannot_share_an_ordinal():
    scale = RatingScale.objects.get(is_default=True)
    duplicate = Rating(scale=scale, name="Half true", slug="half-true", value=3)
    with pytest.raises(ValidationError, match="same ordinal value"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    assert not Rating.objects.filter(slug="half-true").exists()


def test_only_one_scale_is_the_default():
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingScale.objects.create(name="PolitiFact", is_default=True)
    assert RatingScale.objects.filter(is_default=True).count() == 1


def test_a_rating_in_use_cannot_be_deleted(claim, reviewer):
    from django.db.models import ProtectedError

    services.annotation_update(annotation=claim, actor=reviewer, verdict=rating("false"))
    with pytest.raises(ProtectedError), transaction.atomic():
        rating("false").delete()
    assert Rating.objects.filter(slug="false").exists()


# --- relations ---------------------------------------------------------------------------


def test_a_denial_points_at_the_claim_it_denies(claim, denial, reviewer):
    relation = services.relation_create(
        from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer
    )
    assert list(claim.relations_in.all()) == [relation]
    assert list(denial.relations_out.all()) == [relation]
    event = HistoryEvent.objects.get(kind="relation", action="create")
    assert event.after == {**event.after, "from_span_id": denial.pk, "to_span_id": claim.pk}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("itself", "cannot answer itself"),
        ("other article", "same article"),
        ("missing", "deleted in the meantime"),
        ("not a number", "Choose the span"),
    ],
)
def test_bad_link_targets_are_refused(denial, reviewer, target, message):
    other = make_span(make_article("Another text entirely."), "Another text", reviewer)
    to_span_id = {
        "itself": denial.pk,
        "other article": other.pk,
        "missing": 10**9,
        "not a number": "x",
    }[target]
    before = everything()
    with pytest.raises((ValidationError, Gone), match=message):
        services.relation_create(
            from_span=denial, to_span_id=to_span_id, type="denies", actor=reviewer
        )
    assert everything() == before


def test_a_pair_is_linked_once_and_the_type_must_be_known(claim, denial, reviewer):
    services.relation_create(from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer)
    before = everything()
    with pytest.raises(ValidationError, match="already linked"):
        services.relation_create(
            from_span=denial, to_span_id=claim.pk, type="responds_to", actor=reviewer
        )
    with pytest.raises(ValidationError, match="not a kind of link"):
        services.relation_create(
            from_span=claim, to_span_id=denial.pk, type="refutes!", actor=reviewer
        )
    assert everything() == before


def test_the_database_refuses_a_self_link_and_a_second_link_of_a_pair(claim, denial):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(from_span=claim, to_span=claim)
    Relation.objects.create(from_span=denial, to_span=claim)
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(from_span=denial, to_span=claim, type="denies")


def test_another_reviewer_cannot_link_my_span(claim, denial, other_reviewer):
    before = everything()
    with pytest.raises(PermissionDenied):
        services.relation_create(
            from_span=denial, to_span_id=claim.pk, type="denies", actor=other_reviewer
        )
    assert everything() == before


def test_deleting_a_span_takes_its_links_and_restoring_it_brings_them_back(claim, denial, reviewer):
    services.relation_create(from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer)
    deletion = services.annotation_delete(annotation=claim, actor=reviewer)
    assert not Relation.objects.exists()
    assert deletion.before["relations"][0]["type"] == "denies"
    services.annotation_restore(event=deletion, actor=reviewer)
    relation = Relation.objects.get()
    assert (relation.from_span_id, relation.to_span_id, relation.type) == (
        denial.pk,
        claim.pk,
        "denies",
    )


def test_a_link_whose_other_span_is_gone_is_not_restored(claim, denial, reviewer):
    services.relation_create(from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer)
    deletion = services.annotation_delete(annotation=claim, actor=reviewer)
    services.annotation_delete(annotation=denial, actor=reviewer)
    restored = services.annotation_restore(event=deletion, actor=reviewer)
    assert restored.pk == claim.pk and not Relation.objects.exists()


# --- speakers ----------------------------------------------------------------------------


def test_a_typed_name_is_one_speaker_whatever_its_case_and_spacing(claim, denial, reviewer):
    services.annotation_update(annotation=claim, actor=reviewer, speaker="John Kirby")
    services.annotation_update(annotation=denial, actor=reviewer, speaker="  john   KIRBY ")
    assert Speaker.objects.count() == 1
    assert {a.speaker.name for a in Annotation.objects.all()} == {"John Kirby"}
    assert HistoryEvent.objects.filter(kind="speaker", action="create").count() == 1


def test_an_empty_name_clears_the_speaker(claim, reviewer):
    services.annotation_update(annotation=claim, actor=reviewer, speaker="John Kirby")
    saved = services.annotation_update(annotation=claim, actor=reviewer, speaker="")
    assert saved.speaker_id is None
    assert Speaker.objects.filter(name="John Kirby").exists()  # others may use it


def test_a_10000_character_speaker_name_is_refused(claim, reviewer):
    before = everything()
    with pytest.raises(ValidationError, match="the limit is 300"):
        services.annotation_update(annotation=claim, actor=reviewer, speaker="K" * 10_000)
    assert everything() == before


def test_the_database_refuses_a_second_speaker_of_one_name():
    Speaker.objects.create(name="John Kirby")
    with pytest.raises(IntegrityError), transaction.atomic():
        Speaker.objects.create(name="JOHN KIRBY")


def test_merging_moves_every_span_and_is_in_their_history(claim, denial, reviewer, editor):
    services.annotation_update(annotation=claim, actor=reviewer, speaker="John Kirby")
    services.annotation_update(annotation=denial, actor=reviewer, speaker="J. Kirby")
    kept, duplicate = Speaker.objects.get(name="John Kirby"), Speaker.objects.get(name="J. Kirby")
    moved = services.speaker_merge(duplicate=duplicate, into=kept, actor=editor)
    assert moved == 1
    assert set(Annotation.objects.values_list("speaker_id", flat=True)) == {kept.pk}
    assert not Speaker.objects.filter(pk=duplicate.pk).exists()
    change = HistoryEvent.objects.filter(kind="annotation", object_id=denial.pk).latest("id")
    assert (change.before["speaker"], change.after["speaker"]) == ("J. Kirby", "John Kirby")
    merge = HistoryEvent.objects.get(kind="speaker", action="merge")
    assert (merge.before["name"], merge.after["name"]) == ("J. Kirby", "John Kirby")


def test_merging_a_speaker_into_itself_is_refused(editor):
    kirby = Speaker.objects.create(name="John Kirby")
    before = everything()
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        services.speaker_merge(duplicate=kirby, into=kirby, actor=editor)
    assert everything() == before


def test_a_reviewer_cannot_merge_speakers(reviewer):
    a, b = Speaker.objects.create(name="A"), Speaker.objects.create(name="B")
    with pytest.raises(PermissionDenied):
        services.speaker_merge(duplicate=a, into=b, actor=reviewer)
    assert Speaker.objects.count() == 2


def test_a_restored_span_finds_its_speaker_by_name_after_a_merge(claim, reviewer, editor):
    services.annotation_update(annotation=claim, actor=reviewer, speaker="J. Kirby")
    deletion = services.annotation_delete(annotation=claim, actor=reviewer)
    kept = Speaker.objects.create(name="John Kirby")
    duplicate = Speaker.objects.get(name="J. Kirby")
    services.speaker_merge(duplicate=duplicate, into=kept, actor=editor)
    restored = services.annotation_restore(event=deletion, actor=reviewer)
    # The row it named was merged away: the name is made again rather than lost.
    assert restored.speaker.name == "J. Kirby"


# --- sources -----------------------------------------------------------------------------


def test_one_url_is_one_record_cited_by_many_spans(claim, denial, reviewer):
    services.source_create(annotation=claim, actor=reviewer, url="https://example.org/r")
    services.source_create(
        annotation=denial, actor=reviewer, url="HTTPS://EXAMPLE.org/r?utm_source=x"
    )
    record = Source.objects.get()
    assert record.url == "https://example.org/r"
    assert record.evidence.count() == 2


def test_www_is_completed_to_https(claim, reviewer):
    link = services.source_create(annotation=claim, actor=reviewer, url="www.example.org/x")
    assert link.source.url == "https://www.example.org/x"


def test_a_url_is_cited_once_per_span(claim, reviewer):
    services.source_create(annotation=claim, actor=reviewer, url="https://example.org/r")
    before = everything()
    with pytest.raises(ValidationError, match=r"already cites https://example\.org/r"):
        services.source_create(annotation=claim, actor=reviewer, url="https://example.org/r/")
    assert everything() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(annotation=claim, source=Source.objects.get())


def test_a_citation_keeps_its_own_stance_and_passage(claim, denial, reviewer):
    url = "https://example.org/r"
    services.source_create(annotation=claim, actor=reviewer, url=url, stance="refutes")
    services.source_create(
        annotation=denial, actor=reviewer, url=url, stance="supports", quoted_passage="yes"
    )
    assert sorted(Evidence.objects.values_list("stance", "quoted_passage")) == [
        ("refutes", ""),
        ("supports", "yes"),
    ]


def test_citing_a_known_url_never_overwrites_its_record(claim, denial, reviewer, other_reviewer):
    url = "https://example.org/r"
    services.source_create(annotation=claim, actor=reviewer, url=url, title="Ministry report")
    other = make_span(claim.article, "Officials alleged sabotage", other_reviewer)
    services.source_create(annotation=other, actor=other_reviewer, url=url, title="Something")
    assert Source.objects.get().title == "Ministry report"


def test_a_shared_record_is_edited_by_who_added_it_or_an_editor(
    claim, reviewer, other_reviewer, editor
):
    link = services.source_create(annotation=claim, actor=reviewer, url="https://e.org/r")
    record = link.source
    before = everything()
    with pytest.raises(PermissionDenied, match="shared"):
        services.source_record_update(record=record, actor=other_reviewer, title="Hijacked")
    assert everything() == before
    services.source_record_update(record=record, actor=reviewer, title="Mine")
    services.source_record_update(record=record, actor=editor, publisher="Ministry")
    record.refresh_from_db()
    assert (record.title, record.publisher, record.version) == ("Mine", "Ministry", 3)
    assert HistoryEvent.objects.filter(kind="source_record", action="update").count() == 2


def test_a_new_url_on_a_citation_cites_another_record(claim, denial, reviewer):
    link = services.source_create(annotation=claim, actor=reviewer, url="https://e.org/a")
    services.source_create(annotation=denial, actor=reviewer, url="https://e.org/a")
    moved = services.source_update(source=link, actor=reviewer, url="https://e.org/b")
    assert moved.source.url == "https://e.org/b"
    # The other span still cites the first record.
    assert Evidence.objects.filter(source__url="https://e.org/a").count() == 1


def test_an_editor_corrects_a_speaker_and_it_is_recorded(editor):
    kirby = Speaker.objects.create(name="John Kirby")
    services.speaker_update(speaker=kirby, actor=editor, role="NSC spokesman")
    event = HistoryEvent.objects.get(kind="speaker", action="update")
    assert (event.before["role"], event.after["role"]) == ("", "NSC spokesman")


def test_renaming_a_speaker_to_another_speakers_name_is_refused(editor):
    Speaker.objects.create(name="John Kirby")
    duplicate = Speaker.objects.create(name="J. Kirby")
    before = everything()
    with pytest.raises(ValidationError, match="merge the two instead"):
        services.speaker_update(speaker=duplicate, actor=editor, name="john kirby")
    assert everything() == before


def test_a_deletion_recorded_before_the_new_model_restores(page, reviewer):
    """A snapshot from before migration 0008 (free-text speaker, URL and title on each
    source, two rows citing one URL) restores onto the new tables without losing any."""
    start = BODY.index("Moscow denied it")
    old = {
        "id": 4242,
        "article_id": page.pk,
        "label_id": Annotation._meta.get_field("label").related_model.objects.get(slug="denial").pk,
        "start": start,
        "end": start + len("Moscow denied it"),
        "quote": "Moscow denied it",
        "prefix": BODY[:start][-32:],
        "suffix": BODY[start + 16 :][:32],
        "speaker": "Maria Zakharova",
        "note": "old note",
        "author_id": reviewer.pk,
        "created_at": "2025-03-14T09:26:00+00:00",
        "version": 3,
        "sources": [
            {"id": 77, "url": "https://Example.org/a", "title": "A", "stance": "refutes"},
            {"id": 78, "url": "https://example.org/a", "title": "", "stance": "context"},
        ],
    }
    event = HistoryEvent.objects.create(
        kind="annotation",
        object_id=4242,
        annotation_id_ref=4242,
        article=page,
        action="delete",
        actor=reviewer,
        before=old,
    )
    restored = services.annotation_restore(event=event, actor=reviewer)
    assert (restored.pk, restored.speaker.name, restored.note) == (
        4242,
        "Maria Zakharova",
        "old note",
    )
    link = restored.sources.select_related("source").get()
    assert (link.pk, link.source.url, link.source.title, link.stance) == (
        77,
        "https://example.org/a",
        "A",
        "refutes",
    )


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://[", "not a web address we can read"),
        ("https://example.org:99999/", "The port 99999 is out of range (0–65535)."),
        ("https://[::1/x", "not a web address we can read"),
    ],
)
def test_a_url_urllib_cannot_read_is_a_clear_error(claim, reviewer, url, message):
    before = everything()
    with pytest.raises(ValidationError) as info:
        services.source_create(annotation=claim, actor=reviewer, url=url)
    assert message in info.value.message_dict["url"][0]
    assert everything() == before
