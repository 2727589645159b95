"""The spaCy format (formats/spacy_docbin.py), handed to spaCy itself."""

from __future__ import annotations

import importlib
import io
import itertools
import json
import subprocess
import sys
import zipfile

import pytest

from annotations import exporters
from annotations.exporters import (
    ExportOptions,
    UnavailableFormat,
    all_formats,
    export_stream,
    get_format,
)
from annotations.exporters.formats import spacy_docbin
from annotations.exporters.query import ExportFilters
from tests.factories import make_annotation, make_article, make_user
from tests.test_exporters import build_dataset, span_of

spacy = pytest.importorskip("spacy")
from spacy.tokens import DocBin  # noqa: E402

NO_FILTERS = ExportFilters()
# "ridge is" starts inside "bridge": no tokenizer boundary, so spaCy cannot place it.
INSIDE_A_WORD = "ridge is"


@pytest.fixture
def dataset(db):
    found = build_dataset()
    inside = make_annotation(
        found["rich"],
        *span_of(found["rich"].body, INSIDE_A_WORD),
        author=found["rita"],
        label_slug="claim",
        id=7009,
    )
    found["inside"] = inside
    return found


def export(options: ExportOptions | None = None, filters: ExportFilters = NO_FILTERS) -> bytes:
    return b"".join(export_stream(get_format("spacy"), filters, options or ExportOptions()))


def docs_of(data: bytes) -> list:
    """Every Doc of the export: each member of the ZIP is a DocBin, in article order."""
    nlp = spacy.blank("xx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [
        doc
        for name in archive.namelist()
        for doc in DocBin().from_bytes(archive.read(name)).get_docs(nlp.vocab)
    ]


def jsonl_spans() -> list[tuple[dict, dict]]:
    text = "".join(export_stream(get_format("jsonl"), NO_FILTERS, ExportOptions()))
    records = [json.loads(line) for line in text.splitlines()]
    return [(record, span) for record in records for span in record["spans"]]


def test_every_jsonl_span_is_exact_in_spacy_or_reported(dataset):
    """For each span of the native JSONL, the loaded Doc's strict char_span is its exact
    text, and then it is in doc.spans["sc"]; or it is None, and then the export reports
    it (never shifted)."""
    options = ExportOptions()
    docs = {doc.user_data["article_id"]: doc for doc in docs_of(export(options))}
    reported = 0
    for record, span in jsonl_spans():
        doc = docs[record["id"]]
        assert doc.text == record["text"]
        strict = doc.char_span(span["start"], span["end"], alignment_mode="strict")
        placed = {(s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]}
        misaligned = {m["id"] for m in doc.user_data["misaligned_spans"]}
        if strict is not None:
            assert strict.text == span["text"]
            assert (span["start"], span["end"], span["label"]) in placed
            assert span["id"] not in misaligned
        else:
            reported += 1
            assert span["id"] in misaligned
            assert (span["start"], span["end"], span["label"]) not in placed
    assert reported >= 1  # the span inside "bridge" at least
    assert options.notes.misaligned == reported


def test_spans_spacy_places_are_placed_here_too(dataset):
    """The tokens are at least as fine as spaCy's blank tokenizer's on this data: a span
    spaCy's own tokens would place is placed here."""
    docs = {doc.user_data["article_id"]: doc for doc in docs_of(export())}
    nlp = spacy.blank("xx")
    for record, span in jsonl_spans():
        blank = nlp.make_doc(record["text"]).char_span(
            span["start"], span["end"], alignment_mode="strict"
        )
        if blank is not None:
            placed = {(s.start_char, s.end_char) for s in docs[record["id"]].spans["sc"]}
            assert (span["start"], span["end"]) in placed


def test_the_span_inside_a_word_is_reported_not_shifted(dataset):
    (rich,) = [d for d in docs_of(export()) if d.user_data["article_id"] == 9001]
    inside = dataset["inside"]
    assert {
        "id": inside.pk,
        "start": inside.start,
        "end": inside.end,
        "text": INSIDE_A_WORD,
    } in rich.user_data["misaligned_spans"]
    assert INSIDE_A_WORD not in {span.text for span in rich.spans["sc"]}
    # Nor any widened version of it: the span over "bridge is" comes only from 7001.
    assert [s.text for s in rich.spans["sc"] if "bridge is" in s.text] == ["the bridge is safe"]


def test_overlaps_stay_in_sc_and_ents_do_not_overlap(dataset):
    (rich,) = [d for d in docs_of(export()) if d.user_data["article_id"] == 9001]
    sc = [(s.text, s.label_, s.id_) for s in rich.spans["sc"]]
    # 7002 and 7001 overlap: both are in the span group, with their ids.
    assert ("the bridge is safe", "claim", "7001") in sc
    assert ("😀 Ana said “the bridge", "unverified-allegation", "7002") in sc
    ents = list(rich.ents)
    for before, after in itertools.pairwise(ents):
        assert before.end <= after.start
    # The earlier one wins the overlap.
    assert "😀 Ana said “the bridge" in [e.text for e in ents]
    assert "the bridge is safe" not in [e.text for e in ents]


def test_it_reads_the_spans_with_their_labels_alone(dataset):
    """A Doc holds of a span its offsets, label and id: the export's queries read no
    sources, links, speakers or verdicts (ArticleExport.labels_only), and the Docs are
    the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.models import Evidence, Relation, Speaker

    assert dataset["rich"].annotations.filter(speaker__isnull=False).exists()
    assert Evidence.objects.exists() and Relation.objects.exists()
    with CaptureQueriesContext(connection) as captured:
        docs = docs_of(export())
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    for model in (Evidence, Relation, Speaker):
        assert model._meta.db_table not in sql
    assert "verdict" not in sql
    (rich,) = [d for d in docs if d.user_data["article_id"] == 9001]
    assert ("the bridge is safe", "claim", "7001") in {
        (s.text, s.label_, s.id_) for s in rich.spans["sc"]
    }


def test_the_docbin_round_trips_through_disk_with_user_data(dataset, tmp_path):
    zipfile.ZipFile(io.BytesIO(export())).extractall(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs-00001.spacy"]
    nlp = spacy.blank("xx")
    docs = list(DocBin().from_disk(tmp_path / "docs-00001.spacy").get_docs(nlp.vocab))
    assert [d.user_data["article_id"] for d in docs] == [9001, 9002, 9003]
    first = docs[0]
    assert first.user_data["title"] == dataset["rich"].title
    assert first.user_data["source_url"] == "https://news.example/bridge"
    assert first.text == dataset["rich"].body
    assert list(docs[2].spans["sc"]) == []


def test_an_article_of_spacy_symbol_words_and_a_symbol_label_loads(db):
    """Words such as "_", "mark" or "ORG" and a label slugged "root" are spaCy symbols,
    which its StringStore knows by fixed ids: the export writes those ids, so the bin
    loads (it raised KeyError E018) with the text and the span."""
    from annotations.models import Label

    Label.objects.create(name="Root", slug="root")
    article = make_article("The agent said _ is a mark of ORG, not PERSON.")
    make_annotation(article, 0, 14, author=make_user("rooter"), label_slug="root")
    (doc,) = docs_of(export())
    assert doc.text == article.body
    assert [(s.text, s.label_) for s in doc.spans["sc"]] == [("The agent said", "root")]


def test_filters_choose_the_docs(dataset):
    docs = docs_of(export(filters=ExportFilters(labels=("denial",))))
    assert [d.user_data["article_id"] for d in docs] == [9001]
    assert [s.label_ for s in docs[0].spans["sc"]] == ["denial"]


def test_an_export_of_nothing_is_an_empty_docbin(db):
    assert zipfile.ZipFile(io.BytesIO(export())).namelist() == ["docs-00001.spacy"]
    assert docs_of(export()) == []


def test_docbins_of_docs_per_bin_articles_each_keep_the_order(db, monkeypatch):
    """Memory is bounded by one DocBin: the articles go DOCS_PER_BIN to a member."""
    monkeypatch.setattr(spacy_docbin, "DOCS_PER_BIN", 2)
    ids = small_articles(5)
    data = export()
    assert members(data) == ["docs-00001.spacy", "docs-00002.spacy", "docs-00003.spacy"]
    assert [doc.user_data["article_id"] for doc in docs_of(data)] == ids


def small_articles(count: int) -> list[int]:
    """`count` articles of 8 tokens, a span on each; their ids."""
    author = make_user("binner")
    ids = []
    for number in range(count):
        article = make_article(f"Article {number} says the bridge is safe .")
        make_annotation(article, 0, 7, author=author)
        ids.append(article.pk)
    return ids


def members(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_a_bin_also_closes_at_bin_tokens_so_long_articles_bound_memory(db, monkeypatch):
    monkeypatch.setattr(spacy_docbin, "BIN_TOKENS", 10)
    ids = small_articles(3)  # 8 tokens each: a bin passes 10 tokens at its second
    data = export()
    assert members(data) == ["docs-00001.spacy", "docs-00002.spacy"]
    assert [doc.user_data["article_id"] for doc in docs_of(data)] == ids


def test_spacy_train_reads_the_unzipped_folder_as_a_corpus(dataset, tmp_path):
    """spaCy's own corpus reader (what `spacy train --paths.train` uses) walks the folder."""
    from spacy.training import Corpus

    zipfile.ZipFile(io.BytesIO(export())).extractall(tmp_path)
    examples = list(Corpus(tmp_path)(spacy.blank("xx")))
    assert len(examples) == 3


def test_the_registry_imports_neither_spacy_nor_pyarrow():
    """Listing the formats stays cheap: the optional packages load when an export of
    their format starts, not before (a fresh interpreter, so nothing was imported yet)."""
    script = (
        "import os, sys, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'factcheck.settings_test');"
        "django.setup();"
        "from annotations.exporters import all_formats;"
        "names = [f.name for f in all_formats()];"
        "assert 'spacy' in names and 'parquet' in names, names;"
        "print(sorted(m for m in ('spacy', 'pyarrow', 'thinc') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_without_spacy_it_is_listed_unavailable_with_the_install_command(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    try:
        importlib.reload(spacy_docbin)
        exporters._registry.cache_clear()
        (listed,) = [f for f in all_formats() if f.name == "spacy"]
        assert not listed.available
        assert listed.requires == 'pip install "factcheck[spacy]"'
        with pytest.raises(UnavailableFormat) as error:
            get_format("spacy")
        assert 'pip install "factcheck[spacy]"' in str(error.value)
    finally:
        monkeypatch.undo()
        importlib.reload(spacy_docbin)
        exporters._registry.cache_clear()
    assert get_format("spacy").available


def test_the_page_lists_it_unavailable_with_the_command(client, db, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    try:
        importlib.reload(spacy_docbin)
        exporters._registry.cache_clear()
        client.force_login(make_user("edna", role="editor"))
        html = client.get(reverse("export")).content.decode()
    finally:
        monkeypatch.undo()
        importlib.reload(spacy_docbin)
        exporters._registry.cache_clear()
    assert "spaCy DocBins" in html
    assert "factcheck[spacy]" in html
