"""Claims "seen before" (annotations/similar.py and views/seen_before.py): similar claims of
other articles with their verdicts and sources, and copying one's verdict and sources in
one transaction; on PostgreSQL through pg_trgm and its GIN index, on SQLite through the
fallback, which scores with the same trigram similarity."""

from __future__ import annotations

import itertools
from importlib import import_module

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services, similar
from annotations.conflicts import Gone
from annotations.models import Annotation, Evidence, HistoryEvent, Rating
from tests.factories import make_article, make_source, make_span

HTMX = {"HTTP_HX_REQUEST": "true"}
CLAIM = "The new bridge over the river is completely safe for heavy trucks"
_bodies = itertools.count(1)  # equal texts would be one article
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm")


def rating(slug: str) -> Rating:
    return Rating.objects.get(scale__is_default=True, slug=slug)


def claim_in_new_article(text: str, author, *, title="", verdict=None, label_slug="claim"):
    article = make_article(
        f"Officials said: {text}. ({next(_bodies)})", title=title or f"On {text[:20]}"
    )
    span = make_span(article, text, author, label_slug=label_slug)
    if verdict:
        Annotation.objects.filter(pk=span.pk).update(verdict=rating(verdict))
        span.refresh_from_db()
    return span


@pytest.fixture
def open_claim(reviewer):
    return claim_in_new_article(CLAIM, reviewer, title="Bridge opens")


# --- trigrams ------------------------------------------------------------------------------


def test_trigrams_are_pg_trgms():
    """Words lowercased, padded with two spaces before and one after, cut in threes."""
    assert similar.trigrams("Cat") == {"  c", " ca", "cat", "at "}
    assert similar.trigrams("a-b") == {"  a", " a ", "  b", " b "}
    assert similar.trigrams("!!") == set()
    assert similar.similarity("word", "word") == 1.0
    assert similar.similarity("word", "") == 0.0
    assert 0 < similar.similarity("the bridge is safe", "the bridges are safe") < 1


@on_postgresql
@pytest.mark.django_db
def test_python_similarity_agrees_with_postgresql():
    pairs = [
        (CLAIM, "The new bridge over the river is safe for trucks"),
        ("Moscow denied it", "moscow DENIED it!"),
        ("Зеленский сказал", "Зеленский говорил"),
        ("unemployment fell to 3.5 percent", "Unemployment rose to 5 percent"),
    ]
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            assert similar.similarity(a, b) == pytest.approx(cursor.fetchone()[0], abs=1e-6)


def test_rare_words_are_the_long_uncommon_ones():
    assert similar.rare_words("They said that the bridge is completely safe") == [
        "completely",
        "bridge",
        "safe",
    ]
    assert similar.rare_words("it is") == []


# --- the lookup -------------------------------------------------------------------------------


def test_finds_similar_claims_of_other_articles_only(reviewer, open_claim):
    """Claims of other articles, best first, with verdict, sources and title; not the
    article's own claims, not denials, nothing unlike it."""
    close = claim_in_new_article(
        "The new bridge over the river is safe for heavy trucks",
        reviewer,
        title="Bridge safety checked",
        verdict="false",
    )
    make_source(close, url="https://example.org/a")
    make_source(close, url="https://example.org/b")
    farther = claim_in_new_article("The old bridge is safe for trucks", reviewer)
    claim_in_new_article("Unemployment fell to a record low in March", reviewer)
    claim_in_new_article(
        "The new bridge over the river is completely safe for heavy trucks",
        reviewer,
        label_slug="denial",
    )
    same_article = open_claim.article
    make_span(same_article, "Officials said", reviewer)

    matches = similar.seen_before(open_claim)
    assert [m.pk for m in matches] == [close.pk, farther.pk]
    best = matches[0]
    assert (best.verdict, best.verdict_slug, best.source_count) == ("False", "false", 2)
    assert best.article_title == "Bridge safety checked"
    assert best.article_id == close.article_id
    assert 0.3 <= matches[1].similarity < best.similarity <= 1
    assert best.percent == round(best.similarity * 100)


def test_rated_claims_come_first_among_equally_similar_ones(reviewer, open_claim):
    unrated = claim_in_new_article(CLAIM, reviewer)
    rated = claim_in_new_article(CLAIM, reviewer, verdict="mostly-false")
    assert [m.pk for m in similar.seen_before(open_claim)] == [rated.pk, unrated.pk]


def test_at_most_five_and_one_per_claim_of_an_article(reviewer, other_reviewer, open_claim):
    """Two reviewers marking the same claim in one article is one match; five at most."""
    first = claim_in_new_article(CLAIM + " indeed", reviewer)
    make_span(first.article, CLAIM + " indeed", other_reviewer)
    for i in range(6):
        claim_in_new_article(f"{CLAIM} number {i}", reviewer)
    matches = similar.seen_before(open_claim)
    assert len(matches) == 5
    assert len({(m.article_id, m.quote) for m in matches}) == 5
    assert similar.seen_before(open_claim, limit=2) == matches[:2]


def test_an_empty_corpus_and_no_match_find_nothing(reviewer, open_claim):
    assert similar.seen_before(open_claim) == []
    claim_in_new_article("Unemployment fell to a record low in March", reviewer)
    assert similar.seen_before(open_claim) == []


def test_a_span_that_is_not_a_claim_has_no_seen_before(reviewer):
    claim_in_new_article(CLAIM, reviewer)
    denial = claim_in_new_article(CLAIM, reviewer, label_slug="denial")
    assert similar.seen_before(denial) == []


# --- the panel ---------------------------------------------------------------------------------


def panel(client, span):
    return client.get(reverse("seen-before", args=[span.pk]), **HTMX)


def test_a_claims_editor_loads_the_panel_once_open(reviewer_client, reviewer, open_claim):
    """The editor holds a placeholder that fetches the panel on load; a denial has none."""
    html = reviewer_client.get(reverse("annotation-detail", args=[open_claim.pk]), **HTMX)
    html = html.content.decode()
    assert "Seen before" in html and 'hx-trigger="load"' in html
    assert reverse("seen-before", args=[open_claim.pk]) in html
    denial = make_span(open_claim.article, "Officials said", reviewer, label_slug="denial")
    denial_editor = reviewer_client.get(reverse("annotation-detail", args=[denial.pk]), **HTMX)
    assert "Seen before" not in denial_editor.content.decode()


def test_the_panel_on_an_empty_corpus_says_so(reviewer_client, open_claim):
    response = panel(reviewer_client, open_claim)
    assert response.status_code == 200
    assert "No similar claims in other articles yet." in response.content.decode()


def test_the_panel_shows_each_match(reviewer_client, reviewer, open_claim):
    """Verdict, source count, similarity, the article's title linked to the span on its
    page, and the copy button (with the c key on the first)."""
    match = claim_in_new_article(
        "The new bridge over the river is safe for heavy trucks",
        reviewer,
        title="Bridge safety checked",
        verdict="false",
    )
    make_source(match, url="https://example.org/a")
    html = panel(reviewer_client, open_claim).content.decode()
    assert "False" in html and "1 source" in html
    assert f'href="{reverse("annotation-detail", args=[match.pk])}"' in html
    assert "Bridge safety checked" in html
    assert f"{round(similar.seen_before(open_claim)[0].similarity * 100)}%" in html
    assert reverse("seen-before-copy", args=[open_claim.pk, match.pk]) in html
    assert "Use this verdict and sources <kbd>c</kbd>" in html


def test_another_reviewer_sees_the_panel_without_copy_buttons(
    client, other_reviewer, reviewer, open_claim
):
    claim_in_new_article(CLAIM, reviewer, verdict="false")
    client.force_login(other_reviewer)
    html = panel(client, open_claim).content.decode()
    assert "False" in html and "js-seen-copy" not in html


def test_the_panel_runs_a_fixed_number_of_queries(
    reviewer_client, reviewer, open_claim, django_assert_num_queries
):
    """One match or five, with sources and verdicts: the same nine queries (session,
    user, the span, the desk's access check on its article (blind mode), the candidates,
    the matches' details, the sources cited on both sides, the user's and the groups'
    permissions)."""
    first = claim_in_new_article(CLAIM + " again", reviewer, verdict="false")
    make_source(first, url="https://example.org/1")
    panel(reviewer_client, open_claim)  # warm
    with CaptureQueriesContext(connection) as one:
        assert "False" in panel(reviewer_client, open_claim).content.decode()
    for i in range(8):
        other = claim_in_new_article(f"{CLAIM} time {i}", reviewer, verdict="mixed")
        make_source(other, url=f"https://example.org/x{i}")
    with django_assert_num_queries(len(one.captured_queries)):
        html = panel(reviewer_client, open_claim).content.decode()
    assert html.count('class="seen-match"') == 5
    assert len(one.captured_queries) == 9


def test_the_panel_checks_the_span(reviewer_client, open_claim):
    """Anonymous: login; unknown or huge ids: 404; a deleted span: 409 naming who."""
    assert Client().get(reverse("seen-before", args=[open_claim.pk])).status_code == 302
    assert reviewer_client.get("/annotations/999999/seen-before/").status_code == 404
    assert reviewer_client.get(f"/annotations/{10**30}/seen-before/").status_code == 404
    services.annotation_delete(annotation=open_claim, actor=open_claim.author)
    gone = panel(reviewer_client, open_claim)
    assert gone.status_code == 409 and "deleted by rita" in gone.content.decode()


# --- copying -----------------------------------------------------------------------------------


@pytest.fixture
def rated_match(reviewer):
    match = claim_in_new_article(CLAIM, reviewer, title="Earlier check", verdict="false")
    Annotation.objects.filter(pk=match.pk).update(verdict_explanation="Engineers said no.")
    make_source(match, url="https://example.org/inspection", stance="refutes")
    make_source(match, url="https://example.org/statement", quoted_passage="load limit")
    match.refresh_from_db()
    return match


def copy(client, span, match):
    return client.post(reverse("seen-before-copy", args=[span.pk, match.pk]), **HTMX)


def test_copying_sets_the_verdict_and_cites_the_sources(reviewer_client, open_claim, rated_match):
    """Verdict, explanation (this one had none) and both sources, each through the
    services (history recorded), the editor redrawn with the message."""
    response = copy(reviewer_client, open_claim, rated_match)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f"Copied verdict “False” with its explanation and 2 sources from #{rated_match.pk}." in html
    )
    assert f'data-annotation-ref="{open_claim.pk}"' in html
    stored = Annotation.objects.get(pk=open_claim.pk)
    assert stored.verdict.slug == "false" and stored.verdict_explanation == "Engineers said no."
    assert stored.verdict_by.username == "rita"
    links = list(stored.sources.select_related("source").order_by("id"))
    assert [(e.url, e.stance, e.quoted_passage) for e in links] == [
        ("https://example.org/inspection", "refutes", ""),
        ("https://example.org/statement", "supports", "load limit"),
    ]
    # The shared records are reused, not copied.
    assert {e.source_id for e in links} == set(
        rated_match.sources.values_list("source_id", flat=True)
    )
    events = HistoryEvent.objects.filter(annotation_id_ref=open_claim.pk)
    assert events.filter(kind="source", action="create").count() == 2
    assert events.filter(kind="annotation", action="update").count() == 1


def test_copying_skips_sources_already_cited_and_keeps_an_explanation(
    reviewer_client, reviewer, open_claim, rated_match
):
    make_source(open_claim, url="https://example.org/inspection")
    services.annotation_update(
        annotation=open_claim, actor=reviewer, verdict=rating("mixed"), verdict_explanation="Mine."
    )
    response = copy(reviewer_client, open_claim, rated_match)
    assert response.status_code == 200
    assert (
        f"Copied verdict “False” (was “Mixed”) and 1 source from #{rated_match.pk}. "
        "1 of its sources was cited here already."
    ) in response.content.decode()
    stored = Annotation.objects.get(pk=open_claim.pk)
    assert stored.verdict.slug == "false" and stored.verdict_explanation == "Mine."
    assert stored.sources.count() == 2
    again = copy(reviewer_client, open_claim, rated_match)
    assert "Nothing new to copy" in again.content.decode()
    assert stored.sources.count() == 2
    # The panel no longer offers it.
    html = panel(reviewer_client, open_claim).content.decode()
    assert "This span has its verdict and sources" in html and "js-seen-copy" not in html


def test_a_match_is_applied_once_its_verdict_and_sources_are_here(reviewer, open_claim):
    bare = claim_in_new_article(CLAIM + " now", reviewer)
    rated = claim_in_new_article(CLAIM, reviewer, verdict="false")
    make_source(rated, url="https://example.org/a")
    matches = similar.seen_before(open_claim)
    assert similar.already_applied(open_claim, matches) == set()
    services.annotation_update(annotation=open_claim, actor=reviewer, verdict=rating("false"))
    assert similar.already_applied(open_claim, matches) == set()  # the source is missing
    make_source(open_claim, url="https://example.org/a")
    assert similar.already_applied(open_claim.__class__.objects.get(pk=open_claim.pk), matches) == {
        rated.pk
    }
    assert bare.pk in {m.pk for m in matches}  # nothing to copy: never "applied"


def test_copying_is_all_or_nothing(reviewer_client, open_claim, rated_match, monkeypatch):
    """A failure on the second source leaves no verdict and no first source behind."""
    real = services.source_create
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["url"])
        if len(calls) == 2:
            raise Gone("This span was deleted in the meantime; the source was not added.")
        return real(**kwargs)

    monkeypatch.setattr(services, "source_create", failing)
    response = copy(reviewer_client, open_claim, rated_match)
    assert response.status_code == 409
    stored = Annotation.objects.get(pk=open_claim.pk)
    assert stored.verdict_id is None and not stored.sources.exists()
    assert not HistoryEvent.objects.filter(
        annotation_id_ref=open_claim.pk, action="update"
    ).exists()


def test_copying_into_a_span_that_is_not_a_claim_is_refused(
    reviewer_client, reviewer, open_claim, rated_match
):
    """A denial takes no verdict: 422 with the reason, nothing copied."""
    denial = make_span(open_claim.article, "Officials said", reviewer, label_slug="denial")
    response = copy(reviewer_client, denial, rated_match)
    assert response.status_code == 422
    html = response.content.decode()
    assert f"Only claims take a verdict: #{denial.pk} is a “Denial” span" in html
    assert 'role="alert"' in html
    assert Annotation.objects.get(pk=denial.pk).verdict_id is None
    assert not Evidence.objects.filter(annotation=denial).exists()


def test_copying_from_nothing_or_from_itself_is_refused(reviewer_client, reviewer, open_claim):
    bare = claim_in_new_article(CLAIM, reviewer)
    response = copy(reviewer_client, open_claim, bare)
    assert response.status_code == 422
    assert f"#{bare.pk} has no verdict or sources yet" in response.content.decode()
    itself = copy(reviewer_client, open_claim, open_claim)
    assert itself.status_code == 422 and "cannot copy from itself" in itself.content.decode()
    assert not Evidence.objects.exists()
    assert Annotation.objects.get(pk=open_claim.pk).verdict_id is None


def test_copying_checks_who_and_what(client, other_reviewer, reviewer, open_claim, rated_match):
    """Anonymous: login; another reviewer's span: 403; unknown or huge ids: 404; a
    deleted match: 409 naming who deleted it. Nothing is copied by any of them."""
    url = reverse("seen-before-copy", args=[open_claim.pk, rated_match.pk])
    assert client.post(url).status_code == 302
    client.force_login(other_reviewer)
    assert client.post(url, **HTMX).status_code == 403
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    for path in (
        f"/annotations/{open_claim.pk}/seen-before/999999/copy/",
        f"/annotations/{open_claim.pk}/seen-before/{10**30}/copy/",
        f"/annotations/{10**30}/seen-before/{rated_match.pk}/copy/",
    ):
        assert reviewer_client.post(path, **HTMX).status_code == 404, path
    services.annotation_delete(annotation=rated_match, actor=reviewer)
    gone = reviewer_client.post(url, **HTMX)
    assert gone.status_code == 409
    assert gone.content.decode() == (
        f"The claim #{rated_match.pk} was deleted by rita; nothing was copied."
    )
    stored = Annotation.objects.get(pk=open_claim.pk)
    assert stored.verdict_id is None and not stored.sources.exists()


# --- PostgreSQL: the index -------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db
def test_the_lookup_reads_the_trigram_index(reviewer, open_claim):
    """The candidate query's word pairs are scans of the GIN index (sequential scans are
    priced out here: the test tables are tiny); the migration created it."""
    claim_in_new_article(CLAIM, reviewer)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        assert "gin_trgm_ops" in cursor.fetchone()[0]
    with CaptureQueriesContext(connection) as lookup:
        assert similar.seen_before(open_claim)
    candidates = lookup.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + candidates)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Bitmap Index Scan on {INDEX}" in plan


def test_candidates_need_two_of_the_rare_words(reviewer, open_claim):
    """A sentence that reads alike (similarity 0.43) but shares one rare word is not a
    match; a retelling with its words moved around is. Words come in pairs, or alone
    when the quote has only one."""
    assert similar.rare_words(CLAIM) == ["completely", "bridge", "trucks", "heavy"]
    assert similar.word_pairs(["a1", "b2", "c3"]) == [("a1", "b2"), ("a1", "c3"), ("b2", "c3")]
    assert similar.word_pairs(["only"]) == [("only",)]
    lookalike = claim_in_new_article("The new bridge over the river is closed", reviewer)
    retold = claim_in_new_article("Heavy trucks can safely cross the new river bridge", reviewer)
    assert similar.similarity(CLAIM, lookalike.quote) > similar.THRESHOLD
    assert [m.pk for m in similar.seen_before(open_claim)] == [retold.pk]


INDEX = "annotations_annotation_quote_trgm"


@on_postgresql
@pytest.mark.django_db
def test_the_index_migration_is_reversible():
    migration = import_module("annotations.migrations.0010_seen_before_index")

    def index_exists():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [INDEX])
            return cursor.fetchone() is not None

    with connection.schema_editor() as editor:
        migration.drop_index(None, editor)
    assert not index_exists()
    with connection.schema_editor() as editor:
        migration.create_index(None, editor)
    assert index_exists()


@pytest.mark.django_db
def test_a_visible_claim_below_many_hidden_ones_is_still_offered(reviewer, other_reviewer):
    """The best matches are another reviewer's claims on blind articles, which this
    reviewer may not see: the lookup asks for more candidates until it finds the one
    they may see, further down the list."""
    from tests.desk_factories import make_collection

    claim = "the minister said the harbour bridge is completely safe"
    hidden = []
    for n in range(20):  # more than the first round of candidates (limit * 3)
        article = make_article(f"Report {n}: {claim}.", title=f"Blind {n}")
        hidden.append(make_span(article, claim, other_reviewer))
    make_collection(
        "Blind desk",
        members=[reviewer, other_reviewer],
        articles=[span.article for span in hidden],
        blind=True,
    )
    visible_text = "the minister said the harbour bridge is safe"
    visible = make_span(
        make_article(f"Open: {visible_text}.", title="Open"), visible_text, reviewer
    )
    mine = make_span(make_article(f"Mine: {claim}!", title="Mine"), claim, reviewer)

    offered = similar.seen_before(mine, user=reviewer)

    assert [m.pk for m in offered] == [visible.pk]
    # An editor sees them all, best first, up to the limit.
    everything = similar.seen_before(mine, user=None)
    assert len(everything) == 5 and visible.pk not in [m.pk for m in everything]
