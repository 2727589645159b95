"""Round trips of the other tools' formats: export, import into an empty database, export.

For doccano, Label Studio and W3C Web Annotation the second file is the first but for the
ids (articles and spans get new ones), whatever the texts hold: emoji beyond U+FFFF (two
UTF-16 units each, which doccano counts), ZWJ sequences and flags, CJK, Hebrew and Arabic,
combining marks; spans start and end at any code point. Each format carries only part of
a span (doccano: no annotator, note, speaker or source; Label Studio: annotator and note;
W3C: annotator, time, note, speaker and sources), so each test generates what its format
carries and checks that exactly that comes back.

W3C: the export gives each article's text and title in its first annotation's target
source (tests/test_w3c_roundtrip.py), so its file alone round trips; a file whose targets
are links only is refused (`links_only`, test_a_w3c_file_without_texts_is_refused_as_a_whole).

"Empty" keeps what an export names but does not carry: the accounts and labels.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from annotations.exporters import get_format
from annotations.exporters.query import export_articles
from annotations.importers import format_for
from annotations.importers.service import import_file
from annotations.models import Annotation, Article, Evidence, HistoryEvent, Label, Source, Speaker
from annotations.offsets import canonical_text, is_blank, quote_selector
from annotations.services.sources import clean_url
from annotations.services.speakers import clean_name
from tests.factories import make_user

ANNOTATORS = ("rita", "oscar", "edith")
LABELS = ("claim", "denial", "unverified-allegation")
PIECES = (
    "the",
    "bridge",
    " ",
    "\n",
    "😀",  # one code point, two UTF-16 units
    "𝔘",  # a letter beyond the BMP
    "👩‍👩‍👧",  # a ZWJ family: five code points, one grapheme
    "🇫🇷",  # a flag: two regional indicators
    "北京",
    "漢字",
    "שלום",
    "مرحبا",
    "\u200f",  # right-to-left mark
    "x\u0302",  # a combining mark NFC keeps apart
    "e\u0301",  # one NFC composes to é
    "“",
    "»",
    ".",
    "</script>&",  # written as \u003c... by the JSON-LD of W3C, read back as it was
)
bodies = (
    st.lists(st.sampled_from(PIECES), min_size=3, max_size=40)
    .map(lambda pieces: canonical_text("".join(pieces)))
    .filter(lambda body: not is_blank(body))  # the importers' rule for "no text"
)
words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
prose = words.map(lambda text: canonical_text(text).strip())
one_line = words.map(lambda text: " ".join(canonical_text(text).split()))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
URLS = ("https://gov.example/report", "https://archive.example/北京")


def spans_of(body: str):
    """[start, end) at any code points of the body, not covering only white space."""
    return (
        st.tuples(st.integers(0, len(body) - 1), st.integers(1, len(body)))
        .map(lambda pair: (min(pair), max(pair)))
        .filter(lambda pair: pair[0] < pair[1] and not is_blank(body[pair[0] : pair[1]]))
    )


@st.composite
def datasets(draw, *, rich: bool):
    """1-3 articles with 0-5 spans each (1-5 if `rich`); `rich`: spans with a note, and a
    speaker, a time and sources too (what W3C carries)."""
    articles = []
    for _ in range(draw(st.integers(1, 3))):
        body = draw(bodies)
        spans = []
        # W3C holds annotations only: an article without any is not in the file.
        for _ in range(draw(st.integers(1 if rich else 0, 5))):
            start, end = draw(spans_of(body))
            span = {
                "start": start,
                "end": end,
                "label": draw(st.sampled_from(LABELS)),
                "annotator": draw(st.sampled_from(ANNOTATORS)),
                "note": draw(st.just("") | prose) if rich else "",
                "speaker": draw(st.just("") | one_line) if rich else "",
                "created_at": draw(moments),
                "sources": [],
            }
            if rich:
                span["sources"] = draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(URLS),
                            st.sampled_from(Evidence.Stance.values),
                            prose,
                        ),
                        max_size=2,
                        unique_by=lambda s: s[0],
                    )
                )
            spans.append(span)
        # A title of only a right-to-left mark is no title (offsets.is_blank), and refused.
        title = draw(one_line.filter(lambda text: not is_blank(text)))
        articles.append({"title": title, "body": body, "spans": spans})
    return articles


# --- export, empty, import ------------------------------------------------------------------


def export(name: str) -> str:
    return "".join(get_format(name).stream(export_articles()))


def empty_the_database() -> None:
    """Everything an export carries goes; accounts and labels stay."""
    Article.objects.all().delete()
    Source.objects.all().delete()
    Speaker.objects.all().delete()
    HistoryEvent.objects.all().delete()


def import_as_exported(name: str, text: str, user):
    """Import under the name the export gives its file (its extension picks the format)."""
    filename = get_format(name).filename(date(2026, 12, 2))
    return import_file(name=filename, data=text.encode("utf-8"), user=user)


def links_only(w3c: str) -> str:
    """The W3C export with each target's source reduced to its id: no text."""
    collection = json.loads(w3c)
    for annotation in collection["first"]["items"]:
        source = annotation["target"]["source"]
        if isinstance(source, dict):
            annotation["target"]["source"] = source["id"]
    return json.dumps(collection, ensure_ascii=False)


# --- normalisers: ids blanked; what refers to an id keeps which one it was ---------------


def _renumber(value: str, seen: dict) -> int:
    return seen.setdefault(value, len(seen))


def normal_doccano(text: str) -> list[dict]:
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        record["article_id"] = None
    return records


def normal_labelstudio(text: str) -> list[dict]:
    tasks = json.loads(text)
    for task in tasks:
        task["data"]["article_id"] = None
        for annotation in task["annotations"]:
            for region in annotation["result"]:
                region["id"] = None
    return tasks


def normal_w3c(text: str) -> dict:
    collection = json.loads(text)
    articles: dict = {}
    for annotation in collection["first"]["items"]:
        annotation["id"] = None
        source = annotation["target"]["source"]
        if isinstance(source, dict):
            source["id"] = _renumber(source["id"], articles)
        else:
            annotation["target"]["source"] = _renumber(source, articles)
    return collection


NORMALISERS = {
    "doccano": normal_doccano,
    "labelstudio": normal_labelstudio,
    "w3c": normal_w3c,
}


class FormatRoundTripTests(TestCase):
    """Hypothesis' Django TestCase: each example runs in its own rolled-back transaction."""

    @classmethod
    def setUpTestData(cls):
        cls.users = {name: make_user(name) for name in ANNOTATORS}
        cls.importer = make_user("importer", role="editor")
        cls.labels = {label.slug: label for label in Label.objects.filter(slug__in=LABELS)}

    def store(self, articles) -> None:
        records = {url: Source.objects.create(url=clean_url(url)) for url in URLS}
        speakers: dict[str, Speaker] = {}
        for n, wanted in enumerate(articles):
            # Texts must differ (an article is its text); the number line makes them.
            article = Article.objects.create(title=wanted["title"], body=f"{n}\n{wanted['body']}")
            offset = len(f"{n}\n")
            for span in wanted["spans"]:
                start, end = span["start"] + offset, span["end"] + offset
                selector = quote_selector(article.body, start, end)
                speaker = None
                if span["speaker"]:
                    name = clean_name(span["speaker"])
                    speaker = speakers.get(name.lower())
                    if speaker is None:
                        speaker = speakers[name.lower()] = Speaker.objects.create(name=name)
                annotation = Annotation.objects.create(
                    article=article,
                    label=self.labels[span["label"]],
                    start=start,
                    end=end,
                    quote=selector.exact,
                    prefix=selector.prefix,
                    suffix=selector.suffix,
                    note=span["note"],
                    speaker=speaker,
                    author=self.users[span["annotator"]],
                )
                Annotation.objects.filter(pk=annotation.pk).update(created_at=span["created_at"])
                for url, stance, passage in span["sources"]:
                    Evidence.objects.create(
                        annotation=annotation,
                        source=records[url],
                        stance=stance,
                        quoted_passage=passage,
                    )

    def round_trip(self, name: str, *, prepare=lambda text: text) -> tuple[str, str]:
        first = export(name)
        to_import = prepare(first)
        spans = Annotation.objects.count()
        empty_the_database()
        result = import_as_exported(name, to_import, self.importer)
        assert result.format == name
        assert (result.reason, result.refused_lines) == ("", [])
        assert Annotation.objects.count() == spans
        second = export(name)
        normalise = NORMALISERS[name]
        assert normalise(second) == normalise(first)
        return first, second

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(datasets(rich=False))
    def test_doccano_round_trips(self, articles):
        """UTF-16 offsets come back to the same code points; every span is the importer's
        (doccano names no annotator)."""
        self.store(articles)
        self.round_trip("doccano")
        assert set(Annotation.objects.values_list("author__username", flat=True)) <= {"importer"}

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(datasets(rich=False), st.sampled_from(("", "a note", "北京 😀 note")))
    def test_labelstudio_round_trips(self, articles, note):
        """Each reviewer's annotation comes back to that reviewer, notes with it."""
        self.store(articles)
        Annotation.objects.filter(label__slug="denial").update(note=note)
        self.round_trip("labelstudio")

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(datasets(rich=True))
    def test_w3c_round_trips_with_its_texts_embedded(self, articles):
        """Annotators, times, notes, speakers and sources (title, passage, stance) come back;
        the articles get their texts and titles from the embedded source."""
        self.store(articles)
        titles = sorted(
            Article.objects.filter(annotations__isnull=False)
            .values_list("title", flat=True)
            .distinct()
        )
        self.round_trip("w3c")
        assert sorted(Article.objects.values_list("title", flat=True)) == titles


# --- bad input: a clear message, nothing stored for what was refused -----------------------


@pytest.fixture
def two_articles(db):
    """Two articles with an emoji before their spans, each span by a reviewer; the editor
    who imports them back."""
    rita = make_user("rita")
    bodies = ("😀 The bridge is safe, 北京 said.", "👩‍👩‍👧 The deal was signed, مرحبا.")
    for n, body in enumerate(bodies):
        article = Article.objects.create(title=f"Article {n}", body=body)
        for text, label in (("bridge" if n == 0 else "deal", "claim"), ("said", "denial")):
            if text not in body:
                continue
            start = body.index(text)
            selector = quote_selector(body, start, start + len(text))
            Annotation.objects.create(
                article=article,
                label=Label.objects.get(slug=label),
                start=start,
                end=start + len(text),
                quote=selector.exact,
                prefix=selector.prefix,
                suffix=selector.suffix,
                author=rita,
            )
    return make_user("edith", role="editor")


def test_a_w3c_file_without_texts_is_refused_as_a_whole(two_articles):
    """A file that names each article by link only: nothing to anchor the spans in."""
    w3c = links_only(export("w3c"))
    empty_the_database()
    result = import_as_exported("w3c", w3c, two_articles)
    assert "without the articles' text" in result.reason
    assert "urn:factcheck:article:" in result.reason
    assert Article.objects.count() == 0 and Annotation.objects.count() == 0


def test_a_w3c_quote_that_is_not_the_text_at_its_position_refuses_its_article(two_articles):
    collection = json.loads(export("w3c"))
    items = collection["first"]["items"]
    broken = items[0]
    broken["target"]["selector"][1]["exact"] = "brig"  # the position still says "bridge"
    empty_the_database()
    result = import_as_exported("w3c", json.dumps(collection), two_articles)
    [(number, reason)] = result.refused_lines
    assert number == 1
    assert f"annotation 1 ({broken['id']})" in reason
    assert "TextQuoteSelector “brig” is not the text at its TextPositionSelector" in reason
    # The other article imports; nothing of the refused one (not even its good span).
    assert list(Article.objects.values_list("title", flat=True)) == ["Article 1"]
    assert not Annotation.objects.filter(quote__in=("bridge", "said")).exists()


def test_a_w3c_annotation_with_an_unknown_label_is_refused_by_name(two_articles):
    collection = json.loads(export("w3c"))
    for item in collection["first"]["items"]:
        item["body"][0]["value"] = "rumour"
    empty_the_database()
    result = import_as_exported("w3c", json.dumps(collection), two_articles)
    assert result.refused_lines and all(
        "unknown label “rumour”" in reason for _, reason in result.refused_lines
    )
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ([0, 99, "claim"], "past the end of the text"),
        ([1, 5, "claim"], "inside a surrogate pair"),  # 😀 is units 0-1: 1 splits it
        ([-1, 3, "claim"], "is negative"),
        (["3", 5, "claim"], "offsets must be whole numbers"),
    ],
)
def test_doccano_offsets_outside_the_text_or_inside_an_emoji_refuse_the_line(db, label, message):
    user = make_user("edith", role="editor")
    good = {"text": "A good line.", "label": [[2, 6, "claim"]]}
    bad = {"text": "😀 The bridge is safe.", "label": [[3, 9, "claim"], label]}
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (good, bad))
    result = import_as_exported("doccano", lines, user)
    assert result.format == "doccano"
    [(number, reason)] = result.refused_lines
    assert number == 2
    assert reason.startswith(f"label 2 [{label[0]}, {label[1]}, 'claim']: ") and message in reason
    assert list(Article.objects.values_list("body", flat=True)) == ["A good line."]


def test_doccano_utf16_offsets_land_on_the_code_points_after_an_emoji(db):
    user = make_user("edith", role="editor")
    line = json.dumps({"text": "😀👩‍👩‍👧 bridge", "label": [[11, 17, "claim"]]}) + "\n"
    result = import_as_exported("doccano", line, user)
    assert result.refused_lines == []
    span = Annotation.objects.get()
    assert (span.start, span.end, span.quote, span.author) == (7, 13, "bridge", user)


def test_a_label_studio_region_with_an_unknown_label_refuses_its_task(two_articles):
    tasks = json.loads(export("labelstudio"))
    tasks[0]["annotations"][0]["result"][0]["value"]["labels"] = ["rumour"]
    empty_the_database()
    result = import_as_exported("labelstudio", json.dumps(tasks, ensure_ascii=False), two_articles)
    [(number, reason)] = result.refused_lines
    assert number == 1 and "unknown label “rumour”" in reason
    assert list(Article.objects.values_list("title", flat=True)) == ["Article 1"]


def test_a_label_studio_region_whose_text_is_not_at_its_offsets_is_named(two_articles):
    tasks = json.loads(export("labelstudio"))
    region = tasks[0]["annotations"][0]["result"][0]
    region["value"]["start"] += 1
    empty_the_database()
    result = import_as_exported("labelstudio", json.dumps(tasks, ensure_ascii=False), two_articles)
    [(number, reason)] = result.refused_lines
    assert number == 1
    assert f"annotation 1, region 1 ({region['id']})" in reason
    assert "does not match the article" in reason
    assert Article.objects.count() == 1


def test_label_studio_spans_of_annotators_without_an_account_go_to_the_importer(two_articles):
    tasks = json.loads(export("labelstudio"))
    for task in tasks:
        for annotation in task["annotations"]:
            annotation["created_username"] = "someone-elsewhere"
    empty_the_database()
    result = import_as_exported("labelstudio", json.dumps(tasks, ensure_ascii=False), two_articles)
    assert result.refused_lines == [] and len(result.created) == 2
    assert {span.author for span in Annotation.objects.all()} == {two_articles}
    reassigned = [a.import_metadata.get("reassigned_spans") for a in Article.objects.all()]
    assert all(reassigned), reassigned


def test_invalid_w3c_json_is_refused_with_its_line(db):
    text = '{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",\n"id": }'
    result = import_as_exported("w3c", text, make_user("edith", role="editor"))
    assert result.reason.startswith("The W3C annotation file is not valid JSON")
    assert "at line 2" in result.reason
    assert Article.objects.count() == 0


def test_a_broken_label_studio_task_is_refused_by_its_line(db):
    text = (
        '[{"data": {"text": "Fine."}, "annotations": []},\n'
        '{"data": {"text": "x"}, "annotations": [1 2]}]'
    )
    result = import_as_exported("labelstudio", text, make_user("edith", role="editor"))
    assert result.format == "labelstudio"
    [(number, reason)] = result.refused_lines
    assert number == 2 and reason.startswith("task 2: not valid JSON")
    assert list(Article.objects.values_list("body", flat=True)) == ["Fine."]


def test_an_invalid_doccano_line_is_refused_by_its_number(db):
    lines = '{"text": "Fine.", "label": [[0, 4, "claim"]]}\n{"text": "broken", "label": [\n'
    result = import_as_exported("doccano", lines, make_user("edith", role="editor"))
    [(number, reason)] = result.refused_lines
    assert number == 2 and reason.startswith("not valid JSON")
    assert Article.objects.count() == 1


# --- each shape goes to its own parser ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("x.jsonl", '{"text": "A", "label": [[0, 1, "claim"]]}\n', "doccano"),
        ("x.jsonl", '{"text": "A", "entities": []}\n', "doccano"),
        ("x.jsonl", '{"text": "A", "label": [], "spans": []}\n', "native-jsonl"),
        ("x.jsonl", '{"text": "A", "spans": [{"start": 0, "end": 1}]}\n', "native-jsonl"),
        ("x.jsonl", '{"title": "T", "body": "A", "label": [[0, 1, "x"]]}\n', "native-jsonl"),
        ("x.json", '[{"data": {"text": "A"}, "annotations": []}]', "labelstudio"),
        ("x.json", '[{"title": "T", "body": "A"}]', "json-array"),
        ("x.json", '[{"text": "A", "data": "not a task"}]', "json-array"),
        (
            "x.jsonld",
            '{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation"}',
            "w3c",
        ),
        (
            "x.json",
            '{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection"}',
            "w3c",
        ),
    ],
)
def test_each_shape_is_read_by_its_own_format(name, text, expected):
    assert format_for(name, text).name == expected


def test_an_annotation_of_another_vocabulary_is_not_taken_for_w3c():
    text = '{"@context": "https://schema.org", "type": "Annotation"}'
    assert format_for("x.json", text).name != "w3c"
