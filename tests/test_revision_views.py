"""The revisions pages, the attention page and its place/discard actions, the review
page's notice: access, 404s, hostile parameters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Annotation, Collection, HistoryEvent, Membership
from annotations.services import revisions as service
from annotations.services.revisions import revise_article
from tests.factories import make_article, make_span, make_user

OLD = (
    "The minister said the bridge is safe. Engineers inspected it in May. "
    "Critics say the report was rushed. <script>alert(1)</script>"
)
NEW = (
    "UPDATE: The minister said the bridge is safe. "
    "Critics say the report was rushed and incomplete. <script>alert(1)</script>"
)


@pytest.fixture
def revised(db, reviewer, editor):
    article = make_article(OLD, title="Bridge <b>news</b>")
    make_span(article, "the report was rushed", reviewer)
    gone = make_span(article, "Engineers inspected it in May", reviewer)
    revise_article(article=article, title="Bridge <b>news</b>", body=NEW, actor=editor)
    article.refresh_from_db()
    return article, Annotation.all_objects.get(pk=gone.pk)


def test_review_page_shows_the_notice_and_the_revisions_link(revised, reviewer_client):
    article, _ = revised
    page = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert "1 span needs attention after the text changed — review them" in page
    assert reverse("article-attention", args=[article.pk]) in page
    assert "Revisions (1)" in page


def test_review_page_of_an_unrevised_article_has_no_notice(reviewer_client, article):
    page = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert "need attention" not in page and "Revisions (" not in page


def test_the_unplaced_span_is_not_highlighted_on_the_current_text(revised, reviewer_client):
    article, gone = revised
    page = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert f'data-id="{gone.pk}"' not in page and f"span-{gone.pk}" not in page


def test_revisions_page_lists_who_when_and_an_escaped_diff(revised, reviewer_client, editor):
    article, _ = revised
    response = reviewer_client.get(reverse("article-revisions", args=[article.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Revision 1" in page and f"replaced by <bdi>{editor.get_username()}</bdi>" in page
    assert "Engineers inspected it in May</del>" in page
    assert "<ins>UPDATE: </ins>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Bridge &lt;b&gt;news&lt;/b&gt;" in page


def test_one_revision_is_readable_in_full(revised, reviewer_client):
    article, _ = revised
    response = reviewer_client.get(reverse("article-revision", args=[article.pk, 1]))
    assert response.status_code == 200
    assert "Engineers inspected it in May." in response.content.decode()
    url = reverse("article-revision", args=[article.pk, 1])
    whole = reviewer_client.get(url, {"context": "all"})
    assert "Shorten unchanged passages" in whole.content.decode()


@pytest.mark.parametrize("number", [2, 0, 99999999999])
def test_unknown_revision_is_a_404(revised, reviewer_client, number):
    article, _ = revised
    response = reviewer_client.get(reverse("article-revision", args=[article.pk, number]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["article-revisions", "article-attention"])
def test_unknown_article_is_a_404(reviewer_client, db, name):
    assert reviewer_client.get(reverse(name, args=[999999])).status_code == 404


def test_pages_need_a_sign_in(revised, client):
    article, _ = revised
    response = client.get(reverse("article-attention", args=[article.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_article_of_a_collection_you_are_not_in_is_refused(revised, other_reviewer, client):
    article, gone = revised
    owner = make_user("own", role="editor")
    collection = Collection.objects.create(name="Closed", slug="closed", created_by=owner)
    collection.articles.add(article)
    Membership.objects.create(collection=collection, user=owner, role="editor")
    client.force_login(other_reviewer)
    for name in ("article-revisions", "article-attention"):
        assert client.get(reverse(name, args=[article.pk])).status_code == 403
    response = client.post(
        reverse("attention-discard", args=[article.pk, gone.pk]), {}, follow=False
    )
    assert response.status_code == 403
    assert Annotation.all_objects.filter(pk=gone.pk).exists()


def test_attention_page_shows_the_old_context_and_actions(revised, reviewer_client):
    article, gone = revised
    page = reviewer_client.get(reverse("article-attention", args=[article.pk])).content.decode()
    assert "<mark>Engineers inspected it in May</mark>" in page
    assert "Critics say the report was rushed" in page  # context after it in the old text
    assert reverse("attention-place", args=[article.pk, gone.pk]) in page
    assert reverse("attention-discard", args=[article.pk, gone.pk]) in page


def test_another_reviewer_sees_the_span_without_actions(revised, other_reviewer, client):
    article, _ = revised
    client.force_login(other_reviewer)
    page = client.get(reverse("article-attention", args=[article.pk])).content.decode()
    assert "Only its author or an editor can place or discard this span." in page


def test_place_by_typed_offsets(revised, reviewer_client):
    article, gone = revised
    start = article.body.index("Critics say")
    response = reviewer_client.post(
        reverse("attention-place", args=[article.pk, gone.pk]),
        {"start": start, "end": start + 11},
        follow=True,
    )
    assert "placed on “Critics say”" in response.content.decode()
    stored = Annotation.objects.get(pk=gone.pk)
    assert (stored.start, stored.quote) == (start, "Critics say")


def test_place_by_a_proposed_choice(revised, reviewer_client):
    article, gone = revised
    start = article.body.index("UPDATE")
    reviewer_client.post(
        reverse("attention-place", args=[article.pk, gone.pk]), {"choice": f"{start}-{start + 6}"}
    )
    assert Annotation.objects.get(pk=gone.pk).quote == "UPDATE"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose one of the proposed places"),
        ({"start": "abc", "end": "4"}, "Start: Enter a whole number."),
        ({"start": "-5", "end": "4"}, "Start: Ensure this value is greater than or equal to 0."),
        ({"start": "1", "end": "99999999999999999999"}, "End: Ensure this value is less"),
        ({"start": "3", "end": "100000"}, "The span ends after the text"),
        ({"start": "5", "end": "5"}, "The span is empty"),
        ({"choice": "1-2-3"}, "Choice: Enter a valid value."),
        ({"choice": "9999999999-99999999999"}, "Choice: Enter a valid value."),
    ],
)
def test_place_refuses_bad_input_with_a_message(revised, reviewer_client, data, message):
    article, gone = revised
    response = reviewer_client.post(
        reverse("attention-place", args=[article.pk, gone.pk]), data, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    stored = Annotation.all_objects.get(pk=gone.pk)
    assert stored.needs_attention and stored.version == gone.version


def test_place_by_another_reviewer_is_refused(revised, other_reviewer, client):
    article, gone = revised
    client.force_login(other_reviewer)
    response = client.post(
        reverse("attention-place", args=[article.pk, gone.pk]), {"start": 0, "end": 6}
    )
    assert response.status_code == 403
    assert Annotation.all_objects.get(pk=gone.pk).needs_attention


def test_discard_deletes_with_history(revised, reviewer_client):
    article, gone = revised
    response = reviewer_client.post(
        reverse("attention-discard", args=[article.pk, gone.pk]), follow=True
    )
    assert "discarded" in response.content.decode()
    assert not Annotation.all_objects.filter(pk=gone.pk).exists()
    assert HistoryEvent.objects.filter(object_id=gone.pk, action="delete").exists()
    page = reviewer_client.get(reverse("article-attention", args=[article.pk])).content.decode()
    assert "No span of this article needs attention." in page


def test_actions_on_a_foreign_span_are_404(revised, reviewer_client, reviewer):
    article, _ = revised
    placed = Annotation.objects.filter(article=article).first()
    other = make_article("Another article entirely.")
    for name in ("attention-place", "attention-discard"):
        assert reviewer_client.post(reverse(name, args=[other.pk, placed.pk])).status_code == 404
        huge = reverse(name, args=[article.pk, 10**30])
        assert reviewer_client.post(huge).status_code == 404


def test_actions_refuse_get(revised, reviewer_client):
    article, gone = revised
    url = reverse("attention-discard", args=[article.pk, gone.pk])
    assert reviewer_client.get(url).status_code == 405
    assert Annotation.all_objects.filter(pk=gone.pk).exists()


def test_revisions_page_of_an_unrevised_article(reviewer_client, article):
    page = reviewer_client.get(reverse("article-revisions", args=[article.pk])).content.decode()
    assert "never revised" in page


def test_blind_mode_hides_anothers_unplaced_spans(client, db):
    """In a blind collection, B is not told about A's spans that need attention: not on
    the review page's notice, not on the attention page, and A's span is a 404 to act on."""
    from tests.blind_world import A_QUOTE, BODY, make_blind_world

    world = make_blind_world()
    revise_article(
        article=world.article,
        title="Harbour council",
        body=BODY.replace(A_QUOTE, "Nothing was voted"),
        actor=None,  # an import
    )
    assert Annotation.all_objects.get(pk=world.a_span.pk).needs_attention
    client.force_login(world.b)
    review = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert "need attention" not in review and "Revisions (1)" in review
    page = client.get(reverse("article-attention", args=[world.article.pk])).content.decode()
    assert A_QUOTE not in page and "No span of this article needs attention." in page
    for name in ("attention-place", "attention-discard"):
        url = reverse(name, args=[world.article.pk, world.a_span.pk])
        assert client.post(url, {"start": 0, "end": 5}).status_code == 404
    assert Annotation.all_objects.get(pk=world.a_span.pk).needs_attention
    client.force_login(world.a)
    page = client.get(reverse("article-attention", args=[world.article.pk])).content.decode()
    assert f"<mark>{A_QUOTE}</mark>" in page


def test_attention_page_offers_the_current_text_to_pick_from(revised, reviewer_client):
    article, _ = revised
    page = reviewer_client.get(reverse("article-attention", args=[article.pk])).content.decode()
    assert 'id="attention-current-text"' in page and "attention.js" in page
    assert "Critics say the report was rushed and incomplete." in page


def test_a_stale_place_or_discard_says_the_span_was_placed_meanwhile(revised, reviewer_client):
    """Found by the outside tester: the page still offered Place and Discard for a span
    someone had placed meanwhile, and the click answered a bare 404 "Not found"."""
    article, gone = revised
    start = article.body.index("Critics")
    gone = Annotation.all_objects.get(pk=gone.pk)
    service.place_span(annotation=gone, start=start, end=start + 7, actor=gone.author)
    placed = Annotation.objects.get(pk=gone.pk)
    last = HistoryEvent.objects.latest("pk").pk
    for name, data in (("attention-place", {"start": 0, "end": 4}), ("attention-discard", {})):
        response = reviewer_client.post(reverse(name, args=[article.pk, gone.pk]), data)
        assert response.status_code == 409, name
        assert "This span was placed in the meantime; nothing was changed." in (
            response.content.decode()
        )
    stored = Annotation.objects.get(pk=gone.pk)
    assert (stored.start, stored.end, stored.version) == (placed.start, placed.end, placed.version)
    assert not HistoryEvent.objects.filter(pk__gt=last).exists()
