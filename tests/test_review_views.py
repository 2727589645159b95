"""The review page and its endpoints: spans, edits, sources, status, permissions."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Annotation, Article, Evidence, HistoryEvent, Source, Speaker
from tests.factories import make_annotation, make_article, make_source, make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


def pane_text(content: bytes) -> str:
    """The reading pane's textContent, as a browser would compute it."""
    page = content.decode()
    match = re.search(r'<div id="article-text"[^>]*>(.*?)</div>', page, re.S)
    assert match, "the page has no reading pane"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def create(client, article, start, end, quote=None, label="claim", **extra):
    data = {"label": label, "start": start, "end": end}
    data["quote"] = article.body[start:end] if quote is None else quote
    return client.post(reverse("annotation-create", args=[article.pk]), data, **{**HTMX, **extra})


# --- access --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,args", [("article-list", []), ("article-detail", [1]), ("export", [])]
)
def test_anonymous_users_are_sent_to_the_login_page(client, name, args):
    """Anonymous users see only the login page."""
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_anonymous_post_stores_nothing(client, article):
    """An anonymous POST of a span is sent to login and stores nothing."""
    response = create(client, article, 0, 5)
    assert response["HX-Redirect"].startswith(reverse("login"))
    assert Annotation.objects.count() == 0


# --- the reading pane --------------------------------------------------------------------


@pytest.mark.django_db
def test_pane_text_equals_body_with_overlapping_spans_and_hard_characters(
    reviewer_client, reviewer
):
    """The pane's textContent equals the body exactly, with overlaps, emoji, RTL, CJK and markup."""
    body = (
        "Le ministre a dit 😀 «non»\u00a0!\nשלום עולם 東京 e\u0301\t"
        "<script>alert(1)</script> & <img src=x onerror=alert(1)>"
    )
    article = make_article(body)
    make_annotation(article, 0, 12, author=reviewer)
    make_annotation(article, 5, 25, author=reviewer, label_slug="denial")
    make_annotation(article, 30, 40, author=reviewer, label_slug="unverified-allegation")
    response = reviewer_client.get(reverse("article-detail", args=[article.pk]))
    assert response.status_code == 200
    assert pane_text(response.content) == article.body
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


@pytest.mark.django_db
def test_each_span_is_marked_with_its_id_and_label(reviewer_client, reviewer, article):
    """Every highlight is a <mark> with data-annotation-id and the label's slug."""
    annotation = make_annotation(article, 0, 5, author=reviewer, label_slug="denial")
    content = reviewer_client.get(reverse("article-detail", args=[article.pk])).content.decode()
    assert re.search(
        rf'<mark class="hl" data-annotation-id="{annotation.pk}" data-label="denial"', content
    )


@pytest.mark.django_db
def test_review_page_query_count_does_not_grow_with_spans(
    client, django_assert_num_queries, reviewer
):
    """The review page runs the same number of queries for 10 and for 1,000 spans."""
    small, large = make_article("word " * 2000), make_article("text " * 2000)
    for article, count in ((small, 10), (large, 1000)):
        Annotation.objects.bulk_create(
            Annotation(
                article=article,
                label_id=1 + i % 3,
                start=i * 5,
                end=i * 5 + 4,
                quote=article.body[i * 5 : i * 5 + 4],
                author=reviewer,
            )
            for i in range(count)
        )
    make_source(Annotation.objects.filter(article=large).first())
    client.force_login(reviewer)
    client.get(reverse("article-detail", args=[small.pk]))  # warm the session
    with CaptureQueriesContext(connection) as small_run:
        client.get(reverse("article-detail", args=[small.pk]))
    # session, user, permissions (2), article, the desk's access check (may open, blind,
    # the collection's labels and scale in one query), labels, spans, the verdicts of the
    # listed claims, deleted spans, the state tag, previous and next article: 13, whatever
    # the number of spans.
    assert len(small_run.captured_queries) <= 13
    with django_assert_num_queries(len(small_run.captured_queries)):
        response = client.get(reverse("article-detail", args=[large.pk]))
    assert response.content.count(b"data-first") == 1000


# --- creating spans ------------------------------------------------------------------------


@pytest.mark.django_db
def test_reviewer_creates_a_span_and_gets_the_changed_regions_back(
    reviewer_client, reviewer, article
):
    """A valid span is stored with its quote and context; the answer is the new span's
    editor plus the redrawn pane, span list and counts as out-of-band swaps, not the page
    or the whole workspace (so the reader's scroll and focus stay)."""
    start = article.body.index("the talks")
    end = start + len("the talks are advancing")
    response = create(reviewer_client, article, start, end)
    assert response.status_code == 200
    annotation = Annotation.objects.get()
    assert (annotation.start, annotation.end, annotation.quote) == (
        start,
        end,
        "the talks are advancing",
    )
    assert annotation.prefix == article.body[max(0, start - 32) : start]
    assert annotation.author == reviewer
    assert f'data-annotation-id="{annotation.pk}"'.encode() in response.content
    page = response.content.decode()
    assert "<html" not in page and 'id="workspace"' not in page
    assert f'data-annotation-ref="{annotation.pk}"' in page  # the editor, the main target
    for region in ("span-count", "span-list-total", "label-counts", "list-ops"):
        assert f'id="{region}" hx-swap-oob="innerHTML"' in page
    # Only the paragraph holding the span is redrawn, not the whole pane; and the span
    # list gets the one new item.
    assert page.count('class="blk"') == 1 and 'id="b0" data-at="0" hx-swap-oob="outerHTML"' in page
    assert page.count('data-op="upsert"') == 1 and f'id="li-{annotation.pk}"' in page
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    assert HistoryEvent.objects.filter(action="create", object_id=annotation.pk).exists()


@pytest.mark.django_db
def test_span_offsets_count_code_points_not_utf16_units(reviewer_client):
    """After an emoji (two UTF-16 units), offsets are still Python code points."""
    article = make_article("Smile 😀 then the claim follows.")
    start = article.body.index("the claim")
    response = create(reviewer_client, article, start, start + 9)
    assert response.status_code == 200
    assert Annotation.objects.get().quote == "the claim"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start,end,quote,message",
    [
        (0, 10_000, None, "ends after the text"),
        (5, 5, "", "has no text"),
        (8, 4, "x", "empty"),
        (0, 5, "Wrong", "does not match"),
        (-1, 4, "x", "greater than or equal to 0"),
        ("abc", 4, "x", "whole numbers"),
    ],
)
def test_bad_spans_are_refused_with_a_message_and_nothing_stored(
    reviewer_client, article, start, end, quote, message
):
    """Out-of-range, empty, reversed, mismatched or non-numeric spans get a clear 400."""
    data = {
        "label": "claim",
        "start": start,
        "end": end,
        "quote": quote if quote is not None else "x",
    }
    response = reviewer_client.post(reverse("annotation-create", args=[article.pk]), data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Annotation.objects.count() == 0
    assert HistoryEvent.objects.count() == 0


@pytest.mark.django_db
def test_unknown_label_is_refused(reviewer_client, article):
    """A span with a label that does not exist is refused, nothing stored."""
    response = create(reviewer_client, article, 0, 5, label="rumour")
    assert response.status_code == 400
    assert "Unknown or inactive label" in response.content.decode()
    assert Annotation.objects.count() == 0


@pytest.mark.django_db
def test_user_without_a_role_cannot_annotate(client, article):
    """A signed-in user in no group gets 403 and nothing is stored."""
    client.force_login(make_user(role="none"))
    response = create(client, article, 0, 5)
    assert response.status_code == 403
    assert Annotation.objects.count() == 0


# --- editing and deleting ------------------------------------------------------------------


def edit(client, annotation, **data):
    payload = {"edit-label": annotation.label_id, "edit-speaker": "", "edit-note": ""}
    payload.update({f"edit-{k}": v for k, v in data.items()})
    return client.post(reverse("annotation-detail", args=[annotation.pk]), payload, **HTMX)


@pytest.mark.django_db
def test_author_sets_speaker_note_and_label(reviewer_client, reviewer, article):
    """The author edits a span in place: label, speaker and note are saved and recorded."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    denial = annotation.label.__class__.objects.get(slug="denial")
    response = edit(
        reviewer_client, annotation, label=denial.pk, speaker="John Kirby", note="Said on Wednesday"
    )
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert (annotation.label.slug, annotation.speaker.name, annotation.note) == (
        "denial",
        "John Kirby",
        "Said on Wednesday",
    )
    event = HistoryEvent.objects.get(action="update")
    assert event.before["speaker"] == "" and event.after["speaker"] == "John Kirby"


@pytest.mark.django_db
def test_reviewer_cannot_edit_another_reviewers_span(client, reviewer, other_reviewer, article):
    """A reviewer editing another reviewer's span gets 403 and the span is unchanged."""
    annotation = make_annotation(article, 0, 5, author=other_reviewer, speaker="Original")
    client.force_login(reviewer)
    response = edit(client, annotation, speaker="Hijacked")
    assert response.status_code == 403
    annotation.refresh_from_db()
    assert annotation.speaker.name == "Original"
    assert not Speaker.objects.filter(name="Hijacked").exists()
    assert not HistoryEvent.objects.exists()


@pytest.mark.django_db
def test_reviewer_cannot_delete_another_reviewers_span(client, reviewer, other_reviewer, article):
    """A reviewer deleting another reviewer's span gets 403 and the span stays."""
    annotation = make_annotation(article, 0, 5, author=other_reviewer)
    client.force_login(reviewer)
    response = client.post(reverse("annotation-delete", args=[annotation.pk]), **HTMX)
    assert response.status_code == 403
    assert "your own annotations" in response.content.decode()
    assert Annotation.objects.filter(pk=annotation.pk).exists()


@pytest.mark.django_db
def test_editor_edits_anyones_span(editor_client, reviewer, article):
    """An editor can change a reviewer's span."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    response = edit(editor_client, annotation, speaker="Kremlin")
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert annotation.speaker.name == "Kremlin"


@pytest.mark.django_db
def test_deleted_span_is_listed_and_can_be_restored_with_its_sources(
    reviewer_client, reviewer, article
):
    """Deleting keeps a history entry; Restore brings back the span and its sources."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    make_source(annotation, "https://example.org/a", title="Report A")
    response = reviewer_client.post(reverse("annotation-delete", args=[annotation.pk]), **HTMX)
    assert response.status_code == 200
    assert not Annotation.objects.exists()
    assert "Recently deleted" in response.content.decode()
    event = HistoryEvent.objects.get(action="delete")
    response = reviewer_client.post(reverse("annotation-restore", args=[event.pk]), **HTMX)
    assert response.status_code == 200
    restored = Annotation.objects.get(pk=annotation.pk)
    assert list(restored.sources.values_list("source__title", flat=True)) == ["Report A"]
    again = reviewer_client.post(reverse("annotation-restore", args=[event.pk]), **HTMX)
    assert again.status_code == 409
    assert "already been restored" in again.content.decode()


@pytest.mark.django_db
def test_annotation_url_opens_the_page_with_the_editor(reviewer_client, reviewer, article):
    """/annotations/ID/ works on a full reload: the whole page with that span open."""
    annotation = make_annotation(article, 0, 5, author=reviewer, speaker="Kirby")
    response = reviewer_client.get(reverse("annotation-detail", args=[annotation.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" in content and 'value="Kirby"' in content
    partial = reviewer_client.get(reverse("annotation-detail", args=[annotation.pk]), **HTMX)
    assert "<html" not in partial.content.decode() and 'value="Kirby"' in partial.content.decode()


# --- sources ---------------------------------------------------------------------------------


def add_source(client, annotation, **data):
    payload = {
        "source-url": "https://example.org/",
        "source-title": "",
        "source-publisher": "",
        "source-stance": "supports",
        "source-quoted_passage": "",
        "source-accessed_on": "",
    }
    payload.update({f"source-{k}": v for k, v in data.items()})
    return client.post(reverse("source-create", args=[annotation.pk]), payload, **HTMX)


@pytest.mark.django_db
def test_reviewer_attaches_sources_to_a_span(reviewer_client, reviewer, article):
    """One or more sources with URL, title and stance are attached to a span."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    add_source(
        reviewer_client,
        annotation,
        url="https://www.whitehouse.gov/briefing",
        title="Briefing",
        stance="supports",
    )
    response = add_source(
        reviewer_client, annotation, url="http://example.org/denial", stance="refutes"
    )
    assert response.status_code == 200
    assert list(annotation.sources.values_list("source__url", "stance")) == [
        ("https://www.whitehouse.gov/briefing", "supports"),
        ("http://example.org/denial", "refutes"),
    ]
    assert "Briefing" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.org/f",
        "https://exa mple.org/",
        "https://example.org/a b",
        "not a url",
        "",
    ],
)
def test_non_http_source_urls_are_a_form_error_and_nothing_is_stored(
    reviewer_client, reviewer, article, url
):
    """A source URL that is not http(s) re-renders the form with an error; nothing stored."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    response = add_source(reviewer_client, annotation, url=url, title="Kept title")
    assert response.status_code == 422
    content = response.content.decode()
    assert "errorlist" in content
    assert "Kept title" in content  # what the reviewer typed is not lost
    assert Source.objects.count() == 0


@pytest.mark.django_db
def test_reviewer_cannot_add_or_remove_sources_on_another_reviewers_span(
    client, reviewer, other_reviewer, article
):
    """Sources of another reviewer's span cannot be added or removed by a reviewer."""
    annotation = make_annotation(article, 0, 5, author=other_reviewer)
    source = make_source(annotation)
    client.force_login(reviewer)
    assert add_source(client, annotation).status_code == 403
    assert client.post(reverse("source-delete", args=[source.pk]), **HTMX).status_code == 403
    assert list(Evidence.objects.all()) == [source]
    assert list(Source.objects.all()) == [source.source]


@pytest.mark.django_db
def test_removing_a_source_is_recorded(reviewer_client, reviewer, article):
    annotation = make_annotation(article, 0, 5, author=reviewer)
    source = make_source(annotation)
    response = reviewer_client.post(reverse("source-delete", args=[source.pk]), **HTMX)
    assert response.status_code == 200
    assert not Evidence.objects.exists()
    # The shared record stays for other spans (and for a restore).
    assert Source.objects.filter(pk=source.source_id).exists()
    assert HistoryEvent.objects.get(kind="source", action="delete").before["url"] == source.url


# --- status, list, stylesheet, errors ----------------------------------------------------------


@pytest.mark.django_db
def test_reviewer_marks_article_reviewed(reviewer_client, article):
    response = reviewer_client.post(
        reverse("article-status", args=[article.pk]), {"status": "reviewed"}, **HTMX
    )
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.status == "reviewed"


@pytest.mark.django_db
def test_unknown_status_is_refused(reviewer_client, article):
    response = reviewer_client.post(
        reverse("article-status", args=[article.pk]), {"status": "done"}, **HTMX
    )
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.status == "new"


@pytest.mark.django_db
def test_article_list_shows_metadata_status_and_counts_per_label(
    reviewer_client, reviewer, article
):
    """The list shows title, author, date, status and span counts per label."""
    make_annotation(article, 0, 5, author=reviewer)
    make_annotation(article, 6, 10, author=reviewer)
    make_annotation(article, 11, 15, author=reviewer, label_slug="denial")
    content = reviewer_client.get(reverse("article-list")).content.decode()
    assert "Talks advancing" in content and "Jane Doe" in content
    assert 'title="Claim: 2"' in content and 'title="Denial: 1"' in content
    assert 'title="Unverified allegation: 0"' in content


@pytest.mark.django_db
def test_article_list_queries_do_not_grow_with_articles(reviewer_client, django_assert_num_queries):
    """The list runs the same number of queries for 2 and for 40 articles."""
    make_article("Body A"), make_article("Body B")
    reviewer_client.get(reverse("article-list"))
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(reverse("article-list"))
    for i in range(38):
        make_article(f"Body {i}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = reviewer_client.get(reverse("article-list"))
    assert response.content.count(b'class="title-cell"') == 40


@pytest.mark.django_db
def test_article_list_search_and_status_filter(reviewer_client, article):
    make_article("Other body", title="Unrelated piece")
    content = reviewer_client.get(reverse("article-list"), {"q": "talks"}).content.decode()
    assert "Talks advancing" in content and "Unrelated piece" not in content
    content = reviewer_client.get(reverse("article-list"), {"status": "reviewed"}).content.decode()
    assert "No articles match" in content


@pytest.mark.django_db
def test_label_stylesheet_carries_the_label_colours(reviewer_client):
    response = reviewer_client.get(reverse("label-stylesheet"))
    assert response["Content-Type"].startswith("text/css")
    assert '[data-label="claim"] { --label-colour: #1f6fb2; }' in response.content.decode()


@pytest.mark.django_db
def test_missing_article_is_a_friendly_404(reviewer_client):
    response = reviewer_client.get(reverse("article-detail", args=[999999]))
    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(reviewer_client, article):
    """Nothing may load from another origin: scripts need our nonce."""
    response = reviewer_client.get(reverse("article-detail", args=[article.pk]))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'nonce-" in policy
    assert not re.search(r'(src|href)="(https?:)?//', response.content.decode())


@pytest.mark.django_db
def test_expired_session_on_an_htmx_request_sends_the_browser_to_login(client, article):
    """An htmx request without a session gets HX-Redirect to login (not a login form swapped in)."""
    page = f"http://testserver/articles/{article.pk}/"
    response = client.post(
        reverse("annotation-create", args=[article.pk]),
        {"label": "claim", "start": 0, "end": 5, "quote": article.body[:5]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=page,
    )
    assert response["HX-Redirect"] == f"/login/?next=/articles/{article.pk}/"
    assert Annotation.objects.count() == 0


@pytest.mark.django_db
def test_stale_csrf_token_gets_a_clear_message_and_stores_nothing(reviewer, article):
    """A POST with a stale CSRF token is refused with a message a person can act on."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(
        reverse("annotation-create", args=[article.pk]),
        {"label": "claim", "start": 0, "end": 5, "quote": article.body[:5]},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN="stale",
    )
    assert response.status_code == 403
    assert "Reload the page" in response.content.decode()
    assert Annotation.objects.count() == 0


@pytest.mark.django_db
def test_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url.endswith("favicon.svg")


@pytest.mark.django_db
def test_a_span_deleted_twice_is_offered_for_restore_once(reviewer_client, reviewer, article):
    """Delete, restore, edit, delete again: one Restore entry, and it brings back the last
    version."""
    annotation = make_annotation(article, 0, 5, author=reviewer, speaker="First")
    delete_url = reverse("annotation-delete", args=[annotation.pk])
    reviewer_client.post(delete_url, **HTMX)
    first = HistoryEvent.objects.get(action="delete")
    reviewer_client.post(reverse("annotation-restore", args=[first.pk]), **HTMX)
    edit(reviewer_client, Annotation.objects.get(pk=annotation.pk), speaker="Second")
    response = reviewer_client.post(delete_url, **HTMX)
    content = response.content.decode()
    assert content.count(">Restore</button>") == 1
    latest = HistoryEvent.objects.filter(action="delete").order_by("-at", "-id").first()
    assert f"/history/{latest.pk}/restore/" in content
    reviewer_client.post(reverse("annotation-restore", args=[latest.pk]), **HTMX)
    assert Annotation.objects.get(pk=annotation.pk).speaker.name == "Second"
