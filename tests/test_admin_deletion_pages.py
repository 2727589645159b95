"""Deletion pages of what spans protect (speakers, rating scales, labels, sources,
users): constant in queries whatever the number of spans, and they say in words what
stops the deletion (before: a query per protected span, 6,808 for a scale with 6,801
rated spans, 9,000 and more for 300 speakers)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotations.admin._common import _plural
from annotations.models import Annotation, Evidence, Label, Rating, RatingScale, Source, Speaker
from tests.desk_factories import make_collection
from tests.factories import label, make_article, make_user


def spans(article, author, count: int, **fields) -> list[Annotation]:
    """`count` one-character spans over the article's first characters, in one query."""
    return Annotation.objects.bulk_create(
        Annotation(
            article=article,
            label=fields.pop("label", None) or label(),
            start=i,
            end=i + 1,
            quote=article.body[i],
            author=author,
            **fields,
        )
        for i in range(count)
    )


@pytest.fixture
def long_article(db):
    return make_article("x" * 400, title="Long")


def _delete_page(client, model: str, pk: int):
    return client.get(reverse(f"admin:annotations_{model}_delete", args=[pk]))


def _bulk_delete_page(client, model: str, pks):
    return client.post(
        reverse(f"admin:annotations_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in pks]},
    )


def _protected(response) -> list[str]:
    assert response.status_code == 200
    return [str(item) for item in response.context["protected"]]


# --- rating scales ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 300])
def test_a_scale_in_use_has_a_delete_page_of_constant_queries(
    admin_client, admin_user, long_article, count, django_assert_num_queries
):
    """The delete page of the default scale: the same queries for 1 or 300 rated spans,
    and the refusal names the scale, how many spans and which verdicts."""
    scale = RatingScale.objects.get(is_default=True)
    true = Rating.objects.get(scale=scale, slug="true")
    false = Rating.objects.get(scale=scale, slug="false")
    spans(long_article, admin_user, count, verdict=true)
    spans(make_article("y" * 10), admin_user, 2, verdict=false)
    with django_assert_num_queries(5):
        response = _delete_page(admin_client, "ratingscale", scale.pk)
    assert _protected(response) == [
        f"“{scale.name}” gives the verdict of {_plural(count + 2, 'span')} (“True”: {count}, "
        "“False”: 2): a scale whose verdicts are in use cannot be deleted. Give those "
        "spans verdicts from another scale first."
    ]
    admin_client.post(
        reverse("admin:annotations_ratingscale_delete", args=[scale.pk]), {"post": "yes"}
    )
    assert RatingScale.objects.filter(pk=scale.pk).exists()


def test_a_scale_a_collection_uses_is_refused_naming_the_collection(admin_client, db):
    """A scale no span uses but a collection does: the refusal names the collection."""
    scale = RatingScale.objects.create(name="Spare")
    make_collection("Election desk", rating_scale=scale)
    assert _protected(_delete_page(admin_client, "ratingscale", scale.pk)) == [
        "“Spare” is the rating scale of 1 collection (“Election desk”): choose another "
        "scale for them first."
    ]


def test_an_unused_scale_still_lists_what_goes_with_it(admin_client, db):
    """Nothing protects it: Django's own page, its verdicts listed, and it deletes."""
    scale = RatingScale.objects.create(name="Spare")
    Rating.objects.create(scale=scale, name="Odd", slug="odd", value=1)
    response = _delete_page(admin_client, "ratingscale", scale.pk)
    assert response.context["protected"] == []
    assert "Odd" in response.content.decode()
    admin_client.post(
        reverse("admin:annotations_ratingscale_delete", args=[scale.pk]), {"post": "yes"}
    )
    assert not RatingScale.objects.filter(pk=scale.pk).exists()


# --- speakers -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 60])
def test_a_speaker_with_spans_has_a_delete_page_of_constant_queries(
    editor_client, editor, long_article, count, django_assert_num_queries
):
    """One speaker's delete page, as an editor: the same queries for 1 or 60 spans (58
    for 50 before), and the refusal says to merge instead."""
    kirby = Speaker.objects.create(name="Kirby")
    spans(long_article, editor, count, speaker=kirby)
    with django_assert_num_queries(6):
        response = _delete_page(editor_client, "speaker", kirby.pk)
    assert _protected(response) == [
        f"“Kirby” is the speaker of {_plural(count, 'span')}: a speaker with spans cannot "
        "be deleted. Merge it into the speaker those spans should have instead (select "
        "both on the speaker list, then “Merge selected speakers”)."
    ]


@pytest.mark.parametrize("count", [2, 300])
def test_deleting_selected_speakers_with_spans_is_refused_in_constant_queries(
    editor_client, editor, long_article, count, django_assert_num_queries
):
    """ "Delete selected speakers" over 2 or 300 speakers with a span each (and one
    without): the same queries (more than 9,000 for 300 before), each speaker with
    spans named, and confirming deletes none."""
    speakers = Speaker.objects.bulk_create(Speaker(name=f"Speaker {i:03}") for i in range(count))
    Annotation.objects.bulk_create(
        Annotation(
            article=long_article,
            label=label(),
            start=i,
            end=i + 1,
            quote="x",
            author=editor,
            speaker=speaker,
        )
        for i, speaker in enumerate(speakers)
    )
    idle = Speaker.objects.create(name="Nobody")
    pks = [s.pk for s in speakers] + [idle.pk]
    with django_assert_num_queries(8):
        response = _bulk_delete_page(editor_client, "speaker", pks)
    protected = _protected(response)
    assert len(protected) == count
    assert protected[0].startswith("“Speaker 000” is the speaker of 1 span: a speaker")
    response = editor_client.post(
        reverse("admin:annotations_speaker_changelist"),
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert Speaker.objects.count() == count + 1


def test_speakers_without_spans_are_deleted_from_the_same_page(editor_client, db):
    """Nothing protects them: Django's confirmation lists them, and they go."""
    pks = [Speaker.objects.create(name=n).pk for n in ("Ann", "Bob")]
    response = _bulk_delete_page(editor_client, "speaker", pks)
    assert _protected(response) == []
    editor_client.post(
        reverse("admin:annotations_speaker_changelist"),
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert not Speaker.objects.exists()


# --- labels, sources, users ---------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 200])
def test_a_label_with_spans_has_a_delete_page_of_constant_queries(
    admin_client, admin_user, long_article, count, django_assert_num_queries
):
    claim = label()
    spans(long_article, admin_user, count)
    with django_assert_num_queries(4):
        response = _delete_page(admin_client, "label", claim.pk)
    assert _protected(response) == [
        f"“Claim” is the label of {_plural(count, 'span')}: a label with spans cannot be "
        "deleted. Untick “Active” to stop offering it, or relabel those spans first."
    ]
    admin_client.post(reverse("admin:annotations_label_delete", args=[claim.pk]), {"post": "yes"})
    assert Label.objects.filter(pk=claim.pk).exists()


@pytest.mark.parametrize("count", [1, 100])
def test_a_cited_source_has_a_delete_page_of_constant_queries(
    admin_client, admin_user, long_article, count, django_assert_num_queries
):
    record = Source.objects.create(url="https://example.org/report", title="Report")
    Evidence.objects.bulk_create(
        Evidence(annotation=span, source=record) for span in spans(long_article, admin_user, count)
    )
    with django_assert_num_queries(4):
        response = _delete_page(admin_client, "source", record.pk)
    assert _protected(response) == [
        f"“Report” is cited by {_plural(count, 'span')}: remove those citations first (a "
        "source is kept for as long as a span cites it)."
    ]


@pytest.mark.parametrize("count", [1, 200])
def test_a_user_with_spans_has_a_delete_page_of_constant_queries(
    admin_client, long_article, count, django_assert_num_queries
):
    rita = make_user("rita")
    spans(long_article, rita, count)
    with django_assert_num_queries(5):
        response = admin_client.get(reverse("admin:auth_user_delete", args=[rita.pk]))
    assert _protected(response) == [
        f"“rita” made {_plural(count, 'span')}: a user with spans cannot be deleted. "
        "Untick “Active” to close the account instead."
    ]
    assert User.objects.filter(pk=rita.pk).exists()


def test_a_span_names_itself_without_a_query(admin_user, long_article, django_assert_num_queries):
    """str() of a span is what Django's deletion pages, log and messages print for each
    row: no query; the label is named when it came with the span."""
    span = spans(long_article, admin_user, 1)[0]
    fresh = Annotation.objects.get(pk=span.pk)
    with django_assert_num_queries(0):
        assert str(fresh) == f"Span #{span.pk}: x"
    joined = Annotation.objects.select_related("label").get(pk=span.pk)
    with django_assert_num_queries(0):
        assert str(joined) == "Claim: x"
