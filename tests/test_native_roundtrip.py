"""The native JSONL round trip: export, import into an empty database, export again.

The second file is the first one but for the ids (articles and spans get new ones; a
link's "to" follows its span): texts, offsets, speakers with their details, verdicts,
sources (one record cited by several spans), links and every time are kept exactly,
whatever the text holds (emoji and ZWJ sequences, CJK, right-to-left text, combining
marks, NBSP, line separators).

"Empty" keeps what an export names but does not carry: the accounts, labels and rating
scales, which a database receiving a dataset has (or gets from its admin) first.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from annotations.exporters import get_format
from annotations.exporters.query import export_articles
from annotations.importers.service import import_file
from annotations.models import (
    Annotation,
    Article,
    Evidence,
    HistoryEvent,
    Label,
    Rating,
    Relation,
    Source,
    Speaker,
)
from annotations.offsets import canonical_text, quote_selector
from annotations.services.sources import clean_url
from annotations.services.speakers import clean_name
from tests.factories import make_user

ANNOTATORS = ("rita", "oscar", "edith")


def export_jsonl() -> str:
    return "".join(get_format("jsonl").stream(export_articles()))


def empty_the_database() -> None:
    """Everything an export carries goes; accounts, labels and scales stay."""
    Article.objects.all().delete()  # spans, citations and links with them
    Source.objects.all().delete()
    Speaker.objects.all().delete()
    HistoryEvent.objects.all().delete()


def import_jsonl(text: str, user) -> None:
    result = import_file(name="dataset.jsonl", data=text.encode("utf-8"), user=user)
    assert (result.reason, result.refused_lines) == ("", [])


def without_ids(text: str) -> list[dict]:
    """The records with article and span ids left out and each link's "to" given as the
    position of its span in the line."""
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        position = {span["id"]: n for n, span in enumerate(record["spans"])}
        record["id"] = None
        for span in record["spans"]:
            span["id"] = None
            for link in span["relations"]:
                link["to"] = position[link["to"]]
    return records


def assert_round_trip(importer) -> str:
    first = export_jsonl()
    empty_the_database()
    import_jsonl(first, importer)
    second = export_jsonl()
    assert without_ids(second) == without_ids(first)
    # The same bytes but for the ids: nothing else was rewritten on the way.
    assert len(second.splitlines()) == len(first.splitlines())
    return first


def make_span(article, text: str, *, author, label="claim", occurrence=0, **fields):
    start = -1
    for _ in range(occurrence + 1):
        start = article.body.index(text, start + 1)
    end = start + len(text)
    selector = quote_selector(article.body, start, end)
    return Annotation.objects.create(
        article=article,
        label=Label.objects.get(slug=label),
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        author=author,
        **fields,
    )


def cite(span, source: Source, stance="supports", passage=""):
    return Evidence.objects.create(
        annotation=span, source=source, stance=stance, quoted_passage=passage
    )


# --- a fixed, rich sample -------------------------------------------------------------

RICH = canonical_text(
    "Minister 😀 Ana said “the bridge is safe” on Monday.\n"
    "北京 officials denied it\u00a0today: «no x\u0302 deal was signed».\n"
    "הדובר אמר: «הגשר בטוח» — قال المتحدث إن الجسر آمن.\u2028"
    "Café owners (👩‍👩‍👧) called the claim an unverified allegation."
)
PLAIN = "The mayor said the budget is balanced. The auditor disagreed."


@pytest.fixture
def rich_sample(db):
    rita = make_user("rita")
    oscar = make_user("oscar")
    edith = make_user("edith", role="editor")
    rich = Article.objects.create(
        title="Bridge “safe”, minister says — הגשר",
        body=RICH,
        author="Jane Doe",
        publisher="Daily Example",
        source_url="https://news.example/bridge",
        published_at=datetime(2026, 11, 19, 8, 0, tzinfo=UTC),
        status=Article.Status.REVIEWED,
    )
    plain = Article.objects.create(title="Budget", body=PLAIN, status=Article.Status.IN_REVIEW)
    Article.objects.create(title="Nothing here", body="A short item.", status=Article.Status.NEW)

    ana = Speaker.objects.create(
        name="Ana Łukasiewicz",
        kind=Speaker.Kind.PERSON,
        role="Minister of Transport",
        url="https://gov.example/ana",
    )
    officials = Speaker.objects.create(name="北京 officials", kind=Speaker.Kind.ORGANIZATION)
    spokesman = Speaker.objects.create(name="דובר המשרד", role="Spokesman")
    false, unproven = (
        Rating.objects.get(scale__name="Default", slug=slug) for slug in ("false", "unproven")
    )
    rated = datetime(2026, 11, 22, 14, 15, 16, 123456, tzinfo=UTC)

    bridge = make_span(
        rich,
        "the bridge is safe",
        author=rita,
        speaker=ana,
        note="Said twice — internal.",
        verdict=false,
        verdict_explanation="The inspection found cracks 😀 in two piers (检查).",
        verdict_by=edith,
        verdict_at=rated,
    )
    overlap = make_span(
        rich, "😀 Ana said “the bridge", author=oscar, label="unverified-allegation"
    )
    denied = make_span(
        rich, "北京 officials denied it", author=rita, label="denial", speaker=officials
    )
    deal = make_span(
        rich, "no x\u0302 deal was signed", author=rita, verdict=unproven, verdict_by=oscar
    )
    hebrew = make_span(rich, "הגשר בטוח", author=oscar, speaker=spokesman)
    arabic = make_span(rich, "قال المتحدث إن الجسر آمن", author=oscar, label="denial")
    family = make_span(rich, "(👩‍👩‍👧)", author=rita, label="unverified-allegation")
    same_place = make_span(rich, "(👩‍👩‍👧)", author=oscar, label="denial")  # same offsets
    budget = make_span(
        plain, "the budget is balanced", author=oscar, verdict_explanation="Checking the books."
    )

    report = Source.objects.create(
        url=clean_url("https://gov.example/report"),
        title="Inspection report — 报告",
        publisher="Ministry",
        accessed_on=date(2026, 11, 21),
    )
    wire = Source.objects.create(url="https://wire.example/deal?id=7#מקור", title="Wire story")
    cite(bridge, report, "refutes", "Cracks were found.\n\nSecond paragraph, x\u0302.")
    cite(bridge, wire, "context")
    cite(denied, report, "supports", "«No deal»")  # the report cited by a second span
    cite(deal, wire, "supports")
    cite(budget, report, "context")  # and by a span of another article
    for origin, target, kind in (
        (denied, bridge, Relation.Type.DENIES),
        (overlap, bridge, Relation.Type.RESPONDS_TO),
        (arabic, hebrew, Relation.Type.DENIES),
        (hebrew, arabic, Relation.Type.RESPONDS_TO),  # both ways
        (deal, denied, Relation.Type.EVIDENCE_FOR),
        (same_place, family, Relation.Type.RESPONDS_TO),
    ):
        Relation.objects.create(from_span=origin, to_span=target, type=kind)
    Annotation.objects.update(created_at=datetime(2026, 11, 20, 9, 30, 0, 654321, tzinfo=UTC))
    return {"editor": edith}


def test_the_rich_sample_round_trips_exactly(rich_sample):
    """Export, import into an empty database, export: the same file but for the ids, with
    its verdicts (on and off the scale, an explanation before a rating), links (both ways,
    between spans at the same offsets), speakers with kinds and roles, and sources shared
    by spans of one article and of two."""
    first = assert_round_trip(rich_sample["editor"])
    records = [json.loads(line) for line in first.splitlines()]
    spans = [span for record in records for span in record["spans"]]
    assert {s["verdict"]["slug"] for s in spans if s["verdict"]} == {"false", "unproven", None}
    assert sum(len(s["relations"]) for s in spans) == 6
    assert {s["speaker_details"]["role"] for s in spans if s["speaker"]} >= {
        "Minister of Transport",
        "Spokesman",
    }
    cited = [src["url"] for s in spans for src in s["sources"]]
    assert cited.count("https://gov.example/report") == 3
    # One record per URL after the import as before.
    assert Source.objects.count() == 2 and Evidence.objects.count() == 5
    assert Speaker.objects.count() == 3 and Relation.objects.count() == 6


def test_an_imported_spans_first_version_holds_the_new_fields_for_a_restore(rich_sample):
    """An imported span has no creation event of its own (its article's arrival stands for
    it); deleted, its deletion event holds its speaker, verdict, sources (with the shared
    record's id) and links both ways, as a restore needs them."""
    from annotations import services

    assert_round_trip(rich_sample["editor"])
    bridge = Annotation.objects.get(quote="the bridge is safe")
    assert not HistoryEvent.objects.filter(
        object_id=bridge.pk, kind=HistoryEvent.Kind.ANNOTATION
    ).exists()
    sources = list(bridge.sources.order_by("id").values_list("source_id", flat=True))
    links = sorted(
        Relation.objects.filter(to_span=bridge).values_list("from_span_id", "to_span_id")
    )
    speaker_id, verdict = bridge.speaker_id, (bridge.verdict_id, bridge.verdict_explanation)
    kept = services.annotation_delete(annotation=bridge, actor=rich_sample["editor"]).before
    assert (kept["speaker"], kept["speaker_id"]) == ("Ana Łukasiewicz", speaker_id)
    assert (kept["verdict_id"], kept["verdict_explanation"]) == verdict
    assert kept["verdict_at"] == "2026-11-22T14:15:16.123456+00:00"
    assert [s["source_id"] for s in kept["sources"]] == sources
    assert sorted((r["from_span_id"], r["to_span_id"]) for r in kept["relations"]) == links


def test_a_second_import_of_the_same_file_changes_nothing(rich_sample):
    """The round-tripped file imported again is "already present" and adds no speaker,
    source, citation or link."""
    first = assert_round_trip(rich_sample["editor"])
    counts = [m.objects.count() for m in (Annotation, Speaker, Source, Evidence, Relation)]
    result = import_file(name="again.jsonl", data=first.encode(), user=rich_sample["editor"])
    assert (len(result.created), len(result.already_present)) == (0, 3)
    assert [m.objects.count() for m in (Annotation, Speaker, Source, Evidence, Relation)] == counts


# --- any text, any spans (hypothesis) -------------------------------------------------

# Pieces of text the contract cares about: emoji (one code point, two UTF-16 units), a ZWJ
# family and a flag (one grapheme, several code points), CJK, Hebrew and Arabic with a
# right-to-left mark, combining marks (x̂ has no precomposed form, so NFC keeps two code
# points; e + U+0301 becomes é), NBSP, typographic quotes, a line separator, tabs and
# newlines.
PIECES = (
    "the",
    "bridge",
    "safe",
    " ",
    " ",
    "\n",
    "\t",
    "\u00a0",
    "😀",
    "👩‍👩‍👧",
    "🇫🇷",
    "北京",
    "漢字",
    "שלום",
    "مرحبا",
    "\u200f",
    "x\u0302",
    "e\u0301",
    "“",
    "”",
    "«",
    "»",
    "\u2028",
    ".",
)
words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join)
bodies = (
    st.lists(st.sampled_from(PIECES), min_size=3, max_size=60)
    .map(lambda pieces: canonical_text("".join(pieces)))
    .filter(lambda body: body.strip())
)
prose = words.map(lambda text: canonical_text(text).strip())
one_line = words.map(lambda text: " ".join(canonical_text(text).split()))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
URLS = (
    "https://gov.example/report",
    "https://wire.example/deal?id=7",
    "https://archive.example/北京",
    "http://old.example/a#part",
)


def spans_of(body: str):
    """[start, end) pairs of the body that do not cover only white space."""
    return (
        st.tuples(st.integers(0, len(body) - 1), st.integers(1, len(body)))
        .map(lambda pair: (min(pair), max(pair)))
        .filter(lambda pair: pair[0] < pair[1] and body[pair[0] : pair[1]].strip())
    )


@st.composite
def datasets(draw):
    """Articles (1-3) with spans (0-6 each); spans with or without a speaker (from a few,
    with details), a verdict, a note, sources (from a few shared URLs) and links to other
    spans of their article."""
    speakers = draw(
        st.lists(
            st.tuples(one_line.filter(bool), st.sampled_from(Speaker.Kind.values), one_line),
            max_size=3,
            unique_by=lambda s: clean_name(s[0]).lower(),
        )
    )
    records = {url: (draw(one_line), draw(one_line), draw(st.none() | st.dates())) for url in URLS}
    articles = []
    for _ in range(draw(st.integers(1, 3))):
        body = draw(bodies)
        spans = []
        for _ in range(draw(st.integers(0, 6))):
            start, end = draw(spans_of(body))
            label = draw(st.sampled_from(("claim", "denial", "unverified-allegation")))
            verdict = None
            if label == "claim" and draw(st.booleans()):
                verdict = (
                    draw(st.sampled_from(("true", "mixed", "false", "unproven", None))),
                    draw(prose),
                    draw(st.sampled_from((None, *ANNOTATORS))),
                    draw(st.none() | moments),
                )
            spans.append(
                {
                    "start": start,
                    "end": end,
                    "label": label,
                    "speaker": draw(st.none() | st.sampled_from(speakers)) if speakers else None,
                    "note": draw(prose),
                    "annotator": draw(st.sampled_from(ANNOTATORS)),
                    "created_at": draw(moments),
                    "verdict": verdict,
                    "sources": draw(
                        st.lists(
                            st.tuples(
                                st.sampled_from(URLS),
                                st.sampled_from(Evidence.Stance.values),
                                prose,
                            ),
                            max_size=3,
                            unique_by=lambda s: s[0],
                        )
                    ),
                }
            )
        links = []
        if len(spans) > 1:
            pairs = st.tuples(st.integers(0, len(spans) - 1), st.integers(0, len(spans) - 1))
            links = draw(
                st.lists(
                    st.tuples(
                        pairs.filter(lambda p: p[0] != p[1]), st.sampled_from(Relation.Type.values)
                    ),
                    max_size=4,
                    unique_by=lambda link: link[0],
                )
            )
        articles.append(
            {
                "title": draw(one_line.filter(bool)),
                "body": body,
                "author": draw(one_line),
                "published_at": draw(st.none() | moments),
                "status": draw(st.sampled_from(Article.Status.values)),
                "spans": spans,
                "links": links,
            }
        )
    return {"speakers": speakers, "records": records, "articles": articles}


class NativeRoundTripTests(TestCase):
    """Hypothesis' Django TestCase: each example runs in its own rolled-back transaction."""

    @classmethod
    def setUpTestData(cls):
        cls.users = {name: make_user(name) for name in ANNOTATORS}
        cls.ratings = {r.slug: r for r in Rating.objects.filter(scale__name="Default")}
        cls.labels = {label.slug: label for label in Label.objects.all()}

    def store(self, data) -> None:
        speakers = [
            Speaker.objects.create(name=clean_name(name), kind=kind, role=role)
            for name, kind, role in data["speakers"]
        ]
        by_name = {s.name: s for s in speakers}
        records = {
            url: Source.objects.create(
                url=clean_url(url), title=title, publisher=publisher, accessed_on=accessed
            )
            for url, (title, publisher, accessed) in data["records"].items()
        }
        for n, wanted in enumerate(data["articles"]):
            # Texts must differ (an article is its text); the title line makes them.
            article = Article.objects.create(
                title=wanted["title"],
                body=f"{n}\n{wanted['body']}",
                author=wanted["author"],
                published_at=wanted["published_at"],
                status=wanted["status"],
            )
            offset = len(f"{n}\n")
            made = []
            for span in wanted["spans"]:
                start, end = span["start"] + offset, span["end"] + offset
                selector = quote_selector(article.body, start, end)
                fields = {}
                if span["verdict"] is not None:
                    slug, explanation, by, at = span["verdict"]
                    fields = {
                        "verdict": self.ratings[slug] if slug else None,
                        "verdict_explanation": explanation,
                        "verdict_by": self.users[by] if by else None,
                        "verdict_at": at,
                    }
                speaker = span["speaker"]
                annotation = Annotation.objects.create(
                    article=article,
                    label=self.labels[span["label"]],
                    start=start,
                    end=end,
                    quote=selector.exact,
                    prefix=selector.prefix,
                    suffix=selector.suffix,
                    speaker=by_name[clean_name(speaker[0])] if speaker else None,
                    note=span["note"],
                    author=self.users[span["annotator"]],
                    **fields,
                )
                Annotation.objects.filter(pk=annotation.pk).update(created_at=span["created_at"])
                made.append(annotation)
                for url, stance, passage in span["sources"]:
                    cite(annotation, records[url], stance, passage)
            for (origin, target), kind in wanted["links"]:
                Relation.objects.create(from_span=made[origin], to_span=made[target], type=kind)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(datasets())
    def test_any_dataset_round_trips_exactly(self, data):
        """Whatever the texts, spans, speakers, verdicts, sources and links, the export of
        the imported export is the export, but for the ids."""
        self.store(data)
        assert_round_trip(self.users["rita"])


def test_the_times_in_the_sample_keep_their_microseconds(rich_sample):
    """Times survive to the microsecond (the export writes isoformat(), the import reads
    it back): the creation time of every span and the time of each verdict."""
    before = {
        a.quote: (a.created_at, a.verdict_at) for a in Annotation.objects.order_by("start", "id")
    }
    assert_round_trip(rich_sample["editor"])
    after = {
        a.quote: (a.created_at, a.verdict_at) for a in Annotation.objects.order_by("start", "id")
    }
    assert after == before
    assert all(created.microsecond == 654321 for created, _ in after.values())
    assert timedelta(0) < after["the bridge is safe"][1] - after["the bridge is safe"][0]
