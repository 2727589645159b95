"""ClaimReview that publishes (annotations/exporters/formats/claimreview.py): one
standalone JSON-LD review per rated claim, checked against Google's documented ClaimReview
fields and the schema.org vocabulary (offline copies in tests/validators/), and safe to
paste into a <script type="application/ld+json">."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from functools import cache

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.exporters import ExportOptions
from annotations.models import Annotation, Rating
from tests.factories import make_annotation, make_article, make_source
from tests.test_exporters import VALIDATORS, build_dataset, export_text, span_of

# --- Google's ClaimReview structured data, as its documentation lists the properties ---
# (developers.google.com/search/docs/appearance/structured-data/factcheck: "Required
# properties" and "Recommended properties" of ClaimReview, Claim and Rating). A path is
# keys joined by "."; one of several alternatives is a tuple of paths that must all be
# present.

GOOGLE_REQUIRED = (
    "claimReviewed",
    "url",
    "author.name",
    # reviewRating: alternateName, or ratingValue with bestRating and worstRating
    ("reviewRating.alternateName",),
    ("reviewRating.ratingValue", "reviewRating.bestRating", "reviewRating.worstRating"),
)
GOOGLE_RECOMMENDED = (
    "datePublished",
    "itemReviewed",
    "itemReviewed.author",
    "itemReviewed.author.name",
    "itemReviewed.datePublished",
    "itemReviewed.appearance",
    "itemReviewed.appearance.url",
)


def _get(node, path: str):
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node or node[key] in ("", None, [], {}):
            return None
        node = node[key]
    return node


def google_problems(review: dict, *, recommended: bool = True) -> list[str]:
    """What Google's Rich Results test would flag on one ClaimReview."""
    problems = []
    if review.get("@context") != "https://schema.org":
        problems.append("@context: not https://schema.org (each review must stand alone)")
    if review.get("@type") != "ClaimReview":
        problems.append("@type: not ClaimReview")
    alternatives = [p for p in GOOGLE_REQUIRED if isinstance(p, tuple)]
    for path in GOOGLE_REQUIRED:
        if isinstance(path, str) and _get(review, path) is None:
            problems.append(f"missing required {path}")
    if not any(all(_get(review, p) is not None for p in paths) for paths in alternatives):
        problems.append("reviewRating: needs alternateName, or ratingValue+bestRating+worstRating")
    rating = review.get("reviewRating") or {}
    if "ratingValue" in rating and not (
        rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    ):
        problems.append("reviewRating.ratingValue outside worstRating..bestRating")
    if recommended:
        problems += [
            f"missing recommended {p}" for p in GOOGLE_RECOMMENDED if _get(review, p) is None
        ]
    if _get(review, "itemReviewed.@type") not in (None, "Claim"):
        problems.append("itemReviewed: not a Claim")
    if _get(review, "itemReviewed.author.@type") not in (None, "Person", "Organization"):
        problems.append("itemReviewed.author: neither a Person nor an Organization")
    return problems


def test_the_checker_flags_what_google_requires():
    """The checker can fail: a bare review misses every required field."""
    bare = {"@context": "https://schema.org", "@type": "ClaimReview"}
    problems = google_problems(bare, recommended=False)
    assert "missing required claimReviewed" in problems
    assert "missing required url" in problems
    assert "missing required author.name" in problems
    assert any(p.startswith("reviewRating") for p in problems)
    rated = {**bare, "reviewRating": {"ratingValue": 9, "bestRating": 5, "worstRating": 1}}
    assert "reviewRating.ratingValue outside worstRating..bestRating" in google_problems(rated)


# --- the schema.org vocabulary (release 30.0, offline) ----------------------------------


@cache
def schemaorg_vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    text = (VALIDATORS / "schemaorg" / "schemaorg-current-https.ttl").read_text()
    classes = set(re.findall(r"^schema:(\w+) a rdfs:Class", text, re.MULTILINE))
    classes |= set(re.findall(r"^schema:(\w+) a [^;\n]*schema:\w+", text, re.MULTILINE))
    properties = set(re.findall(r"^schema:(\w+) a rdf:Property", text, re.MULTILINE))
    return frozenset(classes), frozenset(properties)


def types_and_keys(node, types=None, keys=None):
    types = set() if types is None else types
    keys = set() if keys is None else keys
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@type":
                types.add(value)
            elif not key.startswith("@"):
                keys.add(key)
            types_and_keys(value, types, keys)
    elif isinstance(node, list):
        for value in node:
            types_and_keys(value, types, keys)
    return types, keys


# --- the data ---------------------------------------------------------------------------

HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_BODY = f"The mayor wrote {HOSTILE} & more \u2028 on the site."


@pytest.fixture
def dataset(db):
    return build_dataset()


@pytest.fixture
def hostile(dataset):
    """A rated claim whose quote, explanation, note and source title hold a script end."""
    article = make_article(HOSTILE_BODY, id=9010, title=f"Headline {HOSTILE}")
    span = make_annotation(
        article,
        *span_of(HOSTILE_BODY, f"{HOSTILE} & more \u2028 on"),
        author=dataset["rita"],
        id=7010,
        note=f"internal {HOSTILE}",
        verdict=Rating.objects.get(scale__name="Default", slug="false"),
        verdict_explanation=f"Explained {HOSTILE} & <b>",
        verdict_by=dataset["rita"],
        verdict_at=datetime(2026, 11, 23, 23, 30, tzinfo=UTC),
    )
    make_source(span, "https://example.org/?a=1&b=<2>", title=f"Source {HOSTILE}")
    return span


def reviews(**options) -> list[dict]:
    return json.loads(export_text("claimreview", **options))


# --- what is published ------------------------------------------------------------------


def test_every_review_passes_googles_required_and_recommended_fields(dataset):
    """Each rated claim is a review Google accepts: required and recommended fields, and
    a rating inside its scale."""
    found = reviews()
    assert found
    for review in found:
        problems = google_problems(review)
        if "itemReviewed.author" not in str(review):  # 7004 has no speaker: nobody to name
            problems = [p for p in problems if "itemReviewed.author" not in p]
        assert problems == [], (review["url"], problems)


def test_only_rated_claims_are_reviewed_and_the_rest_are_counted(dataset):
    """Spans without a rating (two unrated claims' labels aside, the denial and the
    allegation) are left out, and counted for the page and the command."""
    options = ExportOptions()
    found = json.loads(export_text("claimreview", notes=options.notes))
    assert [r["url"] for r in found] == [
        "https://factcheck.example/reviews/7001",
        "https://factcheck.example/reviews/7004",
    ]
    assert options.notes.without_verdict == 3  # 7002, 7003, 7005
    assert "3 spans without a verdict were left out" in options.notes.sentences()[0]


def test_each_review_stands_alone_with_its_own_context(dataset):
    """The file is a JSON array of reviews, each with "@context": "https://schema.org" (no
    @graph to lose when one is pasted into a page)."""
    text = export_text("claimreview")
    assert text.startswith("[\n") and text.endswith("\n]\n")
    assert "@graph" not in text
    assert all(r["@context"] == "https://schema.org" for r in json.loads(text))


def test_the_jsonl_variant_is_one_standalone_review_a_line(dataset):
    lines = export_text("claimreview-jsonl").splitlines()
    assert [json.loads(line) for line in lines] == reviews()


def test_the_review_maps_verdict_speaker_article_organisation_and_sources(dataset):
    bridge = reviews()[0]
    assert bridge["claimReviewed"] == "the bridge is safe"
    assert bridge["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert bridge["reviewBody"] == "The inspection found cracks in two piers."
    assert bridge["datePublished"] == "2026-11-22"  # the verdict's day
    assert bridge["author"] == {
        "@type": "Organization",
        "name": "Factcheck",
        "url": "https://factcheck.example",
    }
    claim = bridge["itemReviewed"]
    assert claim["@type"] == "Claim"
    assert claim["author"] == {
        "@type": "Person",
        "name": "Ana",
        "jobTitle": "Minister of Transport",
        "url": "https://gov.example/ana",
    }
    assert claim["datePublished"] == "2026-11-19T08:00:00+00:00"
    assert claim["appearance"]["url"] == "https://news.example/bridge"
    assert claim["appearance"]["headline"] == "Bridge “safe”, minister says"
    assert [(c["@type"], c["url"]) for c in bridge["citation"]] == [
        ("CreativeWork", "https://gov.example/report"),
        ("CreativeWork", "https://archive.example/a"),
    ]
    assert bridge["citation"][0]["publisher"] == {"@type": "Organization", "name": "Ministry"}
    assert "rita" not in json.dumps(bridge)  # reviewers are not published


def test_an_organisation_speaker_and_an_off_scale_verdict(dataset):
    """An organisation speaks as an Organization; "unproven" (value 0) is named, with no
    number outside the scale, and without an explanation there is no reviewBody."""
    Annotation.objects.filter(pk=7003).update(
        verdict=Rating.objects.get(scale__name="Default", slug="true")
    )
    by_url = {r["url"].rsplit("/", 1)[1]: r for r in reviews()}
    assert by_url["7003"]["itemReviewed"]["author"] == {
        "@type": "Organization",
        "name": "北京 officials",
    }
    assert by_url["7003"]["reviewRating"]["ratingValue"] == 5
    assert by_url["7004"]["reviewRating"] == {"@type": "Rating", "alternateName": "Unproven"}
    assert "reviewBody" not in by_url["7004"]


def test_the_organisation_and_review_url_come_from_settings(dataset, settings):
    settings.FACTCHECK_ORGANISATION_NAME = "Checkers Ltd"
    settings.FACTCHECK_ORGANISATION_URL = "https://checkers.example"
    settings.FACTCHECK_REVIEW_URL_TEMPLATE = "https://checkers.example/fc/{span_id}.html"
    review = reviews()[0]
    assert review["author"]["name"] == "Checkers Ltd"
    assert review["author"]["url"] == "https://checkers.example"
    assert review["url"] == "https://checkers.example/fc/7001.html"


def test_a_template_with_other_braces_never_breaks_the_stream(dataset, settings):
    settings.FACTCHECK_REVIEW_URL_TEMPLATE = "https://x.example/{id}/{span_id}?q={"
    assert reviews()[0]["url"] == "https://x.example/{id}/7001?q={"


def test_the_internal_note_appears_nowhere(dataset):
    """Whatever the note says, it is in no review, rated or not, in either variant."""
    Annotation.objects.update(note="SECRET-NOTE-do-not-publish")
    Annotation.objects.filter(pk=7005).update(
        verdict=Rating.objects.get(scale__name="Default", slug="false")
    )
    for name in ("claimreview", "claimreview-jsonl"):
        assert "SECRET-NOTE" not in export_text(name)
    assert "SECRET-NOTE" in export_text("jsonl")  # the data does hold it


def test_only_schema_org_types_and_properties(dataset):
    """Every @type is a schema.org class and every key a schema.org property (release
    30.0, offline)."""
    classes, properties = schemaorg_vocabulary()
    types, keys = types_and_keys(reviews())
    assert types <= classes, types - classes
    assert keys <= properties, keys - properties
    assert {"ClaimReview", "Claim", "Rating", "NewsArticle", "CreativeWork"} <= types


def test_each_review_expands_as_json_ld_with_the_local_context(dataset):
    pyld = pytest.importorskip("pyld")
    context = json.loads((VALIDATORS / "schemaorg" / "schemaorgcontext.jsonld").read_text())

    def loader(url, options=None):
        assert url.rstrip("/") in {"https://schema.org", "http://schema.org"}
        return {"contextUrl": None, "documentUrl": url, "document": context}

    for review in reviews():
        [expanded] = pyld.jsonld.expand(review, {"documentLoader": loader})
        assert expanded["@type"] == ["http://schema.org/ClaimReview"]
        assert "http://schema.org/reviewRating" in expanded
        assert "http://schema.org/url" in expanded


# --- safe inside <script type="application/ld+json"> ------------------------------------


@pytest.mark.parametrize("name", ["claimreview", "claimreview-jsonl", "w3c"])
def test_a_script_end_in_any_string_is_escaped_and_reads_back_exactly(hostile, name):
    """`</script>` in a quote, an explanation, a note, a title or a URL never comes out
    raw (nor <, >, &, U+2028); json.loads gives back the exact text."""
    text = export_text(name)
    for raw in ("<", ">", "&", "\u2028"):
        assert raw not in text, raw
    assert "\\u003c/script\\u003e" in text
    if name == "w3c":
        items = json.loads(text)["first"]["items"]
        item = next(i for i in items if i["id"].endswith(":7010"))
        assert item["target"]["selector"][1]["exact"] == f"{HOSTILE} & more \u2028 on"
        assert f"internal {HOSTILE}" in [b.get("value") for b in item["body"]]
        return
    found = (
        [json.loads(line) for line in text.splitlines()] if "jsonl" in name else json.loads(text)
    )
    review = next(r for r in found if r["url"].endswith("/7010"))
    assert review["claimReviewed"] == f"{HOSTILE} & more \u2028 on"
    assert review["reviewBody"] == f"Explained {HOSTILE} & <b>"
    assert review["itemReviewed"]["appearance"]["headline"] == f"Headline {HOSTILE}"
    assert review["citation"][0] == {
        "@type": "CreativeWork",
        "url": "https://example.org/?a=1&b=<2>",
        "keywords": "supports",
        "name": f"Source {HOSTILE}",
    }
    assert google_problems(review, recommended=False) == []


def test_the_verdict_day_is_the_sites_day(hostile, settings):
    """23:30 UTC on the 23rd is the 24th in Tokyo: datePublished is the site's day."""
    settings.TIME_ZONE = "Asia/Tokyo"
    review = next(r for r in reviews() if r["url"].endswith("/7010"))
    assert review["datePublished"] == "2026-11-24"


# --- nothing to publish -----------------------------------------------------------------


def test_nothing_rated_is_an_empty_array_and_an_empty_jsonl(dataset):
    Annotation.objects.update(verdict=None)
    assert export_text("claimreview") == "[]\n"
    assert json.loads(export_text("claimreview")) == []
    assert export_text("claimreview-jsonl") == ""


def test_the_page_says_how_many_spans_will_be_left_out(editor_client, dataset):
    response = editor_client.get(reverse("export"), {"format": "claimreview"})
    html = response.content.decode()
    assert "3 spans without a verdict will be left out" in html
    jsonl = editor_client.get(reverse("export"), {"format": "jsonl"}).content.decode()
    assert "will be left out" not in jsonl


def test_the_command_writes_jsonl_with_a_flag_and_reports_the_left_out(dataset, tmp_path):
    target = tmp_path / "reviews.jsonl"
    err = io.StringIO()
    call_command(
        "export_dataset", "--format", "claimreview", "--jsonl", "-o", str(target), stderr=err
    )
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["url"] for line in lines] == [
        "https://factcheck.example/reviews/7001",
        "https://factcheck.example/reviews/7004",
    ]
    assert "3 spans without a verdict were left out" in err.getvalue()


def test_jsonl_is_refused_for_a_format_that_has_no_array(dataset, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--jsonl: only for claimreview"):
        call_command("export_dataset", "--format", "csv", "--jsonl", "-o", str(tmp_path / "x"))
    assert list(tmp_path.iterdir()) == []
