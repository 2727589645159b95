"""Deleting an article with spans in the admin needs an explicit confirmation, keeps the
whole article in the history, and an admin can undo it exactly."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from annotations import history, services
from annotations.conflicts import Conflict
from annotations.models import (
    Adjudication,
    Annotation,
    Article,
    Evidence,
    HistoryEvent,
    Relation,
)
from annotations.services.articles import article_delete
from annotations.services.restore import ARTICLE_RETURNED, article_restore
from annotations.services.revisions import revise_article
from tests.desk_factories import make_assignment, make_collection
from tests.factories import make_article, make_span

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def worked_article(article, reviewer, other_reviewer, admin_user):
    """An article with what a desk puts on it: two reviewers' spans, a source, a link, a
    gold span adjudicated from both, a collection, assignments and an adjudication."""
    claim = make_span(article, "the talks are advancing", reviewer)
    denial = make_span(article, "Moscow denied it", other_reviewer, label_slug="denial")
    services.source_create(annotation=claim, url="https://example.org/talks", actor=reviewer)
    services.relation_create(from_span=denial, to_span_id=claim.pk, type="denies", actor=admin_user)
    gold = make_span(article, "Kirby", admin_user)
    Annotation.objects.filter(pk=gold.pk).update(layer=Annotation.Layer.GOLD)
    gold.adjudicated_from.add(claim, denial)
    desk = make_collection("Desk", members=[reviewer, other_reviewer], articles=[article])
    make_assignment(desk, article, reviewer, status="done")
    make_assignment(desk, article, other_reviewer)
    Adjudication.objects.create(article=article, collection=desk, adjudicator=admin_user)
    return Article.objects.get(pk=article.pk)


def delete_url(article):
    return reverse("admin:annotations_article_delete", args=[article.pk])


def deletion_of(article_id) -> HistoryEvent:
    return HistoryEvent.objects.get(kind="article", action="delete", object_id=article_id)


def test_the_delete_page_names_what_goes_with_the_article(admin_client, worked_article):
    page = admin_client.get(delete_url(worked_article)).content.decode()
    assert "This will delete 3 spans by 3 reviewers, citing 1 source." in page
    assert 'name="confirm_article_id"' in page


def test_deleting_without_typing_the_id_deletes_nothing(admin_client, worked_article):
    for typed in ("", "12345"):
        response = admin_client.post(
            delete_url(worked_article), {"post": "yes", "confirm_article_id": typed}, follow=True
        )
        assert "Nothing was deleted: type the article&#x27;s id" in response.content.decode()
    assert Article.objects.filter(pk=worked_article.pk).exists()
    assert Annotation.objects.filter(article=worked_article).count() == 3
    assert not HistoryEvent.objects.filter(action="delete").exists()


def test_an_article_without_spans_needs_only_django_s_confirmation(admin_client):
    empty = make_article("Nothing marked here.")
    response = admin_client.post(delete_url(empty), {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=empty.pk).exists()
    assert deletion_of(empty.pk).before["annotations"] == []


def test_delete_and_undo_restores_everything(admin_client, worked_article):
    before = history.snapshot_article(worked_article)
    response = admin_client.post(
        delete_url(worked_article),
        {"post": "yes", "confirm_article_id": str(worked_article.pk)},
    )
    assert response.status_code == 302
    assert not Article.objects.filter(pk=worked_article.pk).exists()
    assert not Annotation.objects.exists() and not Evidence.objects.exists()
    deletion = deletion_of(worked_article.pk)
    kept = dict(deletion.before)
    # The whole article is in the event, and which events were the article's until then
    # (its spans' deletions with it included).
    event_ids = kept.pop("history_event_ids")
    assert kept == before
    assert (
        len(event_ids)
        == HistoryEvent.objects.filter(article__isnull=True)
        .exclude(kind__in=["article", "source_record"])
        .count()
    )

    listing = admin_client.get(
        reverse("admin:annotations_historyevent_deleted_articles")
    ).content.decode()
    assert "Talks advancing" in listing and "Restore this article" in listing
    response = admin_client.post(
        reverse("admin:annotations_historyevent_restore_article", args=[deletion.pk]),
        follow=True,
    )

    assert "Restored the article" in response.content.decode()
    restored = Article.objects.get(pk=worked_article.pk)
    assert history.snapshot_article(restored) == before
    gold = Annotation.objects.get(layer=Annotation.Layer.GOLD)
    assert gold.adjudicated_from.count() == 2
    assert Relation.objects.count() == 1
    # The span histories belong to the article again, and say it came back.
    assert (
        HistoryEvent.objects.filter(article=restored, kind="annotation", action="create").count()
        == 3
    )
    assert HistoryEvent.objects.filter(kind="article", action="restore").count() == 1


def test_undo_is_refused_once_the_text_was_imported_again(admin_client, worked_article, admin_user):
    article_delete(article=worked_article, actor=admin_user)
    deletion = deletion_of(worked_article.pk)
    again = make_article(worked_article.body, title="Imported again")
    counts = (Article.objects.count(), Annotation.objects.count(), Evidence.objects.count())

    response = admin_client.post(
        reverse("admin:annotations_historyevent_restore_article", args=[deletion.pk]),
        follow=True,
    )

    assert ARTICLE_RETURNED in response.content.decode()
    assert (Article.objects.count(), Annotation.objects.count(), Evidence.objects.count()) == counts
    assert Article.objects.get(content_hash=again.content_hash).title == "Imported again"
    assert not HistoryEvent.objects.filter(action="restore").exists()


def test_only_an_admin_can_undo(client, editor, worked_article, admin_user):
    article_delete(article=worked_article, actor=admin_user)
    deletion = deletion_of(worked_article.pk)
    client.force_login(editor)  # staff, an Editor, but without delete_article

    response = client.post(
        reverse("admin:annotations_historyevent_restore_article", args=[deletion.pk])
    )

    assert response.status_code == 403
    with pytest.raises(PermissionDenied, match="Only an admin"):
        article_restore(event=deletion, actor=editor)
    assert not Article.objects.exists()


def test_an_editor_cannot_delete_an_article(editor, worked_article):
    with pytest.raises(PermissionDenied):
        article_delete(article=worked_article, actor=editor)
    assert Annotation.objects.filter(article=worked_article).count() == 3


def test_a_second_undo_is_refused(admin_user, worked_article):
    article_delete(article=worked_article, actor=admin_user)
    deletion = deletion_of(worked_article.pk)
    article_restore(event=deletion, actor=admin_user)
    with pytest.raises(Conflict, match="already been restored"):
        article_restore(event=deletion, actor=admin_user)
    assert Article.objects.count() == 1


def test_taken_ids_get_new_ones_and_the_links_follow(admin_user, worked_article, reviewer):
    span_ids = set(Annotation.objects.values_list("pk", flat=True))
    article_delete(article=worked_article, actor=admin_user)
    other = make_article("Someone else's text, imported meanwhile.")
    Article.objects.filter(pk=other.pk).update(id=worked_article.pk)

    article = article_restore(event=deletion_of(worked_article.pk), actor=admin_user)

    assert article.pk != worked_article.pk
    assert article.annotations.count() == 3
    assert set(article.annotations.values_list("pk", flat=True)) == span_ids
    assert Relation.objects.get().from_span.article_id == article.pk


def test_a_span_a_revision_left_unplaced_comes_back_unplaced(admin_user, reviewer):
    """An unplaced span's offsets index the text it was made on, not the article's: the
    undo brings it back needing attention, anchored in that restored revision, and a
    placed span back placed. (It came back "placed", its offsets into the wrong text.)"""
    article = make_article("Kept sentence here. Removed sentence there.", title="A")
    placed = make_span(article, "Kept sentence", reviewer)
    unplaced = make_span(article, "Removed sentence", reviewer)
    revise_article(article=article, title="A", body="Kept sentence here. New end.", actor=None)
    assert Annotation.all_objects.get(pk=unplaced.pk).needs_attention
    article_delete(article=Article.objects.get(pk=article.pk), actor=admin_user)

    restored = article_restore(event=deletion_of(article.pk), actor=admin_user)

    back = Annotation.all_objects.get(pk=unplaced.pk)
    assert back.needs_attention
    revision = back.anchored_in
    assert revision.article_id == restored.pk
    assert revision.body[back.start : back.end] == "Removed sentence"
    kept = Annotation.objects.get(pk=placed.pk)
    assert not kept.needs_attention and kept.anchored_in_id is None
    assert restored.body[kept.start : kept.end] == "Kept sentence"


def test_undo_is_refused_once_the_page_is_an_article_again(admin_client, admin_user):
    """Deleted, then the same page (another text, same address as the importers compare
    it) added again: one page is one article, so the undo is refused, the list says so
    too, and nothing is restored."""
    article = make_article("The first text of the page.", source_url="https://ex.org/a7")
    article_delete(article=article, actor=admin_user)
    again = make_article("A second text of it.", source_url="https://EX.org/a7/?utm_source=x")
    deletion = deletion_of(article.pk)
    with pytest.raises(Conflict, match=r"Another article from this address \(https://ex.org/a7\)"):
        article_restore(event=deletion, actor=admin_user)
    assert list(Article.objects.values_list("pk", flat=True)) == [again.pk]
    listed = admin_client.get(reverse("admin:annotations_historyevent_deleted_articles"))
    assert "Another article from this address" in listed.content.decode()


def test_bulk_delete_needs_i_understand(admin_client, worked_article):
    empty = make_article("Nothing marked here either.")
    url = reverse("admin:annotations_article_changelist")
    data = {"action": "delete_selected", "_selected_action": [worked_article.pk, empty.pk]}

    confirm = admin_client.post(url, data).content.decode()
    assert "This will delete 3 spans by 3 reviewers" in confirm and 'name="understand"' in confirm
    refused = admin_client.post(url, {**data, "post": "yes"}, follow=True).content.decode()
    assert "Nothing was deleted: tick “I understand”" in refused
    assert Article.objects.count() == 2

    admin_client.post(url, {**data, "post": "yes", "understand": "yes"})
    assert not Article.objects.exists()
    assert HistoryEvent.objects.filter(kind="article", action="delete").count() == 2


def test_an_editor_posting_the_delete_page_is_refused(client, editor, worked_article):
    client.force_login(editor)
    response = client.post(
        delete_url(worked_article), {"post": "yes", "confirm_article_id": str(worked_article.pk)}
    )
    assert response.status_code == 403
    assert Annotation.objects.filter(article=worked_article).count() == 3


def test_the_history_admin_action_restores_a_deleted_article(
    admin_client, admin_user, worked_article
):
    article_delete(article=worked_article, actor=admin_user)
    deletion = deletion_of(worked_article.pk)
    response = admin_client.post(
        reverse("admin:annotations_historyevent_changelist"),
        {"action": "restore_deleted_articles", "_selected_action": [deletion.pk]},
        follow=True,
    )
    assert "Restored the article" in response.content.decode()
    assert Article.objects.get(pk=worked_article.pk).annotations.count() == 3


def test_undo_brings_back_the_history_of_spans_deleted_before_the_article(
    admin_user, reviewer, article
):
    kept = make_span(article, "Kirby", reviewer)
    gone = make_span(article, "Moscow denied it", reviewer)
    services.annotation_delete(annotation=gone, actor=reviewer)
    article_delete(article=article, actor=admin_user)

    restored = article_restore(event=deletion_of(article.pk), actor=admin_user)

    refs = set(restored.history.values_list("annotation_id_ref", flat=True))
    assert {kept.pk, gone.pk} <= refs
    assert (
        restored.history.filter(kind="annotation", object_id=gone.pk, action="delete").count() == 1
    )
    # The deletion of `kept` with its article, too.
    assert (
        restored.history.filter(kind="annotation", object_id=kept.pk, action="delete").count() == 1
    )


def test_undo_brings_back_the_articles_earlier_texts(admin_user, worked_article):
    """An article revised twice (two earlier texts kept), deleted, then restored: its
    revisions come back with their numbers, texts and who replaced them."""
    from annotations.models import ArticleRevision
    from annotations.services.revisions import revise_article

    first_text = worked_article.body
    revise_article(
        article=worked_article, title="Second", body=first_text + " Updated.", actor=admin_user
    )
    revise_article(
        article=Article.objects.get(pk=worked_article.pk),
        title="Third",
        body=first_text + " Updated twice.",
        actor=None,
    )
    before = list(
        ArticleRevision.objects.filter(article_id=worked_article.pk)
        .order_by("number")
        .values_list("number", "title", "body", "replaced_by_id", "replaced_at")
    )
    assert len(before) == 2
    article_delete(article=Article.objects.get(pk=worked_article.pk), actor=admin_user)
    assert not ArticleRevision.objects.exists()

    article = article_restore(event=deletion_of(worked_article.pk), actor=admin_user)

    after = list(
        article.revisions.order_by("number").values_list(
            "number", "title", "body", "replaced_by_id", "replaced_at"
        )
    )
    assert after == before
    assert article.body == first_text + " Updated twice."
