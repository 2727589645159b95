"""The history you can see: a span's timeline in its editor and on its own page, an
article's whole history, and who may see which (blind collections included)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.history import recording_origin
from annotations.models import Article, HistoryEvent
from tests.desk_factories import make_collection
from tests.factories import label, make_span

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit(client, span, **data):
    payload = {"edit-label": span.label_id, "edit-speaker": "", "edit-note": "", "edit-version": 1}
    payload.update({f"edit-{k}": v for k, v in data.items()})
    return client.post(reverse("annotation-detail", args=[span.pk]), payload, **HTMX)


@pytest.mark.django_db
def test_span_editor_offers_its_history_with_the_count(reviewer_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    response = reviewer_client.get(reverse("annotation-detail", args=[span.pk]), **HTMX)
    html = response.content.decode()
    assert 'History <span class="muted">(1)</span>' in html
    assert reverse("annotation-history", args=[span.pk]) in html


@pytest.mark.django_db
def test_span_timeline_shows_who_what_and_from_where(reviewer_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    assert edit(reviewer_client, span, label=label("denial").pk, note="checked").status_code == 200

    response = reviewer_client.get(reverse("annotation-history", args=[span.pk]), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Label: Claim → Denial" in html
    assert "Note added" in html
    assert "from the review page" in html
    assert "by <bdi>rita</bdi>" in html
    # Newest first: the change above the creation.
    assert html.index("Label: Claim → Denial") < html.index("Text: “Moscow denied it”")


@pytest.mark.django_db
def test_a_deleted_spans_history_stays_readable_with_a_restore(reviewer_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    deletion = services.annotation_delete(annotation=span, actor=reviewer)

    response = reviewer_client.get(reverse("annotation-history", args=[span.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Deleted: Claim “Moscow denied it”" in html
    assert reverse("annotation-restore", args=[deletion.pk]) in html


@pytest.mark.django_db
def test_another_reviewer_sees_the_history_but_cannot_restore(
    client, reviewer, other_reviewer, article
):
    span = make_span(article, "Moscow denied it", reviewer)
    deletion = services.annotation_delete(annotation=span, actor=reviewer)
    client.force_login(other_reviewer)

    response = client.get(reverse("annotation-history", args=[span.pk]))

    assert response.status_code == 200
    assert reverse("annotation-restore", args=[deletion.pk]) not in response.content.decode()


@pytest.mark.django_db
def test_unknown_span_is_a_404(reviewer_client):
    assert reviewer_client.get(reverse("annotation-history", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_blind_collection_hides_other_reviewers_span_histories(
    client, reviewer, other_reviewer, article
):
    make_collection(
        "Blind desk", members=[reviewer, other_reviewer], articles=[article], blind=True
    )
    live = make_span(article, "Moscow denied it", other_reviewer)
    gone = make_span(article, "the talks are advancing", other_reviewer)
    services.annotation_delete(annotation=gone, actor=other_reviewer)
    own = make_span(article, "Kirby", reviewer)
    client.force_login(reviewer)

    for hidden in (live, gone):
        response = client.get(reverse("annotation-history", args=[hidden.pk]))
        assert response.status_code == 404
        assert "Moscow" not in response.content.decode()
    assert client.get(reverse("annotation-history", args=[own.pk])).status_code == 200

    page = client.get(reverse("article-history", args=[article.pk])).content.decode()
    assert "Kirby" in page
    assert "Moscow denied it" not in page
    assert "the talks are advancing" not in page
    assert "oscar" not in page  # not even in the actor filter


@pytest.mark.django_db
def test_a_collection_the_user_is_not_in_is_refused(client, reviewer, other_reviewer, article):
    make_collection("Closed desk", members=[other_reviewer], articles=[article])
    span = make_span(article, "Kirby", other_reviewer)
    client.force_login(reviewer)

    assert client.get(reverse("article-history", args=[article.pk])).status_code == 403
    assert client.get(reverse("annotation-history", args=[span.pk])).status_code == 403


@pytest.mark.django_db
def test_article_history_lists_spans_sources_and_status(editor_client, editor, reviewer, article):
    services.article_set_status(article=article, status=Article.Status.IN_REVIEW, actor=editor)
    span = make_span(article, "Moscow denied it", reviewer)
    services.source_create(annotation=span, url="https://example.org/r", actor=reviewer)
    services.article_set_status(article=article, status=Article.Status.REVIEWED, actor=editor)

    html = editor_client.get(reverse("article-history", args=[article.pk])).content.decode()

    assert "Source added: example.org" in html
    assert "Status: New → In review" in html
    assert "Status: In review → Reviewed" in html
    assert "Text: “Moscow denied it”" in html


@pytest.mark.django_db
def test_article_history_filters_by_kind_and_actor(editor_client, editor, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    services.source_create(annotation=span, url="https://example.org/r", actor=reviewer)
    services.article_set_status(article=article, status=Article.Status.REVIEWED, actor=editor)
    url = reverse("article-history", args=[article.pk])

    sources = editor_client.get(url, {"kind": "source"}).content.decode()
    assert "Source added" in sources and "Status:" not in sources

    by_editor = editor_client.get(url, {"actor": editor.pk}).content.decode()
    assert "→ Reviewed" in by_editor and "Source added" not in by_editor

    # A made-up filter is ignored, not an error.
    assert editor_client.get(url, {"kind": "nonsense", "actor": "x"}).status_code == 200


def _events(article, reviewer, count):
    for i in range(count):
        services.article_update(article=article, actor=reviewer, changes={"title": f"Title {i}"})


@pytest.mark.django_db
def test_article_history_queries_do_not_grow_with_events(client, editor, article):
    small, large = article, Article.objects.create(title="Other", body="Another body text.")
    for target, count in ((small, 3), (large, 40)):
        _events(target, editor, count)
        span = make_span(target, target.body.split()[0], editor)
        services.annotation_delete(annotation=span, actor=editor)
    client.force_login(editor)

    with CaptureQueriesContext(connection) as small_run:
        assert client.get(reverse("article-history", args=[small.pk])).status_code == 200
    with CaptureQueriesContext(connection) as large_run:
        response = client.get(reverse("article-history", args=[large.pk]))

    assert response.status_code == 200
    assert "Title: Title 38 → Title 39" in response.content.decode()
    assert len(large_run.captured_queries) == len(small_run.captured_queries)


@pytest.mark.django_db
def test_article_history_is_paginated(editor_client, editor, article):
    _events(article, editor, 55)
    url = reverse("article-history", args=[article.pk])

    first = editor_client.get(url).content.decode()
    second = editor_client.get(url, {"page": 2}).content.decode()

    assert (
        "Page 1 of 2" in first and "Title 54" in first and "Title: Title 0 → Title 1" not in first
    )
    assert "Title: Title 0 → Title 1" in second


@pytest.mark.django_db
def test_deleted_span_can_be_restored_from_the_article_history(reviewer_client, reviewer, article):
    span = make_span(article, "Moscow denied it", reviewer)
    deletion = services.annotation_delete(annotation=span, actor=reviewer)
    page = reviewer_client.get(reverse("article-history", args=[article.pk])).content.decode()
    assert reverse("annotation-restore", args=[deletion.pk]) in page

    response = reviewer_client.post(reverse("annotation-restore", args=[deletion.pk]))

    assert response.status_code == 302
    assert article.annotations.filter(pk=span.pk).exists()
    page = reviewer_client.get(reverse("article-history", args=[article.pk])).content.decode()
    assert reverse("annotation-restore", args=[deletion.pk]) not in page  # restored already


@pytest.mark.django_db
def test_article_page_links_to_its_history(reviewer_client, article):
    html = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert reverse("article-history", args=[article.pk]) in html


@pytest.mark.django_db
def test_import_origin_is_shown(editor_client, editor, article):
    with recording_origin("import"):
        make_span(article, "Kirby", editor)
    html = editor_client.get(reverse("article-history", args=[article.pk])).content.decode()
    assert "by import" in html
    assert HistoryEvent.objects.filter(origin="import").count() == 1


# --- the admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_shows_the_span_timeline_and_each_events_origin_and_changes(
    client, admin_user, reviewer, article
):
    span = make_span(article, "Moscow denied it", reviewer)
    with recording_origin("admin"):
        services.annotation_update(annotation=span, actor=admin_user, label=label("denial"))
    client.force_login(admin_user)

    page = client.get(reverse("admin:annotations_annotation_change", args=[span.pk]))
    html = page.content.decode()
    assert "Label: Claim → Denial" in html and "from the admin" in html

    event = HistoryEvent.objects.get(action="update")
    html = client.get(
        reverse("admin:annotations_historyevent_change", args=[event.pk])
    ).content.decode()
    assert "from the admin" in html and "Label: Claim → Denial" in html
    listing = client.get(reverse("admin:annotations_historyevent_changelist"), {"origin": "admin"})
    assert list(listing.context["cl"].result_list) == [event]

    article_page = client.get(reverse("admin:annotations_article_change", args=[article.pk]))
    assert reverse("article-history", args=[article.pk]) in article_page.content.decode()


@pytest.mark.django_db
def test_details_edited_on_the_review_page_are_an_article_event(editor_client, article):
    response = editor_client.post(
        reverse("article-metadata", args=[article.pk]),
        {"title": "Talks stalled", "author": article.author},
        **HTMX,
    )
    assert response.status_code == 200
    event = HistoryEvent.objects.get(kind="article")
    assert (event.action, event.origin) == ("update", "review")
    assert (event.before["title"], event.after["title"]) == ("Talks advancing", "Talks stalled")
    html = editor_client.get(reverse("article-history", args=[article.pk])).content.decode()
    assert "Title: Talks advancing → Talks stalled" in html


@pytest.mark.django_db
def test_an_actor_id_past_any_column_matches_nobody(editor_client, editor, article):
    services.article_update(article=article, actor=editor, changes={"title": "New title"})
    url = reverse("article-history", args=[article.pk])
    for hostile in ("99999999999999999999", "-1", "٣"):
        response = editor_client.get(url, {"actor": hostile})
        assert response.status_code == 200
        assert "Title: Talks advancing → New title" in response.content.decode()  # unfiltered
