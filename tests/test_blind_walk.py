"""Blind mode, walked: every URL of the app, as reviewer B, filled with reviewer A's ids.

A's work on a blind article (spans, note, speaker, source, link, a deleted span, a claim
on another article) must never reach B: not in any page, partial, suggestion or error,
and every span-scoped URL answers 404 exactly as for a span that never existed. The
same walk as an editor finds A's work, which proves the detector can fail. A URL added
to the URLconf without an entry in URLS below fails test_every_url_is_covered.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from annotations import services
from annotations.models import Assignment, ImportJob, Membership, Relation
from tests.blind_world import A_NOTE, A_SOURCE_TITLE, A_SOURCE_URL, A_SPEAKER, make_blind_world
from tests.factories import make_article, make_span, make_user

# How each named URL must answer B. "span": the URL names one of A's spans (or its
# source, link, deletion): 404 for every method it accepts. "open": anything but a 5xx,
# without A's work in it. Exempt URLs are listed with the reason.
SPAN = "span"
OPEN = "open"
URLS = {
    # the review page and its article-scoped endpoints
    "article-list": OPEN,
    "label-stylesheet": OPEN,
    "article-detail": OPEN,
    "article-status": OPEN,
    "article-metadata": OPEN,
    "article-reviewed-next": OPEN,
    "article-state": OPEN,
    "span-list": OPEN,
    "annotation-create": OPEN,
    "speaker-options": OPEN,
    "source-options": OPEN,
    # one of A's spans, or something hanging off one
    "annotation-detail": SPAN,
    "annotation-delete": SPAN,
    "source-create": SPAN,
    "source-form": SPAN,
    "source-delete": SPAN,
    "source-edit": SPAN,
    "annotation-restore": SPAN,
    "relation-create": SPAN,
    "relation-delete": SPAN,
    "seen-before": SPAN,
    "seen-before-copy": SPAN,
    "annotation-history": SPAN,
    # the desk's other pages (other helpers' views): B may be refused; never shown A's work
    "article-history": OPEN,
    # an article's earlier texts (no spans in them), and the spans a revision left unplaced
    "article-revisions": OPEN,
    "article-revision": OPEN,
    "article-attention": OPEN,
    "attention-place": SPAN,
    "attention-discard": SPAN,
    "article-agreement": OPEN,
    "collection-agreement": OPEN,
    "article-adjudicate": OPEN,
    "adjudication-start": OPEN,
    "adjudication-accept": OPEN,
    "adjudication-reject": OPEN,
    "adjudication-merge": OPEN,
    "adjudication-gold-edit": OPEN,
    "adjudication-gold-remove": OPEN,
    "adjudication-finish": OPEN,
    "adjudication-reopen": OPEN,
    "collection-list": OPEN,
    "collection-detail": OPEN,
    "collection-member-add": OPEN,
    "collection-member-role": OPEN,
    "collection-member-remove": OPEN,
    "collection-articles-add": OPEN,
    "collection-articles-remove": OPEN,
    "collection-assign": OPEN,
    "collection-assignment-remove": OPEN,
    "my-queue": OPEN,
    "queue-start": OPEN,
    "queue-done": OPEN,
    "queue-reopen": OPEN,
    "import": OPEN,
    # A's import jobs and anyone's recorded exports: B may be refused, never shown A's work
    "import-jobs": OPEN,
    "import-job": OPEN,
    "import-job-progress": OPEN,
    "export-records": OPEN,
    "export-record": OPEN,
    "export-record-download": OPEN,
    "export": OPEN,
    "export-download": OPEN,
    "healthz": OPEN,
    "login": OPEN,
}
EXEMPT = {
    "logout": "signs B out: it shows no article data (covered in test_accounts)",
    "admin:*": "the admin site; B is not staff and is sent to its login (test below)",
    "favicon.ico": "a static icon",
}


def _walk(patterns, prefix=""):
    """(name, pattern) of every URL, names qualified by namespace ("admin:*" for all of
    the admin: its hundreds of URLs are one exemption)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                yield "admin:*", None
                continue
            yield from _walk(entry.url_patterns, prefix)
        elif isinstance(entry, URLPattern):
            yield entry.name or str(entry.pattern), entry


def url_names() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver().url_patterns))


def test_every_url_is_covered():
    unknown = sorted(set(url_names()) - set(URLS) - set(EXEMPT))
    assert not unknown, (
        f"New URLs {unknown}: add each to URLS in {__name__} (how B must be answered) or "
        "to EXEMPT with the reason."
    )


@pytest.fixture
def world(db):
    world = make_blind_world()
    # A's claim on another blind article, like B's: what "seen before" would offer B.
    other = make_article("Officials confirmed the council met on Monday to discuss it.")
    world.collection.articles.add(other)
    world.elsewhere = make_span(other, "the council met on Monday", world.a)
    world.a_assignment = Assignment.objects.get(reviewer=world.a, article=world.article)
    world.a_membership = Membership.objects.get(user=world.a, collection=world.collection)
    world.a_import = ImportJob.objects.create(created_by=world.a, description=A_NOTE)
    return world


def _fillers(world) -> dict[str, object]:
    """Path arguments by name: always A's things."""
    return {
        "article_id": world.article.pk,
        "annotation_id": world.a_span.pk,
        "source_id": world.a_source.pk,
        "relation_id": world.a_relation.pk,
        "event_id": world.a_deletion.pk,
        "match_id": world.elsewhere.pk,
        "gold_id": world.a_span.pk,
        "assignment_id": world.a_assignment.pk,
        "membership_id": world.a_membership.pk,
        "slug": world.collection.slug,
        "number": 1,  # a revision number
        "job_id": world.a_import.pk,
        # No export was recorded in this world: an unknown one must be a plain refusal.
        "record_id": uuid.uuid4(),
    }


def _markers(world) -> list[str]:
    """Strings only A's work puts in a page (the quoted text is in the article body, which
    B reads, so spans are recognised by their ids in the markup)."""
    spans = [world.a_span.pk, world.a_span_two.pk, world.elsewhere.pk]
    return [
        A_NOTE,
        A_SPEAKER,
        A_SOURCE_URL.removeprefix("https://"),
        A_SOURCE_TITLE,
        f"/history/{world.a_deletion.pk}/restore/",
        *(f'data-annotation-id="{pk}"' for pk in spans),
        *(f'data-span-id="{pk}"' for pk in spans),
        *(f"/annotations/{pk}/" for pk in spans),
    ]


def _queries(world) -> list[dict]:
    """GET parameters tried on every URL: what the page's own requests send, aimed at A."""
    return [
        {},
        {"q": "Wilhelmina", "article": world.article.pk},
        {"q": "xylophone-leak", "annotation": world.a_span.pk},
        {"list_reviewer": world.a.username, "list_label": "claim"},
    ]


def _posts(world) -> dict:
    """Harmless POST data: a link to A's span, a label, nothing that could be applied."""
    return {"to_span": str(world.a_span.pk), "type": Relation.Type.RESPONDS_TO, "open": "0"}


def walk_as(client, user, world, *, post=True):
    """Every covered URL, GET (with each query) and POST, plain and htmx: the answers."""
    fillers, answers = _fillers(world), []
    for name, pattern in url_names().items():
        if name in EXEMPT:
            continue
        missing = [key for key in pattern.pattern.converters if key not in fillers]
        assert not missing, f"{name}: no filler for {missing}; add one to _fillers"
        url = reverse(name, kwargs={key: fillers[key] for key in pattern.pattern.converters})
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            for query in _queries(world):
                client.force_login(user)
                answers.append((name, "GET", client.get(url, query, headers=headers)))
            if post:
                client.force_login(user)
                answers.append((name, "POST", client.post(url, _posts(world), headers=headers)))
    return answers


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _leaks(world, answers) -> list[str]:
    markers = _markers(world)
    found = []
    for name, method, response in answers:
        body = _body(response) + "".join(f"{k}: {v}" for k, v in response.headers.items())
        found += [f"{method} {name}: {m!r}" for m in markers if m in body]
    return found


def test_reviewer_b_never_sees_reviewer_as_work(client, world):
    answers = walk_as(client, world.b, world)
    assert not _leaks(world, answers)
    errors = [f"{m} {n}: {r.status_code}" for n, m, r in answers if r.status_code >= 500]
    assert not errors
    # Nor did any of B's POSTs touch A's work.
    world.a_span.refresh_from_db()
    world.a_source.refresh_from_db()
    world.a_relation.refresh_from_db()
    assert world.a_span.note == A_NOTE


def test_span_scoped_urls_answer_404_like_a_span_that_never_was(client, world):
    answers = walk_as(client, world.b, world)
    by_name: dict[str, set[int]] = {}
    for name, _, response in answers:
        by_name.setdefault(name, set()).add(response.status_code)
    wrong = {
        name: codes
        for name, codes in by_name.items()
        if URLS.get(name) == SPAN and (not codes <= {404, 405} or 404 not in codes)
    }
    assert not wrong, f"span-scoped URLs that did not answer 404 to B: {wrong}"


def test_the_walk_finds_as_work_for_an_editor(client, world):
    """The same walk as an editor sees A's spans: the detector is not blind itself."""
    editor = make_user("edna_walk", role="editor")
    # GET only: an editor's POSTs would really delete A's spans.
    found = _leaks(world, walk_as(client, editor, world, post=False))
    for expected in ("GET article-detail", "GET annotation-detail", "GET source-edit"):
        assert any(line.startswith(expected) for line in found), expected
    assert any(A_SPEAKER in line for line in found)


def test_b_is_kept_out_of_the_admin(client, world):
    client.force_login(world.b)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_walk_after_adjudication_shows_a_to_b(client, world):
    """Blind mode ends when the article is adjudicated: then B sees A's spans."""
    world.article.status = "adjudicated"
    world.article.save(update_fields=["status"])
    client.force_login(world.b)
    html = client.get(reverse("article-detail", args=[world.article.pk])).content.decode()
    assert f'data-annotation-id="{world.a_span.pk}"' in html


def test_b_cannot_link_to_as_span(client, world):
    client.force_login(world.b)
    url = reverse("relation-create", args=[world.b_span.pk])
    response = client.post(url, {"to_span": world.a_span.pk, "type": "responds_to"})
    assert response.status_code == 404
    assert not Relation.objects.filter(from_span=world.b_span).exists()


def test_b_cannot_restore_as_deleted_span(client, world):
    client.force_login(world.b)
    response = client.post(reverse("annotation-restore", args=[world.a_deletion.pk]))
    assert response.status_code == 404
    assert "No such span." in response.content.decode()
    assert not services.restore_refusal(world.a_deletion)  # still restorable, by A


def test_the_state_tag_ignores_as_new_span(client, world):
    """The cheap "something changed" check must not tell B that A is at work."""
    url = reverse("article-state", args=[world.article.pk])
    client.force_login(world.b)
    before = client.get(url)["ETag"]
    make_span(world.article, "discuss the harbour", world.a)
    assert client.get(url, headers={"If-None-Match": before}).status_code == 304
    make_span(world.article, "Officials confirmed", world.b)
    assert client.get(url, headers={"If-None-Match": before}).status_code == 200


def _as(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query).content.decode()


def test_seen_before_hides_as_claim_on_another_blind_article(client, world):
    editor = make_user("edna_seen", role="editor")
    marker = f"/annotations/{world.elsewhere.pk}/"
    assert marker in _as(client, editor, "seen-before", world.b_span.pk)
    assert marker not in _as(client, world.b, "seen-before", world.b_span.pk)


def test_speaker_and_source_suggestions_hide_names_only_a_typed(client, world):
    editor = make_user("edna_options", role="editor")
    speakers = {"q": "Wilhelmina", "article": world.article.pk}
    assert A_SPEAKER in _as(client, editor, "speaker-options", **speakers)
    assert A_SPEAKER not in _as(client, world.b, "speaker-options", **speakers)
    sources = {"q": "xylophone-leak", "annotation": world.b_span.pk}
    assert A_SOURCE_TITLE in _as(client, editor, "source-options", **sources)
    assert A_SOURCE_TITLE not in _as(client, world.b, "source-options", **sources)


def test_as_deleted_span_is_a_404_not_a_deleted_by_message(client, world):
    client.force_login(world.b)
    response = client.get(reverse("annotation-detail", args=[world.a_deletion.object_id]))
    assert response.status_code == 404
    assert world.a.username not in response.content.decode()


def test_a_link_an_editor_made_to_as_span_stays_hidden_from_b(client, world):
    editor = make_user("edna_links", role="editor")
    services.relation_create(
        from_span=world.b_span, to_span_id=world.a_span.pk, type="responds_to", actor=editor
    )
    marker = f'data-span-id="{world.a_span.pk}"'
    html = _as(client, editor, "annotation-detail", world.b_span.pk)
    assert marker in html or f"/annotations/{world.a_span.pk}/" in html
    html = _as(client, world.b, "annotation-detail", world.b_span.pk)
    assert f"/annotations/{world.a_span.pk}/" not in html
    assert marker not in html
