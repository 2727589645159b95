"""annotations/admin.py: every page loads and escapes user text; writes go through the
services (offset checks, history); roles decide who gets in."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.admin import ArticleAdminForm
from annotations.models import (
    Annotation,
    Article,
    Evidence,
    HistoryEvent,
    Label,
    Rating,
    RatingScale,
    Source,
    Speaker,
)
from annotations.models.article import body_hash
from tests.factories import (
    label,
    make_annotation,
    make_article,
    make_source,
    make_speaker,
    make_user,
)

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"

NO_SOURCES = {
    "sources-TOTAL_FORMS": "0",
    "sources-INITIAL_FORMS": "0",
    "sources-MIN_NUM_FORMS": "0",
    "sources-MAX_NUM_FORMS": "1000",
}


def assert_no_raw_markup(response):
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
    return html


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def hostile(admin_user, reviewer):
    """A full set of objects whose text fields are all markup."""
    admin_user.first_name = IMG
    admin_user.save()
    bad_label = Label.objects.create(
        name=f"Bad {IMG}", slug="bad", colour="#123456", shortcut="9", description=XSS
    )
    article = make_article(
        f"Intro {XSS} middle {IMG} end.",
        title=XSS,
        author=IMG,
        publisher=IMG,
        import_metadata={"file": XSS, "dropped": [IMG]},
        assignee=admin_user,
    )
    start = article.body.index(XSS)
    annotation = services.annotation_create(
        article=article,
        label=bad_label,
        start=start,
        end=start + len(XSS),
        quote=XSS,
        author=reviewer,
        speaker=IMG,
        note=XSS,
    )
    source = make_source(
        annotation,
        url=f"https://example.org/?q={XSS}",
        title=XSS,
        publisher=IMG,
        quoted_passage=XSS,
        created_by=reviewer,
    )
    services.annotation_update(annotation=annotation, actor=reviewer, note=f"{XSS} again")
    deleted = make_annotation(article, 0, 5, author=reviewer, speaker=IMG, note=XSS)
    make_source(deleted, title=XSS)
    event = services.annotation_delete(annotation=deleted, actor=reviewer)
    img_at = article.body.index(IMG)
    other = make_annotation(article, img_at, img_at + len(IMG), author=reviewer)
    relation = services.relation_create(
        from_span=other, to_span_id=annotation.pk, type="denies", actor=reviewer
    )
    scale = RatingScale.objects.create(name=f"Scale {XSS}", description=IMG)
    Rating.objects.create(scale=scale, name=f"Rating {IMG}", slug="bad", value=9, description=XSS)
    return {
        "article": article,
        "label": bad_label,
        "annotation": annotation,
        "source": source,
        "record": source.source,
        "speaker": Speaker.objects.get(name=IMG),
        "relation": relation,
        "scale": scale,
        "event": event,
        "user": admin_user,
    }


# --- every page loads, and markup stays text ---------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:annotations_article_changelist",
        "admin:annotations_label_changelist",
        "admin:annotations_annotation_changelist",
        "admin:annotations_evidence_changelist",
        "admin:annotations_source_changelist",
        "admin:annotations_speaker_changelist",
        "admin:annotations_ratingscale_changelist",
        "admin:annotations_relation_changelist",
        "admin:annotations_historyevent_changelist",
        "admin:auth_user_changelist",
        "admin:annotations_article_add",
        "admin:annotations_label_add",
        "admin:annotations_annotation_add",
        "admin:annotations_evidence_add",
        "admin:annotations_speaker_add",
        "admin:annotations_ratingscale_add",
        "admin:annotations_relation_add",
    ],
)
def test_pages_load_with_markup_escaped(admin_client, hostile, name):
    """Changelists and add pages load for the superuser; no markup comes out raw."""
    assert_no_raw_markup(admin_client.get(reverse(name)))


@pytest.mark.parametrize(
    "name, key, expected",
    [
        ("admin:annotations_article_changelist", None, [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_label_changelist", None, [IMG_ESCAPED]),
        ("admin:annotations_annotation_changelist", None, [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_evidence_changelist", None, [XSS_ESCAPED]),
        ("admin:annotations_source_changelist", None, [XSS_ESCAPED]),
        ("admin:annotations_speaker_changelist", None, [IMG_ESCAPED]),
        ("admin:annotations_ratingscale_changelist", None, [XSS_ESCAPED]),
        ("admin:annotations_relation_changelist", None, [XSS_ESCAPED]),
        ("admin:annotations_historyevent_changelist", None, [XSS_ESCAPED]),
        ("admin:auth_user_changelist", None, [IMG_ESCAPED]),
        ("admin:annotations_article_change", "article", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_label_change", "label", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_annotation_change", "annotation", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_evidence_change", "source", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_source_change", "record", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_speaker_change", "speaker", [IMG_ESCAPED]),
        ("admin:annotations_ratingscale_change", "scale", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:annotations_relation_change", "relation", [XSS_ESCAPED]),
        ("admin:annotations_historyevent_change", "event", [XSS_ESCAPED, IMG_ESCAPED]),
        ("admin:auth_user_change", "user", [IMG_ESCAPED]),
        ("admin:annotations_article_delete", "article", [XSS_ESCAPED]),
        ("admin:annotations_annotation_delete", "annotation", [XSS_ESCAPED]),
        ("admin:annotations_evidence_delete", "source", [XSS_ESCAPED]),
        ("admin:annotations_source_delete", "record", [XSS_ESCAPED]),
        ("admin:annotations_speaker_delete", "speaker", [IMG_ESCAPED]),
        ("admin:annotations_ratingscale_delete", "scale", [XSS_ESCAPED]),
        ("admin:annotations_relation_delete", "relation", []),
    ],
)
def test_user_text_is_shown_escaped(admin_client, hostile, name, key, expected):
    """Titles, quotes, speakers, notes, sources, metadata and history snapshots appear
    as escaped text (&lt;script&gt;), never as markup."""
    args = [hostile[key].pk] if key else []
    html = assert_no_raw_markup(admin_client.get(reverse(name, args=args)))
    for text in expected:
        assert text in html


def test_search_terms_are_escaped(admin_client, hostile):
    """A search for markup finds the article and echoes the term escaped."""
    url = reverse("admin:annotations_article_changelist")
    html = assert_no_raw_markup(admin_client.get(url, {"q": XSS}))
    assert "0 of 1 selected" in html
    assert f'value="{XSS_ESCAPED}"' in html


def test_form_errors_quote_the_article_escaped(admin_client, hostile):
    """When a typed quote does not match, the error quotes the article, escaped."""
    article = hostile["article"]
    start = article.body.index(XSS)
    response = admin_client.post(
        reverse("admin:annotations_annotation_add"),
        {
            "article": article.pk,
            "label": label("claim").pk,
            "start": start,
            "end": start + len(XSS),
            "quote": "something else",
            **NO_SOURCES,
        },
    )
    html = assert_no_raw_markup(response)
    assert f"the text reads “{XSS_ESCAPED}”" in html


def test_label_swatch_only_renders_a_valid_colour(admin_client, hostile):
    """The swatch is drawn for a hex colour; anything else stored is not put in a style."""
    url = reverse("admin:annotations_label_changelist")
    assert "background: #123456" in admin_client.get(url).content.decode()
    Label.objects.filter(pk=hostile["label"].pk).update(colour="red;x:1")
    html = admin_client.get(url).content.decode()
    assert "background: red" not in html


# --- roles ----------------------------------------------------------------------------------


def test_editor_reaches_the_annotations_admin(editor_client, hostile):
    """Editors (staff, Editors group) use the annotations admin."""
    for name in (
        "admin:index",
        "admin:annotations_article_changelist",
        "admin:annotations_annotation_changelist",
        "admin:annotations_evidence_changelist",
        "admin:annotations_source_changelist",
        "admin:annotations_speaker_changelist",
        "admin:annotations_ratingscale_changelist",
        "admin:annotations_relation_changelist",
        "admin:annotations_label_changelist",
        "admin:annotations_historyevent_changelist",
        "admin:annotations_annotation_add",
        "admin:annotations_relation_add",
    ):
        assert_no_raw_markup(editor_client.get(reverse(name)))
    change = reverse("admin:annotations_annotation_change", args=[hostile["annotation"].pk])
    assert 'name="_save"' in editor_client.get(change).content.decode()


def test_editor_cannot_reach_the_users_admin(editor_client):
    """Managing people is for admins only."""
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_editor_cannot_delete_articles(editor_client, hostile):
    """Editors have no delete permission on articles."""
    url = reverse("admin:annotations_article_delete", args=[hostile["article"].pk])
    assert editor_client.get(url).status_code == 403
    assert Article.objects.filter(pk=hostile["article"].pk).exists()


@pytest.mark.parametrize("path", ["/admin/", "/admin/annotations/annotation/"])
def test_reviewer_cannot_reach_the_admin(reviewer_client, path):
    """A reviewer (not staff) is sent to the admin login page instead."""
    response = reviewer_client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_anonymous_cannot_reach_the_admin(client):
    """Signed-out visitors only see a login page."""
    response = client.get("/admin/annotations/article/")
    assert response.status_code == 302
    assert "login" in response.url


def test_user_list_shows_roles(admin_client, reviewer, editor):
    """The users list has a role column."""
    html = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "Reviewer" in html
    assert "Editor" in html
    assert "Admin" in html


# --- articles ---------------------------------------------------------------------------


def article_post_data(article: Article, **changes) -> dict:
    data = {
        "title": article.title,
        "author": article.author,
        "publisher": article.publisher,
        "published_at_0": "",
        "published_at_1": "",
        "source_url": article.source_url,
        "status": article.status,
        "assignee": article.assignee_id or "",
        "body": article.body,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_article_changelist_counts_spans_without_n_plus_one(admin_client, reviewer):
    """The span count column is one annotated query, whatever the number of rows."""
    url = reverse("admin:annotations_article_changelist")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    first = make_article()
    make_annotation(first, 0, 7, author=reviewer)
    make_annotation(first, 8, 14, author=reviewer)
    few = queries()
    for _ in range(5):
        article = make_article(assignee=reviewer)
        make_annotation(article, 0, 7, author=reviewer)
    assert queries() == few
    html = admin_client.get(url).content.decode()
    assert '<td class="field-span_count">2</td>' in html


def test_body_is_read_only_once_spans_exist(admin_client, article, reviewer):
    """With spans in it, the body is shown read-only and a posted body is ignored."""
    make_annotation(article, 0, 5, author=reviewer)
    url = reverse("admin:annotations_article_change", args=[article.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="body"' not in html
    assert "The text is locked" in html
    original = article.body
    response = admin_client.post(url, article_post_data(article, body="Replaced.", title="New"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == original
    assert article.title == "New"


def test_form_refuses_a_body_change_when_spans_exist(article, reviewer):
    """The admin form itself refuses to change a body that spans point into."""
    make_annotation(article, 0, 5, author=reviewer)
    original = article.body
    form = ArticleAdminForm(
        data=article_post_data(article, body="Completely different text."), instance=article
    )
    assert not form.is_valid()
    assert form.errors["body"] == [
        "The text cannot change: 1 span(s) point into it by character offsets. Import the "
        "corrected text as a new article instead, or delete the spans first."
    ]
    article.refresh_from_db()
    assert article.body == original


def test_form_accepts_the_same_body_sent_back_with_crlf(article, reviewer):
    """A browser sends textarea newlines as CRLF; that is not a change of the text."""
    make_annotation(article, 0, 5, author=reviewer)
    form = ArticleAdminForm(
        data=article_post_data(article, body=article.body.replace("\n", "\r\n")),
        instance=article,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == article.body


def test_body_without_spans_can_change_and_is_made_canonical(admin_client, article):
    """Without spans the body may change; it is stored canonical and re-hashed."""
    url = reverse("admin:annotations_article_change", args=[article.pk])
    response = admin_client.post(
        url, article_post_data(article, body="\ufeffNew\r\ntext with Cafe\u0301\x07 ")
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "New\ntext with Café "
    assert article.content_hash == body_hash("New\ntext with Café ")


def test_adding_an_article_with_known_text_is_refused(admin_client, article):
    """The same text twice is refused with a pointer to the existing article."""
    before = Article.objects.count()
    response = admin_client.post(
        reverse("admin:annotations_article_add"),
        article_post_data(Article(title="Copy", status="new"), body=article.body),
    )
    assert response.status_code == 200
    assert "An article with exactly this text already exists: “Talks advancing”" in (
        response.content.decode()
    )
    assert Article.objects.count() == before


def test_adding_an_article_records_where_it_came_from(admin_client, admin_user):
    """An article typed into the admin says so in its import metadata."""
    response = admin_client.post(
        reverse("admin:annotations_article_add"),
        article_post_data(Article(title="Typed", status="new"), body="Typed in the admin."),
    )
    assert response.status_code == 302
    article = Article.objects.get(title="Typed")
    assert article.import_metadata == {"importer": "admin", "imported_by": admin_user.username}


def test_deleting_an_article_records_its_spans(admin_client, article, reviewer):
    """Deleting an article in the admin puts each of its spans in the history first."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    make_source(annotation)
    url = reverse("admin:annotations_article_delete", args=[article.pk])
    # Deleting an article with spans asks for its id to be typed (the explicit confirmation).
    confirmed = {"post": "yes", "confirm_article_id": str(article.pk)}
    assert admin_client.post(url, confirmed).status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    event = HistoryEvent.objects.get(
        action=HistoryEvent.Action.DELETE, kind=HistoryEvent.Kind.ANNOTATION
    )
    assert event.object_id == annotation.pk
    assert event.before["quote"] == annotation.quote
    assert len(event.before["sources"]) == 1


# --- annotations ------------------------------------------------------------------------


def annotation_add(client, article, start, end, quote, **extra):
    data = {
        "article": article.pk,
        "label": label("claim").pk,
        "start": start,
        "end": end,
        "quote": quote,
        "speaker": "",
        "note": "",
        **NO_SOURCES,
        "_save": "Save",
    }
    data.update(extra)
    return client.post(reverse("admin:annotations_annotation_add"), data)


def test_add_annotation_goes_through_the_service(admin_client, admin_user, article):
    """A span added in the admin gets its context, its author and a history event."""
    start = article.body.index("the talks")
    kirby = make_speaker("Kirby")
    response = annotation_add(
        admin_client, article, start, start + 9, "the talks", speaker=kirby.pk
    )
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert annotation.quote == "the talks"
    assert annotation.prefix == article.body[:start]
    assert annotation.suffix == article.body[start + 9 : start + 9 + 32]
    assert annotation.author == admin_user
    assert annotation.speaker == kirby
    event = HistoryEvent.objects.get()
    assert (event.action, event.actor) == (HistoryEvent.Action.CREATE, admin_user)
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW


@pytest.mark.parametrize(
    "start, end, quote, message",
    [
        (0, 5, "Moscow", "The quote does not match the article: at 0–5 the text reads “Kirby”."),
        (
            1,
            6,
            "Kirby",
            "at 1–6 the text reads “irby ”. The quote occurs at 0–5. Nothing was saved.",
        ),
        (0, 10_000, "Kirby", "The span ends after the text (end=10000, the text has"),
        (5, 5, "x", "The span is empty (start=5, end=5)."),
        (5, 6, " ", "The span covers only white space."),
    ],
)
def test_add_annotation_refuses_offsets_that_do_not_match(
    admin_client, article, start, end, quote, message
):
    """Offsets whose text is not the typed quote are refused with a clear error; nothing
    is stored and no history is written."""
    response = annotation_add(admin_client, article, start, end, quote)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Annotation.objects.count() == 0
    assert HistoryEvent.objects.count() == 0


def test_add_annotation_refuses_an_inactive_label(admin_client, article):
    """Retired labels are not offered for new spans."""
    retired = Label.objects.create(name="Retired", slug="retired", active=False)
    response = annotation_add(admin_client, article, 0, 5, "Kirby", label=retired.pk)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Annotation.objects.count() == 0


def test_quote_newlines_from_the_browser_are_normalised(admin_client, article):
    """A quote typed across a line break (sent as CRLF) matches the "\\n" body."""
    start = article.body.index("Wednesday.")
    end = article.body.index(" denied")
    quote = article.body[start:end].replace("\n", "\r\n")
    assert annotation_add(admin_client, article, start, end, quote).status_code == 302
    assert Annotation.objects.get().quote == "Wednesday.\nMoscow"


def test_add_annotation_with_sources_records_each(admin_client, article):
    """Sources added inline are created through the service and recorded."""
    data = {
        "sources-TOTAL_FORMS": "1",
        "sources-INITIAL_FORMS": "0",
        "sources-0-url": "https://example.org/report",
        "sources-0-stance": "supports",
        "sources-0-title": "Report",
        "sources-0-publisher": "",
        "sources-0-quoted_passage": "",
        "sources-0-accessed_on": "",
    }
    response = annotation_add(admin_client, article, 0, 5, "Kirby", **data)
    assert response.status_code == 302
    source = Evidence.objects.get()
    assert source.annotation == Annotation.objects.get()
    assert (source.url, source.title, source.stance) == (
        "https://example.org/report",
        "Report",
        "supports",
    )
    assert source.accessed_on is not None
    kinds = sorted(HistoryEvent.objects.values_list("kind", "action"))
    assert kinds == [("annotation", "create"), ("source", "create"), ("source_record", "create")]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "ftp://x"]
)
def test_inline_source_with_a_bad_url_stores_nothing(admin_client, article, url):
    """A non-http(s) source URL is refused; neither the span nor the source is stored."""
    data = {
        "sources-TOTAL_FORMS": "1",
        "sources-INITIAL_FORMS": "0",
        "sources-0-url": url,
        "sources-0-stance": "supports",
    }
    response = annotation_add(admin_client, article, 0, 5, "Kirby", **data)
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode() or (
        "Enter an http:// or https:// URL." in response.content.decode()
    )
    assert Annotation.objects.count() == Evidence.objects.count() == 0
    assert Source.objects.count() == HistoryEvent.objects.count() == 0


def change_annotation_data(annotation, **changes):
    data = {
        "label": annotation.label_id,
        "speaker": annotation.speaker_id or "",
        "note": annotation.note,
        **NO_SOURCES,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_change_annotation_records_before_and_after(admin_client, admin_user, article, reviewer):
    """Label, speaker and note change through the service, with a history event; the
    offsets cannot be changed from the form."""
    annotation = make_annotation(article, 0, 5, author=reviewer, note="old")
    url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
    response = admin_client.post(
        url,
        change_annotation_data(
            annotation, label=label("denial").pk, note="new", start=1, end=3, quote="ir"
        ),
    )
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert (annotation.label.slug, annotation.note) == ("denial", "new")
    assert (annotation.start, annotation.end, annotation.quote) == (0, 5, "Kirby")
    assert annotation.author == reviewer
    event = HistoryEvent.objects.get(action=HistoryEvent.Action.UPDATE)
    assert event.actor == admin_user
    assert (event.before["note"], event.after["note"]) == ("old", "new")


def test_change_annotation_source_inline_records_update_and_delete(admin_client, article, reviewer):
    """Editing a source inline records an update; ticking delete records a deletion."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    kept = make_source(annotation, "https://example.org/kept", title="Old title")
    dropped = make_source(annotation, "https://example.org/dropped")
    url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
    data = change_annotation_data(annotation)
    data.update(
        {
            "sources-TOTAL_FORMS": "2",
            "sources-INITIAL_FORMS": "2",
            "sources-0-id": kept.pk,
            "sources-0-annotation": annotation.pk,
            "sources-0-url": kept.url,
            "sources-0-stance": "refutes",
            "sources-0-title": "New title",
            "sources-1-id": dropped.pk,
            "sources-1-annotation": annotation.pk,
            "sources-1-url": dropped.url,
            "sources-1-stance": dropped.stance,
            "sources-1-DELETE": "on",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    kept.refresh_from_db()
    kept.source.refresh_from_db()
    assert (kept.title, kept.stance) == ("New title", "refutes")
    assert not Evidence.objects.filter(pk=dropped.pk).exists()
    update = HistoryEvent.objects.get(kind="source", action="update")
    assert (update.before["title"], update.after["title"]) == ("Old title", "New title")
    deletion = HistoryEvent.objects.get(kind="source", action="delete")
    assert deletion.object_id == dropped.pk


def test_delete_annotation_is_recorded_and_restorable(admin_client, article, reviewer):
    """Deleting in the admin goes through the service: the history keeps the span."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    make_source(annotation)
    url = reverse("admin:annotations_annotation_delete", args=[annotation.pk])
    # Deleting an article with spans asks for its id to be typed (the explicit confirmation).
    confirmed = {"post": "yes", "confirm_article_id": str(article.pk)}
    assert admin_client.post(url, confirmed).status_code == 302
    event = HistoryEvent.objects.get(
        action=HistoryEvent.Action.DELETE, kind=HistoryEvent.Kind.ANNOTATION
    )
    assert event.before["quote"] == "Kirby"
    assert len(event.before["sources"]) == 1


def test_bulk_delete_action_records_each(admin_client, article, reviewer):
    """The "delete selected" action records one event per span."""
    first = make_annotation(article, 0, 5, author=reviewer)
    second = make_annotation(article, 6, 10, author=reviewer)
    response = admin_client.post(
        reverse("admin:annotations_annotation_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert Annotation.objects.count() == 0
    deleted = set(HistoryEvent.objects.filter(action="delete").values_list("object_id", flat=True))
    assert deleted == {first.pk, second.pk}


def test_editor_can_change_a_reviewers_annotation(editor_client, editor, article, reviewer):
    """Editors edit anyone's spans in the admin too, with history."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
    response = editor_client.post(url, change_annotation_data(annotation, note="checked"))
    assert response.status_code == 302
    assert HistoryEvent.objects.get(action="update").actor == editor


def test_staff_without_edit_any_sees_others_spans_read_only(client, article, reviewer):
    """A staff reviewer may look, but cannot change or delete another's span."""
    staff_reviewer = make_user("sam", role="reviewer")
    staff_reviewer.is_staff = True
    staff_reviewer.save()
    client.force_login(staff_reviewer)
    annotation = make_annotation(article, 0, 5, author=reviewer, note="theirs")
    url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
    html = client.get(url).content.decode()
    assert 'name="_save"' not in html
    assert client.post(url, change_annotation_data(annotation, note="mine")).status_code == 403
    delete = reverse("admin:annotations_annotation_delete", args=[annotation.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    annotation.refresh_from_db()
    assert annotation.note == "theirs"
    assert HistoryEvent.objects.count() == 0


# --- sources ----------------------------------------------------------------------------


def test_source_admin_add_and_bad_url(admin_client, article, reviewer):
    """The citation (evidence link) admin creates through the service and refuses
    non-http URLs."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    url = reverse("admin:annotations_evidence_add")
    data = {"annotation": annotation.pk, "url": "javascript:alert(1)", "stance": "context"}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Enter an http:// or https:// URL." in response.content.decode()
    assert Evidence.objects.count() == Source.objects.count() == 0
    data["url"] = "https://example.org/ok"
    assert admin_client.post(url, data).status_code == 302
    assert Evidence.objects.get().url == "https://example.org/ok"
    assert HistoryEvent.objects.get(kind="source").action == "create"


def test_source_admin_filters_by_stance(admin_client, article, reviewer):
    """The citation list can be filtered by stance."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    make_source(annotation, "https://example.org/backs", title="Backs it", stance="supports")
    make_source(annotation, "https://example.org/knocks", title="Knocks it", stance="refutes")
    url = reverse("admin:annotations_evidence_changelist")
    html = admin_client.get(url, {"stance__exact": "refutes"}).content.decode()
    assert "Knocks it" in html
    assert "Backs it" not in html


# --- history ----------------------------------------------------------------------------


def test_history_is_read_only(admin_client, article, reviewer):
    """History events cannot be added, changed or deleted, even by a superuser."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    event = services.annotation_delete(annotation=annotation, actor=reviewer)
    assert admin_client.get(reverse("admin:annotations_historyevent_add")).status_code == 403
    change = reverse("admin:annotations_historyevent_change", args=[event.pk])
    html = admin_client.get(change).content.decode()
    assert 'name="_save"' not in html
    delete = reverse("admin:annotations_historyevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert HistoryEvent.objects.filter(pk=event.pk).exists()


def restore(client, *events):
    return client.post(
        reverse("admin:annotations_historyevent_changelist"),
        {"action": "restore_deleted_annotations", "_selected_action": [e.pk for e in events]},
        follow=True,
    )


def test_restore_action_brings_annotations_back(admin_client, article, reviewer):
    """The action restores each selected deletion, sources included, and says so."""
    first = make_annotation(article, 0, 5, author=reviewer)
    make_source(first)
    second = make_annotation(article, 6, 10, author=reviewer)
    pks = [first.pk, second.pk]
    events = [services.annotation_delete(annotation=a, actor=reviewer) for a in (first, second)]
    response = restore(admin_client, *events)
    assert response.status_code == 200
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [f"Restored 2 annotation(s) with their sources: #{pks[0]}, #{pks[1]}."]
    assert set(Annotation.objects.values_list("pk", flat=True)) == set(pks)
    assert Evidence.objects.get().annotation_id == pks[0]
    assert HistoryEvent.objects.filter(action="restore").count() == 2


def test_restore_action_reports_what_it_could_not_do(admin_client, article, reviewer):
    """Restoring twice, or picking an event that is not a deletion, is reported."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    pk = annotation.pk
    event = services.annotation_delete(annotation=annotation, actor=reviewer)
    restore(admin_client, event)
    created = HistoryEvent.objects.get(action="restore")
    count = HistoryEvent.objects.count()
    response = restore(admin_client, event, created)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [
        f"Annotation #{pk} was not restored: This span has already been restored.",
        "Skipped 1 event(s) that are not deletions of an annotation.",
    ]
    assert Annotation.objects.count() == 1
    assert HistoryEvent.objects.count() == count


def test_restore_from_the_event_page(admin_client, article, reviewer):
    """The restore action is also offered on a deletion's own page."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    pk = annotation.pk
    event = services.annotation_delete(annotation=annotation, actor=reviewer)
    url = reverse("admin:annotations_historyevent_change", args=[event.pk])
    assert "Restore selected deleted annotations" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {"CHANGE_FORM-action": "restore_deleted_annotations", "_selected_action": event.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert Annotation.objects.filter(pk=pk).exists()


def test_editor_can_restore(editor_client, article, reviewer):
    """Editors restore reviewers' deleted spans from the history."""
    annotation = make_annotation(article, 0, 5, author=reviewer)
    pk = annotation.pk
    event = services.annotation_delete(annotation=annotation, actor=reviewer)
    restore(editor_client, event)
    assert Annotation.objects.get(pk=pk).author == reviewer


def test_links_between_articles_spans_and_history(admin_client, article, reviewer):
    """The article page links to its spans, the span page to its history; both filter."""
    other = make_article()
    annotation = make_annotation(article, 0, 5, author=reviewer)
    make_annotation(other, 0, 7, author=reviewer)
    services.annotation_update(annotation=annotation, actor=reviewer, note="n")

    page = admin_client.get(reverse("admin:annotations_article_change", args=[article.pk]))
    spans_url = reverse("admin:annotations_annotation_changelist")
    link = f'href="{spans_url}?article__id__exact={article.pk}">1 span(s)</a>'
    assert link in page.content.decode()
    spans = admin_client.get(spans_url, {"article__id__exact": article.pk})
    assert spans.status_code == 200
    assert list(spans.context["cl"].result_list) == [annotation]

    page = admin_client.get(reverse("admin:annotations_annotation_change", args=[annotation.pk]))
    history_url = reverse("admin:annotations_historyevent_changelist")
    assert f'href="{history_url}?annotation_id_ref={annotation.pk}">1 event(s)</a>' in (
        page.content.decode()
    )
    history = admin_client.get(history_url, {"annotation_id_ref": annotation.pk})
    assert history.status_code == 200
    assert [e.action for e in history.context["cl"].result_list] == ["update"]
