"""The W3C export carries each article's text, so its file alone imports back exactly
(annotations/exporters/formats/w3c.py, annotations/importers/w3c.py).

Round trip: the file `export_dataset --format w3c` writes, imported into a database
emptied of everything the export carries (accounts and labels stay), gives the same
articles (text and title) and the same spans: offsets, label, note, speaker, annotator,
time and cited sources (URL, title, publisher, stance, passage). Verdicts, speakers'
details and links between spans are not in the W3C format, so they are not compared.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from annotations.exporters import get_format
from annotations.exporters.base import ExportOptions
from annotations.exporters.query import export_articles
from annotations.importers.service import import_file
from annotations.models import Annotation, Article, HistoryEvent, Source, Speaker
from tests.factories import make_annotation, make_source, make_user
from tests.test_exporters import VALIDATORS, _w3c_validators

# Emoji beyond the BMP (two UTF-16 units), a ZWJ family and a flag, CJK, Arabic and
# Hebrew (RTL) with a mark, a combining mark NFC keeps apart, U+2028 (escaped in JSON-LD),
# and "</script>&" (escaped for a <script> element, read back as it was).
TEXTS = {
    "Emoji 😀 and 👩‍👩‍👧": (
        "😀 The minister said the bridge is safe.\n👩‍👩‍👧 Families 🇫🇷 were told otherwise."
    ),
    "北京 — 漢字": "北京 officials denied it: «no x\u0302 deal was signed».\u2028漢字 at the end",
    "RTL </script>&": "قال الوزير إن الجسر آمن \u200f והשר אמר שהגשר בטוח </script>& done.",
}
CREATED = datetime(2026, 11, 20, 9, 30, 5, 120000, tzinfo=UTC)


def span_of(body: str, text: str) -> tuple[int, int]:
    start = body.index(text)
    return start, start + len(text)


def build(users) -> None:
    """Three articles; spans overlapping, nested, at the very start and end of a text,
    with and without note, speaker and sources, by two reviewers."""
    rita, oscar = users
    emoji, cjk, rtl = (Article.objects.create(title=t, body=b) for t, b in TEXTS.items())
    first = make_annotation(
        emoji,
        *span_of(emoji.body, "😀 The minister"),
        author=rita,
        note="Said twice 🙂 </b>",
        speaker="Ана Мария",
    )
    make_source(
        first,
        "https://gov.example/北京",
        title="Inspection «report»",
        publisher="Ministry",
        stance="refutes",
        quoted_passage="Cracks 😀 were found.",
    )
    make_source(first, "https://archive.example/a", stance="context")
    make_annotation(
        emoji, *span_of(emoji.body, "minister said the bridge"), author=oscar, label_slug="denial"
    )
    make_annotation(emoji, *span_of(emoji.body, "bridge"), author=rita)  # inside the last
    make_annotation(
        emoji,
        *span_of(emoji.body, "🇫🇷 were told otherwise."),  # ends the text
        author=oscar,
        label_slug="unverified-allegation",
        speaker="Ministry of 🇫🇷",
    )
    deal = make_annotation(cjk, *span_of(cjk.body, "北京 officials"), author=rita)
    make_source(deal, "https://wire.example/deal", title="Wire", stance="supports")
    make_annotation(cjk, *span_of(cjk.body, "x\u0302 deal"), author=oscar, note="x\u0302")
    make_annotation(cjk, *span_of(cjk.body, "\u2028漢字 at the end"), author=rita)
    make_annotation(rtl, *span_of(rtl.body, "الوزير إن الجسر"), author=oscar, speaker="الوزير")
    make_annotation(rtl, *span_of(rtl.body, "</script>&"), author=rita, note="<&>")
    Annotation.objects.update(created_at=CREATED)


@pytest.fixture
def users(db):
    return make_user("rita"), make_user("oscar")


@pytest.fixture
def importer(db):
    return make_user("edith", role="editor")


def export_file(tmp_path, *args: str) -> str:
    """What `export_dataset --format w3c --output FILE` writes."""
    target = tmp_path / "annotations.w3c.jsonld"
    call_command(
        "export_dataset",
        "--format",
        "w3c",
        "--output",
        str(target),
        *args,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return target.read_bytes().decode("utf-8")


def empty_the_database() -> None:
    """Everything an export carries goes; accounts and labels stay."""
    Article.objects.all().delete()
    Source.objects.all().delete()
    Speaker.objects.all().delete()
    HistoryEvent.objects.all().delete()


def import_w3c(text: str, user):
    return import_file(name="annotations.w3c.jsonld", data=text.encode("utf-8"), user=user)


def contents() -> list[tuple]:
    """Every article's title and text, and its spans as the W3C export carries them."""
    found = []
    for article in Article.objects.order_by("body"):
        spans = sorted(
            (
                span.start,
                span.end,
                span.quote,
                span.label.slug,
                span.note,
                span.speaker.name if span.speaker else "",
                span.author.username,
                span.created_at,
                sorted(
                    (
                        e.source.url,
                        e.source.title,
                        e.source.publisher,
                        e.stance,
                        e.quoted_passage,
                    )
                    for e in span.sources.select_related("source")
                ),
            )
            for span in article.annotations.select_related("label", "speaker", "author")
        )
        found.append((article.title, article.body, spans))
    return found


def test_the_export_file_alone_imports_back_the_same_texts_and_spans(users, importer, tmp_path):
    build(users)
    before = contents()
    assert [len(spans) for _, _, spans in before] == [2, 3, 4]  # by text: RTL, CJK, emoji
    file = export_file(tmp_path)
    # The file is safe in a <script> element and keeps no raw line separator.
    assert "</script>" not in file and "\u2028" not in file
    empty_the_database()
    assert Article.objects.count() == 0

    result = import_w3c(file, importer)

    assert (result.format, result.reason, result.refused_lines) == ("w3c", "", [])
    assert len(result.created) == 3
    assert contents() == before
    # Exported again, the file is the first but for the new ids.
    assert normal(export_file(tmp_path)) == normal(file)


def normal(w3c: str) -> dict:
    """The collection with annotation ids blanked and article ids numbered by order."""
    collection = json.loads(w3c)
    seen: dict[str, int] = {}
    for item in collection["first"]["items"]:
        item["id"] = None
        target = item["target"]
        if isinstance(target["source"], dict):
            target["source"]["id"] = seen.setdefault(target["source"]["id"], len(seen))
        else:
            target["source"] = seen.setdefault(target["source"], len(seen))
    return collection


def test_each_article_s_text_is_given_once_in_its_first_annotation(users):
    """The first annotation of an article gives its source as a `Text` resource with the
    title and the whole text; the later ones name that source by its id."""
    build(users)
    text = "".join(get_format("w3c").stream(export_articles(), ExportOptions()))
    items = json.loads(text)["first"]["items"]
    firsts = [item for item in items if isinstance(item["target"]["source"], dict)]
    assert len(firsts) == Article.objects.count() == 3
    ids = set()
    for item in items:
        source = item["target"]["source"]
        if isinstance(source, dict):
            article = Article.objects.get(pk=int(source["id"].rsplit(":", 1)[1]))
            assert source == {
                "id": f"urn:factcheck:article:{article.pk}",
                "type": "Text",
                "format": "text/plain",
                "label": article.title,
                "value": article.body,
            }
            ids.add(source["id"])
            body = article.body
        else:
            assert source in ids  # an article already given, never one without its text
        position, quote = item["target"]["selector"]
        assert body[position["start"] : position["end"]] == quote["exact"]


def test_the_new_shape_passes_the_w3c_test_suite_schemas(users):
    """The collection, its page and every annotation (those with the embedded text and
    those naming it) pass the MUST assertions of the W3C Web Annotation test suite."""
    check = _w3c_validators()
    build(users)
    text = "".join(
        get_format("w3c").stream(
            export_articles(), ExportOptions(base_url="https://factcheck.example")
        )
    )
    document = json.loads(text)
    assert check("collections/collectionMusts.test", document) == []
    assert check("collections/pages/pageMusts.test", document) == []
    items = document["first"]["items"]
    assert any(isinstance(i["target"]["source"], dict) for i in items)
    assert any(isinstance(i["target"]["source"], str) for i in items)
    for item in items:
        standalone = {"@context": document["@context"], **item}
        assert check("annotations/annotationMusts.test", standalone) == []


def test_json_ld_reads_the_text_as_one_node_with_the_article_s_id(users):
    """Flattened with the W3C context (offline), each article is one node carrying its
    text (rdf:value), its title (rdfs:label), type dctypes:Text and format; every
    annotation's target points at it."""
    pyld = pytest.importorskip("pyld")
    context = json.loads((VALIDATORS / "w3c" / "anno.jsonld").read_text())

    def loader(url, options=None):
        assert url.rstrip("/") in {
            "http://www.w3.org/ns/anno.jsonld",
            "https://www.w3.org/ns/anno.jsonld",
        }
        return {"contextUrl": None, "documentUrl": url, "document": context}

    build(users)
    text = "".join(get_format("w3c").stream(export_articles(), ExportOptions()))
    flat = pyld.jsonld.flatten(json.loads(text), None, {"documentLoader": loader})
    nodes = {node["@id"]: node for node in flat}
    for article in Article.objects.all():
        node = nodes[f"urn:factcheck:article:{article.pk}"]
        assert node["http://www.w3.org/1999/02/22-rdf-syntax-ns#value"] == [
            {"@value": article.body}
        ]
        assert node["http://www.w3.org/2000/01/rdf-schema#label"] == [{"@value": article.title}]
        assert node["@type"] == ["http://purl.org/dc/dcmitype/Text"]
        assert node["http://purl.org/dc/elements/1.1/format"] == [{"@value": "text/plain"}]
    oa = "http://www.w3.org/ns/oa#"
    annotations = [node for node in flat if node.get("@type") == [oa + "Annotation"]]
    targets = [nodes[a[oa + "hasTarget"][0]["@id"]] for a in annotations]
    assert len(targets) == Annotation.objects.count()
    articles = {
        f"urn:factcheck:article:{pk}" for pk in Article.objects.values_list("pk", flat=True)
    }
    assert {target[oa + "hasSource"][0]["@id"] for target in targets} == articles


# --- bad input: a clear message, nothing stored for what was refused ----------------------


def links_only(w3c: str, *, keep: str | None = None) -> str:
    """The file with every target source but `keep`'s reduced to its id (no text)."""
    collection = json.loads(w3c)
    for item in collection["first"]["items"]:
        source = item["target"]["source"]
        if isinstance(source, dict) and source.get("label") != keep:
            item["target"]["source"] = source["id"]
    return json.dumps(collection, ensure_ascii=False)


def test_a_file_whose_targets_carry_no_text_is_refused_and_nothing_is_stored(
    users, importer, tmp_path
):
    build(users)
    file = links_only(export_file(tmp_path))
    empty_the_database()
    result = import_w3c(file, importer)
    assert "without the articles' text, so there is nothing to anchor their spans in" in (
        result.reason
    )
    assert "urn:factcheck:article:" in result.reason
    assert not result.created
    assert Article.objects.count() == 0 and Annotation.objects.count() == 0
    assert Source.objects.count() == 0 and Speaker.objects.count() == 0


def test_an_article_whose_annotations_carry_no_text_is_refused_the_others_import(
    users, importer, tmp_path
):
    """Only the "北京" article keeps its text: the other two are refused by the number and
    id of their first annotation, with nothing of theirs stored."""
    build(users)
    file = links_only(export_file(tmp_path), keep="北京 — 漢字")
    empty_the_database()
    result = import_w3c(file, importer)
    assert result.reason == ""
    assert len(result.refused_lines) == 2
    for number, reason in result.refused_lines:
        assert reason.startswith(f"annotation {number} (urn:factcheck:annotation:")
        assert "is a link without the article's text" in reason
    assert list(Article.objects.values_list("title", flat=True)) == ["北京 — 漢字"]
    assert Annotation.objects.count() == 3
    assert not Speaker.objects.exists()  # the refused articles' speakers were not made


def test_one_source_given_with_two_different_texts_refuses_its_article(users, importer, tmp_path):
    """Which text the offsets count in would be a guess: the article is refused by name."""
    build(users)
    collection = json.loads(export_file(tmp_path))
    items = collection["first"]["items"]
    first = items[0]["target"]["source"]
    second = next(i for i in items[1:] if i["target"]["source"] == first["id"])
    second["target"]["source"] = {**first, "value": first["value"] + " (edited)"}
    empty_the_database()
    result = import_w3c(json.dumps(collection, ensure_ascii=False), importer)
    [(number, reason)] = result.refused_lines
    assert number == 1
    assert reason == f"the source “{first['id']}” is given with two different texts"
    assert Article.objects.count() == 2
    assert not Article.objects.filter(title=first["label"]).exists()
