"""Exports and blind mode: a reviewer given the export right (not a desk editor) must get
from the export pages nothing of the spans blind mode hides from them: not through
someone else's stored export (permissions.exports), not through the page's counts.

The world (tests/blind_world.py): a blind collection where reviewers A and B annotate
one article; B is also given the export right, as the outside tester's `exporter` was.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from annotations import services
from annotations.models import Assignment, ExportRecord
from tests.blind_world import A_NOTE, B_QUOTE, make_blind_world
from tests.factories import label, make_article, make_span, make_user


@pytest.fixture(autouse=True)
def _exports_in_tmp(exports_in_tmp):
    """Background exports write under this test's tmp_path (tests/conftest.py)."""


def grant_export(user):
    user.user_permissions.add(Permission.objects.get(codename="export_dataset"))


@pytest.fixture
def world(db):
    world = make_blind_world()
    grant_export(world.b)
    world.editor = make_user("edna_exports", role="editor")
    return world


def background_export(client, user, **params) -> ExportRecord:
    """A stored export made by `user` on the page (the worker runs at once in tests)."""
    client.force_login(user)
    response = client.get(
        reverse("export-download"), {"format": "jsonl", "background": "on", **params}
    )
    assert response.status_code == 302
    record = ExportRecord.objects.filter(created_by=user).latest("created_at")
    assert record.status == ExportRecord.Status.DONE, record.error
    return record


def download(client, user, record):
    client.force_login(user)
    return client.get(reverse("export-record-download", args=[record.pk]))


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- stored exports: who may open them ---------------------------------------------------


@pytest.mark.parametrize("name", ["export-record", "export-record-download"])
def test_a_blind_exporter_cannot_open_an_editors_stored_export(client, world, name):
    """The leak: the editor's file holds A's spans (and A's note), hidden from B."""
    record = background_export(client, world.editor)
    assert A_NOTE in body_of(download(client, world.editor, record))
    client.force_login(world.b)
    response = client.get(reverse(name, args=[record.pk]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "No such export." in page
    assert A_NOTE not in page
    assert reverse("export-record-download", args=[record.pk]) not in page


def test_an_unknown_export_is_the_same_404(client, world):
    import uuid

    client.force_login(world.b)
    response = client.get(reverse("export-record-download", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert "No such export." in response.content.decode()


def test_the_lists_show_a_blind_exporter_only_their_own_exports(client, world):
    theirs = background_export(client, world.editor)
    mine = background_export(client, world.b)
    client.force_login(world.b)
    for name in ("export-records", "export"):
        html = client.get(reverse(name)).content.decode()
        assert reverse("export-record", args=[mine.pk]) in html, name
        assert reverse("export-record", args=[theirs.pk]) not in html, name
        assert theirs.sha256[:12] not in html, name
    assert (
        "Others' exports are not listed" in client.get(reverse("export-records")).content.decode()
    )


def test_the_maker_downloads_their_own_export_with_only_what_they_see(client, world):
    record = background_export(client, world.b)
    response = download(client, world.b, record)
    assert response.status_code == 200
    body = body_of(response)
    assert B_QUOTE in body
    assert A_NOTE not in body
    page = client.get(reverse("export-record", args=[record.pk]))
    assert page.status_code == 200


def test_another_blind_exporter_cannot_open_bs_export(client, world):
    """B's export holds B's spans, which blind mode hides from A."""
    grant_export(world.a)
    record = background_export(client, world.b)
    assert download(client, world.a, record).status_code == 404


def test_an_editor_sees_and_downloads_every_export(client, world):
    """Who sees every span may open anyone's export: nothing in it is hidden from them."""
    record = background_export(client, world.b)
    own = background_export(client, world.editor)
    client.force_login(world.editor)
    html = client.get(reverse("export-records")).content.decode()
    assert reverse("export-record", args=[record.pk]) in html
    assert reverse("export-record", args=[own.pk]) in html
    assert "Every export, newest first" in html
    assert client.get(reverse("export-record", args=[record.pk])).status_code == 200
    response = download(client, world.editor, record)
    assert response.status_code == 200
    assert B_QUOTE in body_of(response)


def test_a_collection_editor_with_the_export_right_opens_only_their_own(client, world):
    """An editor of one collection sees every span there, not in other blind collections:
    another's export may hold those, so it is not theirs to open."""
    from annotations.models import Membership

    desk = make_user("carla_collection_editor", role="reviewer")
    Membership.objects.create(collection=world.collection, user=desk, role=Membership.Role.EDITOR)
    grant_export(desk)
    record = background_export(client, world.editor)
    assert download(client, desk, record).status_code == 404
    assert download(client, desk, background_export(client, desk)).status_code == 200


# --- the Export page's counts and warnings ------------------------------------------------


@pytest.fixture
def counted(world):
    """Beside the world's article: one of A's spans off token boundaries (CoNLL's
    warning), and a second blind article on which only A marked a claim (a span filter
    must not bring it to B)."""
    body = world.article.body
    start = body.index("quokkas voted") + 1  # "uokkas": starts inside a word
    services.annotation_create(
        article=world.article,
        label=label("denial"),
        start=start,
        end=start + 6,
        quote=body[start : start + 6],
        author=world.a,
    )
    only_a = make_article("The mayor said the bridge is safe and nobody checked.", title="Only A")
    world.collection.articles.add(only_a)
    Assignment.objects.create(collection=world.collection, article=only_a, reviewer=world.b)
    make_span(only_a, "the bridge is safe", world.a)
    world.only_a = only_a
    return world


def page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("export"), params)
    assert response.status_code == 200
    return response.context


def downloaded(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("export-download"), params)
    assert response.status_code == 200
    return body_of(response)


def jsonl_counts(text: str) -> dict:
    records = [json.loads(line) for line in text.splitlines()]
    spans = [span for record in records for span in record["spans"]]
    return {
        "articles": len(records),
        "spans": len(spans),
        "by_label": Counter(span["label"] for span in spans),
        "unrated": sum(1 for span in spans if span["verdict"] is None),
        "titles": {record["title"] for record in records},
    }


def page_counts(context) -> dict:
    summary = context["summary"]
    return {
        "articles": summary["articles"],
        "spans": summary["spans"],
        "by_label": Counter({row["label__slug"]: row["spans"] for row in summary["by_label"]}),
    }


@pytest.mark.parametrize("filters", [{}, {"labels": "claim"}, {"labels": "denial"}])
def test_a_blind_exporters_counts_are_those_of_their_download(client, counted, filters):
    """The page counted every reviewer's spans ("2 articles, 5 spans") while B's file
    held B's alone: it now counts exactly what B's download holds."""
    params = {"collection": counted.collection.slug, **filters}
    got = jsonl_counts(downloaded(client, counted.b, format="jsonl", **params))
    shown = page_counts(page(client, counted.b, format="jsonl", **params))
    assert shown == {key: got[key] for key in shown}
    assert got["spans"] == (0 if filters.get("labels") == "denial" else 1)  # B's claim
    # A claim filter brings no article on which only A marked a claim.
    assert "Only A" not in got["titles"] or not filters


def test_an_editor_still_counts_every_span(client, counted):
    params = {"collection": counted.collection.slug}
    got = jsonl_counts(downloaded(client, counted.editor, format="jsonl", **params))
    shown = page_counts(page(client, counted.editor, format="jsonl", **params))
    assert shown == {key: got[key] for key in shown}
    assert got["spans"] == 5  # A's three (one off the tokens) and B's, on two articles


def test_the_claimreview_warning_counts_only_bs_unrated_spans(client, counted):
    params = {"collection": counted.collection.slug}
    unrated = jsonl_counts(downloaded(client, counted.b, format="jsonl", **params))["unrated"]
    assert unrated == 1
    notes = page(client, counted.b, format="claimreview", **params)["format_notes"]
    assert notes == ["1 span without a verdict will be left out (a ClaimReview needs a rating)."]
    notes = page(client, counted.editor, format="claimreview", **params)["format_notes"]
    assert notes == ["5 spans without a verdict will be left out (a ClaimReview needs a rating)."]


def misaligned_lines(conll: str) -> int:
    return sum(1 for line in conll.splitlines() if line.startswith("# misaligned span "))


def test_the_conll_warning_counts_only_what_bs_file_lists(client, counted):
    """A's span inside a word is no misaligned span of B's file: no warning for B."""
    params = {"format": "conll", "collection": counted.collection.slug}
    assert misaligned_lines(downloaded(client, counted.b, **params)) == 0
    assert page(client, counted.b, **params)["format_notes"] == []
    assert misaligned_lines(downloaded(client, counted.editor, **params)) == 1
    assert page(client, counted.editor, **params)["format_notes"] == [
        "1 span not on token boundaries will be left untagged and listed in "
        "'# misaligned span' comment lines."
    ]


def test_a_background_export_expects_the_makers_own_articles(client, counted):
    """The progress bar's total is the maker's count (a claim filter: one article)."""
    record = background_export(client, counted.b, labels="claim")
    assert (record.articles_total, record.articles, record.spans) == (1, 1, 1)


def test_a_blind_exporters_csv_has_no_source_columns_for_as_hidden_source(client, world):
    """The CSV's source columns are planned from B's spans: A's sourced span, hidden from
    B, added a source_1_* group of empty columns to B's file."""
    params = {"format": "csv", "collection": world.collection.slug}
    header = downloaded(client, world.b, **params).splitlines()[0].split(",")
    assert not [name for name in header if name.startswith("source_1_")]
    header = downloaded(client, world.editor, **params).splitlines()[0].split(",")
    assert "source_1_url" in header


# --- articles the viewer may not open -------------------------------------------------------


def test_an_exporter_gets_only_the_articles_they_may_open_and_the_page_counts_them(client, db):
    """A reviewer given the export right, in a collection that requires assignment: the
    article assigned to them is in their download and their counts; the one assigned to
    nobody, and one in a collection they are not in, are not (they cannot open them)."""
    from tests.desk_factories import make_assignment, make_collection

    rita, other = make_user("rita_opens", role="reviewer"), make_user("otto", role="reviewer")
    grant_export(rita)
    assigned = make_article("Assigned to Rita: the talks advance.", title="Assigned")
    unassigned = make_article("Assigned to nobody: the talks stall.", title="Unassigned")
    elsewhere = make_article("In another desk: the talks end.", title="Elsewhere")
    free = make_article("In no collection: the talks resume.", title="Free")
    desk = make_collection(
        "Assigned desk", members=[rita], articles=[assigned, unassigned], requires_assignment=True
    )
    make_assignment(desk, assigned, rita)
    make_collection("Other desk", members=[other], articles=[elsewhere])
    for article in (assigned, unassigned, elsewhere, free):
        make_span(article, "the talks", other)

    got = jsonl_counts(downloaded(client, rita, format="jsonl"))
    assert got["titles"] == {"Assigned", "Free"}
    assert got["spans"] == 2
    shown = page_counts(page(client, rita, format="jsonl"))
    assert shown == {key: got[key] for key in shown}
    # A span filter chooses among the same articles.
    got = jsonl_counts(downloaded(client, rita, format="jsonl", labels="claim"))
    assert got["titles"] == {"Assigned", "Free"}


def test_a_blind_exporters_page_names_no_reviewer_whose_spans_are_hidden(client, world):
    """The layer and reviewer choices named A to B, whose spans blind review hides from
    B; they name only whose spans B may see (B), and everyone to an editor."""
    client.force_login(world.b)
    page = client.get(reverse("export")).content.decode()
    assert f'value="reviewer:{world.b.username}"' in page
    assert f'value="{world.b.username}"' in page
    assert world.a.username not in page
    client.force_login(world.editor)
    page = client.get(reverse("export")).content.decode()
    assert f'value="reviewer:{world.a.username}"' in page
    assert f'value="{world.a.username}"' in page


def test_a_blind_exporter_naming_a_hidden_reviewer_is_told_no_such_choice(client, world):
    """Typed in the URL, a hidden reviewer is refused like an unknown one: a 400 that
    lists only the choices B has, and no file."""
    client.force_login(world.b)
    response = client.get(
        reverse("export-download"), {"format": "jsonl", "reviewer": world.a.username}
    )
    assert response.status_code == 400
    assert A_NOTE not in response.content.decode()
