"""A span's verdict is one of its article's rating scale (permissions.rating_refusal): the
update service, "seen before" copying, the admin's span form and the importers all ask
the one rule; a span keeps the verdict it has when its desk changes scales."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from annotations import permissions, services
from annotations.models import (
    Annotation,
    Article,
    Collection,
    Evidence,
    HistoryEvent,
    Membership,
    Rating,
    RatingScale,
)
from tests.factories import make_article, make_source, make_span

HTMX = {"HTTP_HX_REQUEST": "true"}
CLAIM = "The new bridge over the river is completely safe for heavy trucks"
OFF_SCALE = (
    "The verdict “Four Pinocchios” is on the rating scale “Pinocchio”, but the article "
    "uses the rating scale “Default”; only that scale's verdicts can be given."
)


def default(slug: str) -> Rating:
    return Rating.objects.get(scale__is_default=True, slug=slug)


@pytest.fixture
def desk(db, reviewer):
    """The "Pinocchio desk": a collection with a scale of its own, the reviewer a member."""
    scale = RatingScale.objects.create(name="Pinocchio")
    four = Rating.objects.create(scale=scale, name="Four Pinocchios", slug="four", value=4)
    Rating.objects.create(scale=scale, name="Geppetto", slug="geppetto", value=5)
    collection = Collection.objects.create(
        name="Pinocchio desk", slug="pinocchio", rating_scale=scale
    )
    Membership.objects.create(collection=collection, user=reviewer)
    return collection, four


@pytest.fixture
def desk_match(desk, reviewer):
    """A claim in the desk rated “Four Pinocchios”, citing one source."""
    collection, four = desk
    article = make_article(f"Officials said: {CLAIM}. (desk)", title="Desk check")
    collection.articles.add(article)
    match = make_span(article, CLAIM, reviewer)
    Annotation.objects.filter(pk=match.pk).update(verdict=four)
    make_source(match, url="https://example.org/inspection", stance="refutes")
    match.refresh_from_db()
    return match


@pytest.fixture
def public_claim(reviewer):
    """The same claim on a public article (no collection: the default scale)."""
    article = make_article(f"Officials said: {CLAIM}. (public)", title="Public story")
    return make_span(article, CLAIM, reviewer)


def updates_of(span) -> int:
    return HistoryEvent.objects.filter(annotation_id_ref=span.pk, action="update").count()


# --- the rule ----------------------------------------------------------------------------------


def test_the_rule_offers_the_articles_scale_only(desk, desk_match, public_claim):
    _, four = desk
    public, in_desk = public_claim.article, desk_match.article
    assert permissions.rating_refusal(default("false"), article=public) is None
    assert permissions.rating_refusal(four, article=public) == OFF_SCALE
    assert permissions.rating_refusal(four, article=in_desk) is None
    assert "on the rating scale “Default”, but the article uses the rating scale “Pinocchio”" in (
        permissions.rating_refusal(default("false"), article=in_desk)
    )
    # The verdict a span has is never refused, whatever its scale.
    assert permissions.rating_refusal(four, article=public, current_id=four.pk) is None
    # The picker offers what the rule allows.
    assert set(permissions.article_ratings(public)) == set(
        Rating.objects.filter(scale__is_default=True)
    )


# --- the service -------------------------------------------------------------------------------


def test_the_service_refuses_a_verdict_of_another_scale_and_stores_nothing(
    desk, public_claim, reviewer
):
    _, four = desk
    with pytest.raises(ValidationError) as refused:
        services.annotation_update(annotation=public_claim, actor=reviewer, verdict=four)
    assert refused.value.messages == [f"{OFF_SCALE} Nothing was saved."]
    stored = Annotation.objects.get(pk=public_claim.pk)
    assert stored.verdict_id is None and stored.version == public_claim.version
    assert updates_of(public_claim) == 0


def test_the_service_gives_a_verdict_of_the_scale(desk, desk_match, reviewer):
    geppetto = Rating.objects.get(slug="geppetto")
    saved = services.annotation_update(annotation=desk_match, actor=reviewer, verdict=geppetto)
    assert Annotation.objects.get(pk=saved.pk).verdict == geppetto


def test_a_span_keeps_its_verdict_after_its_desk_changes_scale(desk, desk_match, reviewer):
    """The collection moves to the default scale: the span's “Four Pinocchios” stays, and
    other edits of the span still save; a new verdict must be of the default scale."""
    collection, four = desk
    Collection.objects.filter(pk=collection.pk).update(rating_scale=None)
    span = Annotation.objects.get(pk=desk_match.pk)
    saved = services.annotation_update(annotation=span, actor=reviewer, note="Still checking.")
    stored = Annotation.objects.get(pk=saved.pk)
    assert (stored.verdict, stored.note) == (four, "Still checking.")
    services.annotation_update(annotation=stored, actor=reviewer, verdict=default("false"))
    assert Annotation.objects.get(pk=span.pk).verdict.slug == "false"


# --- "seen before" ---------------------------------------------------------------------------


def copy(client, span, match):
    return client.post(reverse("seen-before-copy", args=[span.pk, match.pk]), **HTMX)


def test_seen_before_copies_the_sources_but_not_a_verdict_of_another_scale(
    reviewer_client, desk_match, public_claim
):
    """The tester's case: a desk's “Four Pinocchios” is not copied onto a claim of a public
    article (the default scale); its source is, and the message says why the verdict was not."""
    response = copy(reviewer_client, public_claim, desk_match)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Copied 1 source from #{desk_match.pk}. Its verdict was not copied: " in html
    assert "“Four Pinocchios” is on the rating scale “Pinocchio”" in html
    stored = Annotation.objects.get(pk=public_claim.pk)
    assert stored.verdict_id is None
    assert list(stored.sources.values_list("source__url", flat=True)) == [
        "https://example.org/inspection"
    ]
    assert updates_of(public_claim) == 0  # the span itself was not changed


def test_seen_before_with_only_a_verdict_of_another_scale_copies_nothing(
    reviewer_client, desk_match, public_claim
):
    Evidence.objects.filter(annotation=desk_match).delete()
    response = copy(reviewer_client, public_claim, desk_match)
    assert response.status_code == 422  # refused, as any copy with nothing to copy
    html = response.content.decode()
    assert f"#{desk_match.pk} has no sources, and its verdict was not copied: " in html
    assert "“Four Pinocchios” is on the rating scale “Pinocchio”" in html
    stored = Annotation.objects.get(pk=public_claim.pk)
    assert stored.verdict_id is None and not stored.sources.exists()
    assert updates_of(public_claim) == 0


def test_seen_before_copies_a_verdict_of_the_same_scale(
    reviewer_client, desk, desk_match, reviewer
):
    collection, four = desk
    article = make_article(f"Officials said: {CLAIM}. (desk too)", title="Desk again")
    collection.articles.add(article)
    claim = make_span(article, CLAIM, reviewer)
    response = copy(reviewer_client, claim, desk_match)
    assert response.status_code == 200
    assert f"Copied verdict “Four Pinocchios” and 1 source from #{desk_match.pk}." in (
        response.content.decode()
    )
    assert Annotation.objects.get(pk=claim.pk).verdict == four


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_refuses_a_verdict_of_another_scale(client, editor, desk, public_claim):
    _, four = desk
    client.force_login(editor)
    url = reverse("admin:annotations_annotation_change", args=[public_claim.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in (
            (name, form[name].value()) for name in form.fields if name not in ("verdict",)
        )
        if value is not None
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    data["verdict"] = str(four.pk)
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert OFF_SCALE in response.content.decode().replace("&#x27;", "'")
    stored = Annotation.objects.get(pk=public_claim.pk)
    assert stored.verdict_id is None and updates_of(public_claim) == 0


# --- the importers -----------------------------------------------------------------------------

TEXT = "Kirby said the talks are advancing. Moscow denied it."


def _line(verdict: dict, text: str = TEXT) -> str:
    span = {"id": 1, "start": 11, "end": 34, "label": "claim", "annotator": "rita"}
    record = {"title": "Talks", "text": text, "spans": [{**span, "verdict": verdict}]}
    return json.dumps(record, ensure_ascii=False) + "\n"


def run(*args) -> list[str]:
    out = StringIO()
    call_command("import_articles", *[str(a) for a in args], stdout=out, no_color=True)
    return out.getvalue().splitlines()


def test_an_import_refuses_a_verdict_of_another_scale_than_its_articles(tmp_path, reviewer, desk):
    """Outside a collection the new article uses the default scale: a Pinocchio verdict
    refuses its line with the reason, and nothing of it is stored."""
    path = tmp_path / "x.jsonl"
    path.write_text(_line({"scale": "Pinocchio", "slug": "four"}), encoding="utf-8")
    lines = run(path)
    assert f"refused: {path}, line 1: span 1: {OFF_SCALE}" in lines
    assert not Article.objects.filter(body=TEXT).exists()
    assert not Annotation.objects.exists()


def test_an_import_into_the_desk_takes_its_scales_verdicts_only(tmp_path, reviewer, desk):
    """Into the Pinocchio desk (--collection) the same line is stored with its verdict, and
    a default-scale verdict is refused there."""
    _, four = desk
    path = tmp_path / "x.jsonl"
    path.write_text(_line({"scale": "Pinocchio", "slug": "four"}), encoding="utf-8")
    run(path, "--collection", "Pinocchio desk")
    span = Annotation.objects.get()
    assert span.verdict == four and span.article.collections.get().name == "Pinocchio desk"

    other = tmp_path / "y.jsonl"
    other.write_text(
        _line({"scale": "Default", "slug": "false"}, text=TEXT + " Later."),
        encoding="utf-8",
    )
    lines = run(other, "--collection", "Pinocchio desk")
    assert any(
        "span 1: The verdict “False” is on the rating scale “Default”, but the article uses "
        "the rating scale “Pinocchio”" in line
        for line in lines
    ), lines
    assert Annotation.objects.count() == 1
