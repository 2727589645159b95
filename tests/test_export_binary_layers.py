"""The gold layer on the binary formats (datapackage, parquet, spacy), read back by
their consumers: tests/test_export_layers.py checks the text formats by searching the
file, which a compressed file does not allow."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from annotations.exporters import get_format
from annotations.exporters.query import ExportFilters, export_articles
from tests.test_export_layers import layers  # noqa: F401  (the fixture)


def datapackage_spans(data: bytes) -> list[tuple[str, str]]:
    text = zipfile.ZipFile(io.BytesIO(data)).read("spans.csv").decode("utf-8")
    return [(row["text"], row["label"]) for row in csv.DictReader(io.StringIO(text))]


def parquet_spans(data: bytes) -> list[tuple[str, str]]:
    pq = pytest.importorskip("pyarrow.parquet")
    records = pq.read_table(io.BytesIO(data)).to_pylist()
    return [(span["text"], span["label"]) for record in records for span in record["spans"]]


def spacy_spans(data: bytes) -> list[tuple[str, str]]:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    vocab = spacy.blank("xx").vocab
    archive = zipfile.ZipFile(io.BytesIO(data))
    docs = [
        doc
        for name in archive.namelist()
        for doc in DocBin().from_bytes(archive.read(name)).get_docs(vocab)
    ]
    return [(span.text, span.label_) for doc in docs for span in doc.spans["sc"]]


READERS = {"datapackage": datapackage_spans, "parquet": parquet_spans, "spacy": spacy_spans}


@pytest.mark.parametrize("name", list(READERS))
def test_gold_holds_only_the_gold_span(layers, name):  # noqa: F811
    export_format = get_format(name)
    read = READERS[name]
    gold = read(b"".join(export_format.stream(export_articles(ExportFilters(layer="gold")))))
    everything = read(b"".join(export_format.stream(export_articles(ExportFilters()))))
    assert gold == [("the talks are advancing", "claim")]
    assert ("Moscow denied it", "denial") in everything


@pytest.mark.parametrize("name", list(READERS))
def test_a_background_export_stores_the_same_bytes_as_the_download(
    client,
    layers,  # noqa: F811
    exports_in_tmp,
    name,
):
    """The recorded and background paths take bytes as they come (the file a job stores
    is the file the page streams, SHA-256 and size recorded for it)."""
    import hashlib

    from django.urls import reverse

    from annotations.exporters import jobs
    from annotations.models import ExportRecord

    client.force_login(layers["editor"])
    response = client.get(reverse("export-download"), {"format": name, "background": "on"})
    assert response.status_code == 302
    record = ExportRecord.objects.get(via=ExportRecord.Via.BACKGROUND)
    assert record.status == ExportRecord.Status.DONE, record.error
    with jobs.export_storage().open(record.storage_path, "rb") as handle:
        stored = handle.read()
    assert record.sha256 == hashlib.sha256(stored).hexdigest()
    assert READERS[name](stored) == READERS[name](
        b"".join(client.get(reverse("export-download"), {"format": name}).streaming_content)
    )
