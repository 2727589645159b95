"""The review desk's endpoints: the span list's filters and pages, the cheap state check
(304 while nothing changed), previous/next and "Mark reviewed, next", editors' details
edits, and user text isolated for direction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from annotations import selectors, services
from annotations.models import Annotation, Article
from annotations.views.regions import LIST_PAGE
from tests.factories import label, make_article, make_span

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def spans(article, reviewer, other_reviewer):
    return [
        make_span(article, "Kirby said", reviewer),
        make_span(article, "Moscow denied it", other_reviewer, label_slug="denial"),
    ]


def test_span_list_filters_by_label_and_reviewer(reviewer_client, article, spans):
    """The list shows only the chosen label's and reviewer's spans, and says how many."""
    url = reverse("span-list", args=[article.pk])
    page = reviewer_client.get(url, {"list_label": "denial"}, **HTMX).content.decode()
    assert "Moscow denied it" in page and "Kirby said" not in page
    assert "1 of 2" in page
    page = reviewer_client.get(url, {"list_reviewer": "rita"}, **HTMX).content.decode()
    assert "Kirby said" in page and "Moscow denied it" not in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"list_label": "nonsense"}, "There is no label “nonsense”"),
        ({"list_reviewer": "nobody"}, "“nobody” has no spans on this article"),
        ({"offset": "-1"}, "offset must be a whole number"),
        ({"offset": "9" * 30}, "offset must be a whole number"),
    ],
)
def test_span_list_bad_filters_are_a_clear_400(reviewer_client, article, spans, params, message):
    """An unknown label or reviewer, or a bad offset, is a 400 naming the problem."""
    response = reviewer_client.get(reverse("span-list", args=[article.pk]), params, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_span_list_pages_long_lists(reviewer_client, reviewer):
    """The page sends the first LIST_PAGE spans and a "more" row; the next page follows."""
    body = " ".join(f"w{i}" for i in range(LIST_PAGE + 30))
    article = make_article(body)
    words = body.split(" ")
    position, spans = 0, []
    for word in words:
        spans.append(
            Annotation(
                article=article,
                label=label("claim"),
                start=position,
                end=position + len(word),
                quote=word,
                author=reviewer,
            )
        )
        position += len(word) + 1
    Annotation.objects.bulk_create(spans)
    page = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert page.count('class="span-item"') == LIST_PAGE
    assert 'id="list-more"' in page
    more = reviewer_client.get(
        reverse("span-list", args=[article.pk]), {"offset": LIST_PAGE}, **HTMX
    ).content.decode()
    assert more.count('class="span-item"') == 30 and 'id="list-more"' not in more


def test_state_is_304_until_something_changes(reviewer_client, reviewer, article, spans):
    """The page's poll gets 304 with the tag it holds, and the regions once a span moved."""
    url = reverse("article-state", args=[article.pk])
    first = reviewer_client.get(url, **HTMX)
    tag = first["ETag"]
    unchanged = reviewer_client.get(url, HTTP_IF_NONE_MATCH=tag, **HTMX)
    assert unchanged.status_code == 304 and unchanged.content == b""
    make_span(article, "on Wednesday", reviewer)
    changed = reviewer_client.get(url, HTTP_IF_NONE_MATCH=tag, **HTMX)
    assert changed.status_code == 200
    assert changed["ETag"] != tag
    assert "on Wednesday" in changed.content.decode()
    assert 'id="annotation-editor"' not in changed.content.decode()


def test_state_sends_as_many_list_items_as_the_page_holds(reviewer_client, reviewer):
    """A page that loaded a second page of the list gets both pages back from the poll,
    whole pages (it merges them into its list); a bad count is a clear 400."""
    words = [f"w{i:03}" for i in range(LIST_PAGE + 30)]
    article = make_article(" ".join(words))
    Annotation.objects.bulk_create(
        Annotation(
            article=article,
            label=label("claim"),
            start=i * 5,
            end=i * 5 + 4,
            quote=word,
            author=reviewer,
        )
        for i, word in enumerate(words)
    )
    url = reverse("article-state", args=[article.pk])
    first = reviewer_client.get(url, **HTMX).content.decode()
    assert first.count('class="span-item"') == LIST_PAGE and 'id="list-more"' in first
    both = reviewer_client.get(url, {"list_count": LIST_PAGE + 1}, **HTMX).content.decode()
    assert both.count('class="span-item"') == LIST_PAGE + 30 and 'id="list-more"' not in both
    bad = reviewer_client.get(url, {"list_count": "-1"}, **HTMX)
    assert bad.status_code == 400 and "list count must be a whole number" in bad.content.decode()


def test_state_of_a_deleted_article_is_a_404(reviewer_client, article):
    """Polling an article that was deleted says so."""
    url = reverse("article-state", args=[article.pk])
    Article.objects.filter(pk=article.pk).delete()
    response = reviewer_client.get(url, **HTMX)
    assert response.status_code == 404 and b"deleted" in response.content


def test_neighbours_follow_the_article_list(db):
    """Previous/next are the article list's order: newest first, undated last, then id."""
    day = datetime(2026, 5, 1, tzinfo=UTC)
    newest = make_article("a. b.", published_at=day.replace(day=3))
    middle = make_article("c. d.", published_at=day.replace(day=2))
    undated_a = make_article("e. f.")
    undated_b = make_article("g. h.")
    assert selectors.neighbours(newest) == (None, middle.pk)
    assert selectors.neighbours(middle) == (newest.pk, undated_b.pk)
    assert selectors.neighbours(undated_b) == (middle.pk, undated_a.pk)
    assert selectors.neighbours(undated_a) == (undated_b.pk, None)


def test_mark_reviewed_next_opens_the_next_open_article(reviewer_client, reviewer):
    """The article is marked reviewed and the next one not reviewed opens (skipping
    reviewed ones, wrapping to the top); with none left, the list with a message."""
    first = make_article("One. Two.")
    done = make_article("Three. Four.", status=Article.Status.REVIEWED)
    last = make_article("Five. Six.")
    # List order: last, done, first (newest id first).
    response = reviewer_client.post(reverse("article-reviewed-next", args=[last.pk]))
    assert response.status_code == 302 and response.url == reverse(
        "article-detail", args=[first.pk]
    )
    assert Article.objects.get(pk=last.pk).status == Article.Status.REVIEWED
    response = reviewer_client.post(reverse("article-reviewed-next", args=[first.pk]), **HTMX)
    assert response["HX-Redirect"] == reverse("article-list")
    assert Article.objects.get(pk=done.pk).status == Article.Status.REVIEWED


def test_editor_corrects_details_from_the_page(editor_client, article):
    """An editor changes the title and source URL in place; the text stays."""
    response = editor_client.post(
        reverse("article-metadata", args=[article.pk]),
        {
            "title": "Talks advancing, Kirby says",
            "author": "Jane Doe",
            "published_at": "",
            "source_url": "https://example.org/talks",
        },
        **HTMX,
    )
    assert response.status_code == 200
    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.source_url, stored.body) == (
        "Talks advancing, Kirby says",
        "https://example.org/talks",
        article.body,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("source_url", "javascript:alert(1)"), ("title", ""), ("title", "t" * 600)],
)
def test_bad_details_are_a_form_error(editor_client, article, field, value):
    """A bad URL or title is a 422 with the form and its error; nothing is saved."""
    data = {"title": article.title, "author": "", "published_at": "", "source_url": ""}
    data[field] = value
    response = editor_client.post(reverse("article-metadata", args=[article.pk]), data, **HTMX)
    assert response.status_code == 422
    assert "errorlist" in response.content.decode()
    assert Article.objects.get(pk=article.pk).title == article.title


def test_reviewers_cannot_edit_details(reviewer_client, article):
    """Only editors change an article's details: a reviewer gets 403 and no form."""
    page = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert "Edit details" not in page
    response = reviewer_client.post(
        reverse("article-metadata", args=[article.pk]), {"title": "Mine"}, **HTMX
    )
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).title == article.title


def test_direction_controls_in_user_text_are_isolated(reviewer_client, reviewer, article):
    """A speaker with an unterminated RIGHT-TO-LEFT OVERRIDE is shown inside <bdi>, so
    it cannot reverse the text after it."""
    span = make_span(article, "Kirby said", reviewer)
    services.annotation_update(annotation=span, actor=reviewer, speaker="\u202eKirby")
    page = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert "<bdi>\u202eKirby</bdi>" in page


def test_source_form_is_fetched_when_opened(reviewer_client, other_reviewer, reviewer, article):
    """An htmx answer leaves out the "Add a source" form; opening it fetches the form for
    the span's author, and refuses anyone else."""
    mine = make_span(article, "Kirby said", reviewer)
    theirs = make_span(article, "Moscow denied it", other_reviewer)
    editor = reviewer_client.get(reverse("annotation-detail", args=[mine.pk]), **HTMX)
    assert 'name="source-url"' not in editor.content.decode()
    assert reverse("source-form", args=[mine.pk]) in editor.content.decode()
    form = reviewer_client.get(reverse("source-form", args=[mine.pk]), **HTMX)
    assert form.status_code == 200 and 'name="source-url"' in form.content.decode()
    refused = reviewer_client.get(reverse("source-form", args=[theirs.pk]), **HTMX)
    assert refused.status_code == 403
