"""Links between spans from the editor (views/relations.py): a denial linked to the claim it
denies, shown as "Answers" on one and "Answered by" on the other; every refusal is a
message a person can act on, with nothing stored; a deleted span takes its links along
and a restore brings them back; a link raced against a delete never dangles."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotations import services
from annotations.conflicts import Gone
from annotations.models import Annotation, HistoryEvent, Relation
from tests.factories import make_article, make_span, make_user
from tests.migration_rows import restore_migration_rows
from tests.races import needs_postgresql, race

HTMX = {"HTTP_HX_REQUEST": "true"}
BODY = "Kirby said the talks are advancing on Wednesday.\nMoscow denied it on Thursday."


@pytest.fixture
def story(db, reviewer):
    article = make_article(BODY, title="Talks")
    claim = make_span(article, "the talks are advancing", reviewer)
    denial = make_span(article, "Moscow denied it", reviewer, label_slug="denial")
    return article, claim, denial


def link(client, span, to_span, type="denies", **extra):
    data = {"to_span": to_span, "type": type}
    return client.post(reverse("relation-create", args=[span.pk]), data, **{**HTMX, **extra})


def editor_of(client, span):
    return client.get(reverse("annotation-detail", args=[span.pk]), **HTMX).content.decode()


def relation_events() -> int:
    return HistoryEvent.objects.filter(kind=HistoryEvent.Kind.RELATION).count()


# --- linking ------------------------------------------------------------------------------


def test_a_denial_linked_to_its_claim_shows_on_both_editors(reviewer_client, story):
    """Linking answers with the denial's editor listing the claim under "Answers"; the
    claim's editor lists the denial under "Answered by"; both are buttons to the other."""
    _, claim, denial = story
    response = link(reviewer_client, denial, claim.pk)
    assert response.status_code == 200
    relation = Relation.objects.get()
    assert (relation.from_span_id, relation.to_span_id, relation.type) == (
        denial.pk,
        claim.pk,
        "denies",
    )
    html = response.content.decode()
    assert "Answers" in html and f'data-span-id="{claim.pk}"' in html
    assert "the talks are advancing" in html and "Denies" in html
    assert reverse("relation-delete", args=[relation.pk]) in html
    claim_editor = editor_of(reviewer_client, claim)
    assert "Answered by" in claim_editor and f'data-span-id="{denial.pk}"' in claim_editor
    assert "Moscow denied it" in claim_editor
    assert relation_events() == 1


def test_the_link_button_defaults_to_denies_on_a_denial(reviewer_client, story):
    """The editor offers the link button and key; a denial's default kind is "denies",
    a claim's "responds to"."""
    _, claim, denial = story
    denial_editor = editor_of(reviewer_client, denial)
    assert "Link to the span this answers" in denial_editor
    assert 'data-default-type="denies"' in denial_editor
    assert 'data-default-type="responds_to"' in editor_of(reviewer_client, claim)
    assert "Not linked to another span" in denial_editor


@pytest.mark.parametrize(
    "case, message",
    [
        ("itself", "A span cannot answer itself"),
        ("other article", "only be linked to a span of the same article"),
        ("duplicate", "is already linked to span"),
        ("bad type", "is not a kind of link"),
        ("no target", "Choose the span this one answers"),
        ("garbage target", "Choose the span this one answers"),
    ],
)
def test_a_refused_link_is_a_message_and_stores_nothing(
    reviewer_client, reviewer, story, case, message
):
    """Each refusal answers 422 with the editor and the reason beside the links; no link
    and no history event is stored (the duplicate keeps only the first one)."""
    _, claim, denial = story
    if case == "duplicate":
        services.relation_create(
            from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer
        )
    before = (Relation.objects.count(), relation_events())
    target = {
        "itself": denial.pk,
        "other article": make_span(make_article(), "the bridge is safe", reviewer).pk,
        "duplicate": claim.pk,
        "bad type": claim.pk,
        "no target": "",
        "garbage target": "12abc",
    }[case]
    response = link(
        reviewer_client, denial, target, type="nonsense" if case == "bad type" else "denies"
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'class="link-error" role="alert"' in html
    assert f'data-annotation-ref="{denial.pk}"' in html  # the same editor, still open
    assert (Relation.objects.count(), relation_events()) == before


def test_a_link_to_a_deleted_span_is_a_409_naming_who_deleted_it(reviewer_client, reviewer, story):
    """The target was deleted (the page still showed it): 409 with who deleted it."""
    _, claim, denial = story
    services.annotation_delete(annotation=claim, actor=reviewer)
    response = link(reviewer_client, denial, claim.pk)
    assert response.status_code == 409
    assert response.content.decode() == f"Span #{claim.pk} was deleted by rita; nothing was linked."
    assert not Relation.objects.exists() and relation_events() == 0


@pytest.mark.parametrize("target", ["999999", str(10**30)])
def test_a_link_to_an_unknown_span_is_404(reviewer_client, story, target):
    """A span id that never existed, however large, is a 404, not a 500."""
    _, _, denial = story
    assert link(reviewer_client, denial, target).status_code == 404
    assert not Relation.objects.exists()


def test_unknown_or_huge_span_in_the_address_is_404(reviewer_client, story):
    _, claim, _ = story
    for pk in (999999, 10**30):
        response = reviewer_client.post(
            f"/annotations/{pk}/links/", {"to_span": claim.pk, "type": "denies"}, **HTMX
        )
        assert response.status_code == 404
    assert reviewer_client.post(f"/links/{10**30}/delete/", **HTMX).status_code == 404


def test_anonymous_users_are_sent_to_login_and_nothing_is_linked(client, story):
    _, claim, denial = story
    response = client.post(
        reverse("relation-create", args=[denial.pk]), {"to_span": claim.pk, "type": "denies"}
    )
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert link(client, denial, claim.pk)["HX-Redirect"].startswith(reverse("login"))
    assert not Relation.objects.exists()


def test_a_reviewer_cannot_link_another_reviewers_span(client, other_reviewer, story):
    """403 with the reason; the other reviewer's editor offers no link button."""
    _, claim, denial = story
    client.force_login(other_reviewer)
    response = link(client, denial, claim.pk)
    assert response.status_code == 403
    assert "Only the span's author or an editor can link it." in response.content.decode()
    assert not Relation.objects.exists()
    assert "js-link-start" not in editor_of(client, denial)


def test_an_editor_links_anyones_span(editor_client, story):
    _, claim, denial = story
    assert link(editor_client, denial, claim.pk, type="responds_to").status_code == 200
    assert Relation.objects.get().type == "responds_to"


def test_without_htmx_linking_redirects_back_with_the_message(reviewer_client, story):
    """Every action also works on a full page load: back to the span, with the reason."""
    denial = story[2]
    response = reviewer_client.post(
        reverse("relation-create", args=[denial.pk]), {"to_span": denial.pk, "type": "denies"}
    )
    assert response.status_code == 302
    assert response.url == reverse("annotation-detail", args=[denial.pk])
    page = reviewer_client.get(response.url).content.decode()
    assert "A span cannot answer itself" in page
    assert not Relation.objects.exists()


# --- removing -----------------------------------------------------------------------------


def test_removing_a_link_from_the_claims_editor_keeps_that_editor_open(
    reviewer_client, reviewer, story
):
    """Remove on an "Answered by" link answers with the claim's editor (the one open),
    the link gone and its removal in the history."""
    _, claim, denial = story
    relation = services.relation_create(
        from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer
    )
    response = reviewer_client.post(
        reverse("relation-delete", args=[relation.pk]), {"open": claim.pk}, **HTMX
    )
    assert response.status_code == 200
    assert f'data-annotation-ref="{claim.pk}"' in response.content.decode()
    assert not Relation.objects.exists()
    assert HistoryEvent.objects.filter(kind="relation", action="delete").count() == 1


def test_removing_a_link_twice_or_an_unknown_link(reviewer_client, reviewer, story):
    """The second Remove is a 409 saying it is already gone; an unknown link is a 404."""
    _, claim, denial = story
    relation = services.relation_create(
        from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer
    )
    url = reverse("relation-delete", args=[relation.pk])
    assert reviewer_client.post(url, **HTMX).status_code == 200
    again = reviewer_client.post(url, **HTMX)
    assert again.status_code == 409 and "already removed" in again.content.decode()
    assert (
        reviewer_client.post(reverse("relation-delete", args=[999999]), **HTMX).status_code == 404
    )


def test_a_reviewer_cannot_remove_another_reviewers_link(client, reviewer, other_reviewer, story):
    """403, the link stays, and neither editor offers Remove to them."""
    _, claim, denial = story
    relation = services.relation_create(
        from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer
    )
    client.force_login(other_reviewer)
    response = client.post(reverse("relation-delete", args=[relation.pk]), **HTMX)
    assert response.status_code == 403
    assert Relation.objects.filter(pk=relation.pk).exists()
    remove = reverse("relation-delete", args=[relation.pk])
    assert remove not in editor_of(client, claim) and remove not in editor_of(client, denial)
    # ...but they still see the link and can jump along it.
    assert f'data-span-id="{denial.pk}"' in editor_of(client, claim)


def test_the_claims_author_removes_an_incoming_link_only_if_they_own_the_denial(
    client, reviewer, other_reviewer, editor
):
    """A link belongs to the span that points: the claim's author cannot remove a link
    another reviewer's denial made; an editor can."""
    article = make_article(BODY)
    claim = make_span(article, "the talks are advancing", reviewer)
    denial = make_span(article, "Moscow denied it", other_reviewer, label_slug="denial")
    relation = services.relation_create(
        from_span=denial, to_span_id=claim.pk, type="denies", actor=other_reviewer
    )
    remove = reverse("relation-delete", args=[relation.pk])
    client.force_login(reviewer)
    assert remove not in editor_of(client, claim)
    assert client.post(remove, **HTMX).status_code == 403
    client.force_login(editor)
    assert remove in editor_of(client, claim)
    assert client.post(remove, {"open": claim.pk}, **HTMX).status_code == 200


# --- delete and restore ---------------------------------------------------------------------


def test_deleting_a_span_removes_its_links_and_restoring_brings_them_back(reviewer_client, story):
    """Through the page: delete the claim, the denial's editor shows no link; restore it,
    the link is back on both editors."""
    _, claim, denial = story
    assert link(reviewer_client, denial, claim.pk).status_code == 200
    assert (
        reviewer_client.post(reverse("annotation-delete", args=[claim.pk]), **HTMX).status_code
        == 200
    )
    assert not Relation.objects.exists()
    assert "Not linked to another span" in editor_of(reviewer_client, denial)
    deletion = HistoryEvent.objects.get(kind="annotation", action="delete", object_id=claim.pk)
    assert [r["to_span_id"] for r in deletion.before["relations"]] == [claim.pk]
    restored = reviewer_client.post(reverse("annotation-restore", args=[deletion.pk]), **HTMX)
    assert restored.status_code == 200
    assert "Answered by" in restored.content.decode()
    relation = Relation.objects.get()
    assert (relation.from_span_id, relation.to_span_id, relation.type) == (
        denial.pk,
        claim.pk,
        "denies",
    )
    assert f'data-span-id="{claim.pk}"' in editor_of(reviewer_client, denial)


def test_the_editor_reads_its_links_in_a_fixed_number_of_queries(
    reviewer_client, reviewer, django_assert_max_num_queries
):
    """Opening a span with one link or with ten runs the same queries (prefetched)."""
    article = make_article(" ".join(f"Claim number {i} holds." for i in range(12)))
    spans = [make_span(article, f"Claim number {i} ", reviewer) for i in range(12)]
    hub = spans[0]
    services.relation_create(from_span=spans[1], to_span_id=hub.pk, type="denies", actor=reviewer)
    editor_of(reviewer_client, hub)  # warm the session and permission caches
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        editor_of(reviewer_client, hub)
    for span in spans[2:]:
        services.relation_create(
            from_span=span, to_span_id=hub.pk, type="responds_to", actor=reviewer
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = editor_of(reviewer_client, hub)
    assert html.count("js-jump") == 11


# --- racing a delete (PostgreSQL) -------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_linking_to_a_span_while_it_is_deleted_never_leaves_a_dangling_link():
    """A link to a span and that span's delete at once: either the link is refused (Gone,
    nothing stored) or it was made first and went with the span, kept in the deletion's
    snapshot so a restore brings it back. Never a link to a missing span, never a 5xx."""
    restore_migration_rows()
    reviewer = make_user("rita", role="reviewer")
    article = make_article(BODY)
    denial = make_span(article, "Moscow denied it", reviewer, label_slug="denial")
    seen = set()
    for trial in range(8):
        claim = make_span(article, "the talks are advancing", reviewer, note=f"t{trial}")
        outcomes = race(
            lambda claim=claim: services.relation_create(
                from_span=denial, to_span_id=claim.pk, type="denies", actor=reviewer
            ),
            lambda claim=claim: services.annotation_delete(annotation=claim, actor=reviewer),
        )
        linked, deleted = outcomes
        assert deleted[0] == "ok", deleted
        assert linked[0] == "ok" or isinstance(linked[1], Gone), linked
        seen.add(linked[0])
        assert not Relation.objects.filter(to_span_id=claim.pk).exists()
        assert not Relation.objects.exclude(to_span__in=Annotation.objects.all()).exists()
        snapshot = HistoryEvent.objects.get(object_id=claim.pk, action="delete").before
        assert [r["from_span_id"] for r in snapshot["relations"]] == (
            [denial.pk] if linked[0] == "ok" else []
        )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_linking_through_the_page_while_the_target_is_deleted():
    """The same race through the endpoints: the link answers 200 or 409 with a message,
    the delete 200; never a 5xx, never a dangling link."""
    restore_migration_rows()
    reviewer = make_user("rita", role="reviewer")
    article = make_article(BODY)
    denial = make_span(article, "Moscow denied it", reviewer, label_slug="denial")
    for trial in range(8):
        claim = make_span(article, "the talks are advancing", reviewer, note=f"t{trial}")
        linking, deleting = Client(**HTMX), Client(**HTMX)
        linking.force_login(reviewer)
        deleting.force_login(reviewer)
        outcomes = race(
            lambda claim=claim, c=linking: link(c, denial, claim.pk),
            lambda claim=claim, c=deleting: c.post(reverse("annotation-delete", args=[claim.pk])),
        )
        linked, deleted = (o[1] for o in outcomes)
        assert deleted.status_code == 200, outcomes
        assert linked.status_code in (200, 409), (linked.status_code, linked.content[:300])
        if linked.status_code == 409:
            assert "deleted" in linked.content.decode()
        assert not Relation.objects.filter(to_span_id=claim.pk).exists()
