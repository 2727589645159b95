"""Exports by layer (all / gold / reviewer:NAME) and by collection: on every format, on
the page and in the command; bad values are refused before a byte is streamed."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.exporters import all_formats, get_format
from annotations.exporters.query import ExportFilters, export_articles, parse_layer
from annotations.services import adjudication as service
from tests.adjudication_factories import make_collection, span_on
from tests.factories import make_article, make_user

BODY = "Kirby said the talks are advancing. Moscow denied it on Thursday. Prices rose."
OTHER = "An article in no collection. The mayor said the bridge is safe."


@pytest.fixture
def layers(db):
    """Two reviewers on an adjudicated article (gold: one accepted claim), a second
    article in the collection not adjudicated, and one outside the collection."""
    rita, oscar = make_user("rita"), make_user("oscar")
    edith = make_user("edith", role="editor")
    adjudicated = make_article(BODY, title="Adjudicated")
    pending = make_article("Pending text. The rain fell.", title="Pending")
    outside = make_article(OTHER, title="Outside")
    make_collection(adjudicated, pending, reviewers=[rita, oscar], editors=[edith], slug="desk")
    spans = {
        "rita_claim": span_on(adjudicated, "the talks are advancing", rita),
        "oscar_claim": span_on(adjudicated, "the talks are advancing", oscar),
        "rita_denial": span_on(adjudicated, "Moscow denied it", rita, label_slug="denial"),
        "oscar_prices": span_on(adjudicated, "Prices rose", oscar),
        "pending": span_on(pending, "The rain fell", rita),
        "outside": span_on(outside, "the bridge is safe", oscar),
    }
    service.adjudication_start(article=adjudicated, actor=edith)  # pre-accepts the claim
    service.reject_span(article=adjudicated, span_id=spans["rita_denial"].pk, actor=edith)
    service.reject_span(article=adjudicated, span_id=spans["oscar_prices"].pk, actor=edith)
    service.finish_adjudication(article=adjudicated, actor=edith)
    return {"articles": (adjudicated, pending, outside), "spans": spans, "editor": edith}


def spans_by_article(filters):
    return {
        a.title: sorted((s.start, s.end, s.label, s.annotator) for s in a.spans)
        for a in export_articles(filters)
    }


def test_parse_layer_accepts_the_three_forms_and_names_them_in_its_refusal():
    assert parse_layer("all").kind == "reviewer" and parse_layer("").reviewer is None
    assert parse_layer("gold").kind == "gold"
    assert parse_layer("reviewer:rita") == ("reviewer", "rita")
    for bad in ("golden", "reviewer:", "reviewer: ", "everyone"):
        with pytest.raises(ValueError, match="Use all, gold or reviewer:NAME"):
            parse_layer(bad)


def test_all_is_every_reviewer_span_naming_its_reviewer_without_gold(layers):
    got = spans_by_article(ExportFilters())
    assert set(got) == {"Adjudicated", "Pending", "Outside"}
    annotators = {span[3] for spans in got.values() for span in spans}
    assert annotators == {"rita", "oscar"}  # never edith's gold spans
    assert len(got["Adjudicated"]) == 4


def test_gold_is_the_accepted_spans_of_finished_adjudications_only(layers):
    spans = layers["spans"]
    got = spans_by_article(ExportFilters(layer="gold"))
    claim = spans["rita_claim"]
    assert got == {"Adjudicated": [(claim.start, claim.end, "claim", "edith")]}


def test_an_adjudicated_article_with_every_span_rejected_is_exported_empty(layers):
    adjudicated, *_ = layers["articles"]
    (gold,) = service.gold_spans(adjudicated.pk)
    editor = layers["editor"]
    service.reopen_adjudication(article=adjudicated, actor=editor)
    service.remove_gold_span(article=adjudicated, gold_id=gold.pk, actor=editor)
    service.finish_adjudication(article=adjudicated, actor=editor)
    assert spans_by_article(ExportFilters(layer="gold")) == {"Adjudicated": []}


def test_a_reopened_adjudication_leaves_the_gold_export(layers):
    adjudicated, *_ = layers["articles"]
    service.reopen_adjudication(article=adjudicated, actor=layers["editor"])
    assert spans_by_article(ExportFilters(layer="gold")) == {}


def test_reviewer_layer_is_that_reviewers_spans_and_articles(layers):
    got = spans_by_article(ExportFilters(layer="reviewer:oscar"))
    assert set(got) == {"Adjudicated", "Outside"}
    assert {span[3] for spans in got.values() for span in spans} == {"oscar"}
    assert len(got["Adjudicated"]) == 2


def test_collection_keeps_its_articles_only(layers):
    got = spans_by_article(ExportFilters(collection="desk"))
    assert set(got) == {"Adjudicated", "Pending"}


# ClaimReview holds rated claims only, and these spans have no verdict (tests/
# test_claimreview.py covers which spans it publishes).
@pytest.mark.parametrize(
    "name",
    [
        f.name
        for f in all_formats()
        # Binary formats are read back by their consumers in test_export_binary_layers.
        if not f.name.startswith("claimreview") and not getattr(f, "binary", False)
    ],
)
def test_gold_on_every_format_holds_only_the_gold_span(layers, name):
    """Each format renders the gold layer: the adjudicated article only, and none of the
    rejected spans (the only denial), which the default layer does hold."""
    export_format = get_format(name)
    gold = "".join(export_format.stream(export_articles(ExportFilters(layer="gold"))))
    everything = "".join(export_format.stream(export_articles(ExportFilters())))
    assert "talks" in gold
    assert "rain" not in gold and "bridge" not in gold
    assert "denial" in everything.lower()
    assert "denial" not in gold.lower()


def test_gold_jsonl_has_exactly_the_accepted_spans(layers):
    text = "".join(get_format("jsonl").stream(export_articles(ExportFilters(layer="gold"))))
    (record,) = [json.loads(line) for line in text.splitlines()]
    claim = layers["spans"]["rita_claim"]
    assert [(s["start"], s["end"], s["label"], s["annotator"]) for s in record["spans"]] == [
        (claim.start, claim.end, "claim", "edith")
    ]


def test_gold_csv_rows_are_the_gold_spans(layers):
    text = "".join(get_format("csv").stream(export_articles(ExportFilters(layer="gold"))))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["text"], r["annotator"]) for r in rows] == [("the talks are advancing", "edith")]


def test_the_layer_filter_adds_no_query(layers, django_assert_num_queries):
    """Articles, then spans, sources and links for the batch: 4 queries, with any layer."""
    for layer in ("all", "gold", "reviewer:rita"):
        with django_assert_num_queries(4):
            list(export_articles(ExportFilters(layer=layer, collection="desk")))


# --- the page ---------------------------------------------------------------------------


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_the_page_offers_the_layers_and_collections(client, layers):
    client.force_login(layers["editor"])
    html = client.get(reverse("export")).content.decode()
    assert '<option value="gold">' in html
    assert '<option value="reviewer:oscar">' in html
    assert '<option value="desk">' in html


def test_the_download_of_gold_is_the_gold_layer(client, layers):
    client.force_login(layers["editor"])
    response = client.get(reverse("export-download"), {"format": "jsonl", "layer": "gold"})
    assert response.status_code == 200
    (record,) = [json.loads(line) for line in body_of(response).splitlines()]
    assert [s["text"] for s in record["spans"]] == ["the talks are advancing"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"layer": "golden"}, "Unknown layer “golden”. Use all, gold or reviewer:NAME"),
        ({"layer": "reviewer:nobody"}, "Nobody is called “nobody”"),
        ({"collection": "nope"}, "There is no collection “nope”. Collections: desk."),
    ],
)
def test_bad_layer_or_collection_is_a_400_and_no_file(client, layers, params, message):
    client.force_login(layers["editor"])
    response = client.get(reverse("export-download"), {"format": "jsonl", **params})
    assert response.status_code == 400
    assert not response.streaming
    assert "Content-Disposition" not in response
    assert message in response.content.decode()


def test_a_non_editor_page_export_sees_only_visible_spans(layers, rf):
    """The page's export applies the blind rule for whoever downloads (a reviewer given
    the export right still gets only their own spans on an unadjudicated blind article)."""
    rita = layers["spans"]["pending"].author
    _, pending, _ = layers["articles"]
    span_on(pending, "Pending text", layers["spans"]["outside"].author)  # oscar's
    got = {
        a.title: sorted(s.annotator for s in a.spans)
        for a in export_articles(ExportFilters(collection="desk"), viewer=rita)
    }
    assert got["Pending"] == ["rita"]
    # The adjudicated article is no longer blind: both reviewers' spans.
    assert set(got["Adjudicated"]) == {"rita", "oscar"}


# --- the command ------------------------------------------------------------------------


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_dataset", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_command_exports_gold_reviewer_and_collection(layers):
    gold = [json.loads(line) for line in run("--layer", "gold").splitlines()]
    assert [[s["text"] for s in r["spans"]] for r in gold] == [["the talks are advancing"]]
    oscar = [json.loads(line) for line in run("--layer", "reviewer:oscar").splitlines()]
    assert {s["annotator"] for r in oscar for s in r["spans"]} == {"oscar"}
    desk = [json.loads(line) for line in run("--collection", "desk").splitlines()]
    assert {r["title"] for r in desk} == {"Adjudicated", "Pending"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--layer", "golden"), "--layer: Unknown layer “golden”."),
        (("--layer", "reviewer:nobody"), "--layer: Nobody is called “nobody”"),
        (("--collection", "nope"), "--collection: There is no collection “nope”."),
    ],
)
def test_the_command_refuses_bad_values_and_writes_nothing(layers, tmp_path, args, message):
    target = tmp_path / "out.jsonl"
    with pytest.raises(CommandError, match=message):
        run(*args, "--output", str(target))
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_format_without_links_skips_reading_them(layers, django_assert_num_queries):
    """relations=False (what a format with uses_relations=False asks for): 3 queries."""
    with django_assert_num_queries(3):
        articles = list(export_articles(ExportFilters(), relations=False))
    assert all(span.relations == () for a in articles for span in a.spans)
