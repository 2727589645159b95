"""The review page inside collections: access, blind mode on the page itself, the
collection's labels and rating scale, Prev/Next among openable articles, gold spans."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import permissions
from annotations.models import Annotation, Collection, Label, Membership, Rating, RatingScale
from tests.blind_world import A_NOTE, make_blind_world
from tests.factories import label, make_annotation, make_article, make_user

HTMX = {"headers": {"HX-Request": "true"}}


def _create(client, article, text, label_slug):
    start = article.body.index(text)
    data = {"label": label_slug, "start": start, "end": start + len(text), "quote": text}
    return client.post(reverse("annotation-create", args=[article.pk]), data, **HTMX)


@pytest.fixture
def fact_desk(db, reviewer):
    """A collection that uses only the "claim" label and a scale of its own."""
    scale = RatingScale.objects.create(name="Two-step")
    Rating.objects.create(scale=scale, name="Holds up", slug="holds-up", value=2)
    Rating.objects.create(scale=scale, name="Falls apart", slug="falls-apart", value=1)
    collection = Collection.objects.create(name="Claims only", slug="claims", rating_scale=scale)
    collection.labels.add(label("claim"))
    article = make_article("The minister said the bridge is safe. The mayor denied it.")
    collection.articles.add(article)
    Membership.objects.create(collection=collection, user=reviewer)
    return collection, article, scale


def test_the_label_bar_offers_only_the_collections_labels(reviewer_client, fact_desk):
    _, article, _ = fact_desk
    html = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert 'class="label-button" data-label="claim"' in html
    assert 'class="label-button" data-label="denial"' not in html


def test_an_article_in_no_collection_offers_every_active_label(reviewer_client, article):
    html = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    for slug in Label.objects.filter(active=True).values_list("slug", flat=True):
        assert f'class="label-button" data-label="{slug}"' in html


def test_the_labels_of_all_an_articles_collections_are_offered(reviewer_client, fact_desk):
    _, article, _ = fact_desk
    other = Collection.objects.create(name="Denials", slug="denials")
    other.labels.add(label("denial"))
    other.articles.add(article)
    html = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert 'class="label-button" data-label="claim"' in html
    assert 'class="label-button" data-label="denial"' in html


def test_a_label_outside_the_collection_is_refused_and_nothing_stored(reviewer_client, fact_desk):
    _, article, _ = fact_desk
    response = _create(reviewer_client, article, "The mayor denied it", "denial")
    assert response.status_code == 400
    assert "not used in this article's collection" in response.content.decode()
    assert "Claim" in response.content.decode()  # what to use instead
    assert not Annotation.objects.filter(article=article).exists()


def test_a_label_of_the_collection_is_accepted(reviewer_client, fact_desk):
    _, article, _ = fact_desk
    assert _create(reviewer_client, article, "the bridge is safe", "claim").status_code == 200
    assert Annotation.objects.filter(article=article, label__slug="claim").exists()


def test_the_verdicts_come_from_the_collections_scale(reviewer_client, reviewer, fact_desk):
    _, article, _ = fact_desk
    span = make_annotation(article, 4, 12, author=reviewer)
    html = reviewer_client.get(reverse("annotation-detail", args=[span.pk])).content.decode()
    assert "Holds up" in html and "Falls apart" in html
    default = Rating.objects.filter(scale__is_default=True).first()
    assert default.name not in html


def test_a_verdict_off_the_collections_scale_is_refused(reviewer_client, reviewer, fact_desk):
    _, article, _ = fact_desk
    span = make_annotation(article, 4, 12, author=reviewer)
    default = Rating.objects.filter(scale__is_default=True).first()
    data = {
        "edit-label": span.label_id,
        "edit-speaker": "",
        "edit-note": "",
        "edit-version": span.version,
        "edit-verdict": default.pk,
    }
    response = reviewer_client.post(reverse("annotation-detail", args=[span.pk]), data, **HTMX)
    assert response.status_code == 422
    assert "not on the rating scale" in response.content.decode()
    span.refresh_from_db()
    assert span.verdict_id is None


def test_the_editor_offers_the_collections_labels_and_keeps_the_current_one(
    reviewer_client, reviewer, fact_desk
):
    _, article, _ = fact_desk
    span = make_annotation(article, 4, 12, author=reviewer, label_slug="denial")
    html = reviewer_client.get(reverse("annotation-detail", args=[span.pk])).content.decode()
    picker = html[html.index('name="edit-label"') :]
    editor = picker[: picker.index("</select>")]
    assert ">Claim</option>" in editor and ">Denial</option>" in editor  # its own stays
    assert ">Unverified allegation</option>" not in editor


# --- access and blind mode on the page ---------------------------------------------------


def test_prev_and_next_skip_articles_the_reviewer_may_not_open(client, db):
    reviewer = make_user("nav_reviewer")
    newest = make_article("C text.", published_at="2026-03-03T00:00Z")
    closed = make_article("B text.", published_at="2026-02-02T00:00Z")
    oldest = make_article("A text.", published_at="2026-01-01T00:00Z")
    Collection.objects.create(name="Closed", slug="closed").articles.add(closed)
    client.force_login(reviewer)
    html = client.get(reverse("article-detail", args=[newest.pk])).content.decode()
    assert f'href="/articles/{oldest.pk}/" rel="next"' in html
    assert f"/articles/{closed.pk}/" not in html


def test_reviewed_next_moves_only_to_an_openable_article(client, db):
    reviewer = make_user("next_reviewer")
    first = make_article("C text.", published_at="2026-03-03T00:00Z")
    closed = make_article("B text.", published_at="2026-02-02T00:00Z")
    last = make_article("A text.", published_at="2026-01-01T00:00Z")
    Collection.objects.create(name="Closed", slug="closed").articles.add(closed)
    client.force_login(reviewer)
    response = client.post(reverse("article-reviewed-next", args=[first.pk]))
    assert response["Location"] == reverse("article-detail", args=[last.pk])


def test_every_article_endpoint_refuses_an_unassigned_reviewer(client, db):
    world = make_blind_world(requires_assignment=True)
    outsider = make_user("late_member")
    Membership.objects.create(collection=world.collection, user=outsider)
    client.force_login(outsider)
    article = world.article.pk
    status = world.article.status
    for name, method in [
        ("article-detail", "get"),
        ("article-state", "get"),
        ("span-list", "get"),
        ("article-status", "post"),
        ("article-reviewed-next", "post"),
        ("annotation-create", "post"),
    ]:
        response = getattr(client, method)(reverse(name, args=[article]))
        assert response.status_code == 403, name
        assert permissions.NOT_ASSIGNED in response.content.decode(), name
    speakers = client.get(reverse("speaker-options"), {"article": article})
    assert speakers.status_code == 403
    world.article.refresh_from_db()
    assert world.article.status == status  # the refused POSTs changed nothing


def test_the_blind_page_counts_only_the_reviewers_own_spans(client, db):
    world = make_blind_world()
    client.force_login(world.b)
    html = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert ">1 span<" in html  # B's one span, not A's two
    assert 'id="blind-review"' in html
    assert A_NOTE not in html
    # The reviewer filter offers only B.
    assert world.a.username not in html


def test_an_editor_sees_every_span_without_the_blind_note(client, db):
    world = make_blind_world()
    client.force_login(make_user("desk_editor", role="editor"))
    html = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert ">3 spans<" in html
    assert 'id="blind-review"' not in html


def test_a_collection_editor_sees_every_span(client, db):
    world = make_blind_world()
    lead = make_user("lead")
    Membership.objects.create(collection=world.collection, user=lead, role="editor")
    client.force_login(lead)
    html = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert f'data-annotation-id="{world.a_span.pk}"' in html


def test_gold_spans_stay_off_the_review_page(client, db, reviewer):
    article = make_article("The minister said the bridge is safe.")
    editor = make_user("adjudicator", role="editor")
    make_annotation(article, 4, 12, author=reviewer)
    gold = make_annotation(article, 4, 12, author=editor, layer=Annotation.Layer.GOLD)
    client.force_login(editor)
    html = client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert ">1 span<" in html
    assert f'data-annotation-id="{gold.pk}"' not in html


def test_the_span_counts_list_only_the_collections_labels(reviewer_client, fact_desk):
    _, article, _ = fact_desk
    html = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    counts = html[html.index('id="span-count"') :]
    assert "Claim" in counts
    assert "Unverified allegation" not in counts


def test_the_service_refuses_a_label_outside_the_collection_for_every_caller(reviewer, fact_desk):
    """The admin and the commands create spans through the same service: same rule."""
    from django.core.exceptions import ValidationError

    from annotations import services

    _, article, _ = fact_desk
    start = article.body.index("The mayor denied it")
    with pytest.raises(ValidationError, match="not used in this article's collection"):
        services.annotation_create(
            article=article,
            label=label("denial"),
            start=start,
            end=start + 19,
            quote="The mayor denied it",
            author=reviewer,
        )
    assert not Annotation.objects.filter(article=article).exists()


def test_relabelling_to_a_label_outside_the_collection_is_refused(reviewer, fact_desk):
    from django.core.exceptions import ValidationError

    from annotations import services

    _, article, _ = fact_desk
    span = make_annotation(article, 4, 12, author=reviewer)
    with pytest.raises(ValidationError, match="not used in this article's collection"):
        services.annotation_update(annotation=span, actor=reviewer, label=label("denial"))
    span.refresh_from_db()
    assert span.label.slug == "claim"


def test_a_blind_reviewer_cannot_lift_blind_mode_by_marking_adjudicated(client, db):
    world = make_blind_world()
    client.force_login(world.b)
    url = reverse("article-status", args=[world.article.pk])
    response = client.post(url, {"status": "adjudicated"}, **HTMX)
    assert response.status_code == 403
    assert "Only an editor who adjudicates this article" in response.content.decode()
    world.article.refresh_from_db()
    assert world.article.status != "adjudicated"
    html = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert '<option value="adjudicated"' not in html
    assert f'data-annotation-id="{world.a_span.pk}"' not in html


def test_a_reviewer_cannot_reopen_an_adjudicated_article(client, db):
    """Their "Mark reviewed" on an assigned article marks their assignment done (its
    status follows the assignments), which never moves it out of adjudicated; setting the
    status by hand is refused."""
    world = make_blind_world()
    world.article.status = "adjudicated"
    world.article.save(update_fields=["status"])
    client.force_login(world.b)
    response = client.post(reverse("article-reviewed-next", args=[world.article.pk]))
    assert response.status_code == 302
    assert world.article.assignments.get(reviewer=world.b).status == "done"
    world.article.refresh_from_db()
    assert world.article.status == "adjudicated"
    response = client.post(reverse("article-status", args=[world.article.pk]), {"status": "new"})
    assert response.status_code == 403
    world.article.refresh_from_db()
    assert world.article.status == "adjudicated"
