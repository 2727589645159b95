"""Hugging Face `datasets` reads our Parquet and our native JSONL, offline."""

from __future__ import annotations

import os

import pytest

from annotations.exporters import ExportOptions, export_stream, get_format
from annotations.exporters.query import ExportFilters
from tests.test_exporters import build_dataset

# Offline before `datasets` is imported (it reads these once): nothing from the Hub.
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
datasets = pytest.importorskip("datasets")

NO_FILTERS = ExportFilters()


@pytest.fixture
def dataset(db):
    return build_dataset()


def exported(name: str) -> bytes:
    chunks = export_stream(get_format(name), NO_FILTERS, ExportOptions())
    return b"".join(chunk.encode("utf-8") for chunk in chunks)


def load(kind: str, path, cache) -> datasets.Dataset:
    return datasets.load_dataset(kind, data_files=str(path), split="train", cache_dir=str(cache))


def span_feature(features) -> dict:
    spans = features["spans"]
    # datasets 3+ writes a list of structs as List(struct); older as [struct].
    inner = getattr(spans, "feature", None) or spans[0]
    return inner


def test_parquet_loads_with_typed_spans(dataset, tmp_path):
    path = tmp_path / "export.parquet"
    path.write_bytes(exported("parquet"))
    loaded = load("parquet", path, tmp_path / "cache")
    assert loaded.num_rows == 3
    span = span_feature(loaded.features)
    assert span["start"].dtype == "int64" and span["end"].dtype == "int64"
    assert span["verdict"].dtype == "string"
    first = loaded[0]
    assert first["id"] == 9001
    for item in first["spans"]:
        assert first["text"][item["start"] : item["end"]] == item["text"]


def test_native_jsonl_loads_with_typed_features(dataset, tmp_path):
    """The JSONL (one article a line) loads as it is: spans a list of structs with int
    offsets; a verdict that is null on some spans and an object on others is one struct
    feature whose missing values are None."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(exported("jsonl"))
    loaded = load("json", path, tmp_path / "cache")
    assert loaded.num_rows == 3
    span = span_feature(loaded.features)
    assert span["start"].dtype == "int64" and span["end"].dtype == "int64"
    assert span["id"].dtype == "int64"
    assert span["verdict"]["value"].dtype == "int64"
    assert span["verdict"]["slug"].dtype == "string"
    rich = loaded[0]
    by_id = {item["id"]: item for item in rich["spans"]}
    assert by_id[7001]["verdict"]["slug"] == "false"
    assert by_id[7002]["verdict"] is None
    for item in rich["spans"]:
        assert rich["text"][item["start"] : item["end"]] == item["text"]
    # The article with no spans keeps an empty list.
    assert loaded[2]["spans"] == []


def jsonl_features():
    """The native JSONL's shape as `datasets` features. `load_dataset("json")` infers
    types from the rows; a file in which every verdict is null (or every span cites no
    source) gives those fields the type `null`, and two such files do not concatenate.
    Passing these features makes every file load with the same types."""
    from datasets import Features, List, Value

    text = Value("string")
    return Features(
        {
            "id": Value("int64"),
            "title": text,
            "text": text,
            "author": text,
            "published_at": text,
            "source_url": text,
            "publisher": text,
            "status": text,
            "offset_unit": text,
            "spans": List(
                {
                    "id": Value("int64"),
                    "start": Value("int64"),
                    "end": Value("int64"),
                    "label": text,
                    "text": text,
                    "speaker": text,
                    "speaker_details": {"kind": text, "role": text, "url": text},
                    "note": text,
                    "annotator": text,
                    "created_at": text,
                    "verdict": {
                        "scale": text,
                        "slug": text,
                        "name": text,
                        "value": Value("int64"),
                        "explanation": text,
                        "by": text,
                        "at": text,
                    },
                    "sources": List(
                        {
                            "url": text,
                            "title": text,
                            "publisher": text,
                            "stance": text,
                            "quoted_passage": text,
                            "accessed_on": text,
                        }
                    ),
                    "relations": List({"to": Value("int64"), "type": text}),
                }
            ),
        }
    )


def test_jsonl_without_any_verdict_needs_the_features_to_keep_its_types(dataset, tmp_path):
    """Only the unrated denial: inferred, `verdict` is typed null (nothing to infer
    from); with jsonl_features() it is the same struct as in a file with verdicts."""
    chunks = export_stream(get_format("jsonl"), ExportFilters(labels=("denial",)), ExportOptions())
    path = tmp_path / "denials.jsonl"
    path.write_text("".join(chunks), encoding="utf-8")
    inferred = load("json", path, tmp_path / "cache")
    assert span_feature(inferred.features)["verdict"] == datasets.Value("null")
    typed = datasets.load_dataset(
        "json",
        data_files=str(path),
        split="train",
        cache_dir=str(tmp_path / "typed"),
        features=jsonl_features(),
    )
    verdict = span_feature(typed.features)["verdict"]
    assert verdict["value"].dtype == "int64" and verdict["slug"].dtype == "string"
    assert typed[0]["spans"][0]["verdict"] is None
    assert typed[0]["spans"][0]["label"] == "denial"


def test_the_features_match_what_a_full_file_infers(dataset, tmp_path):
    """The features above are the JSONL's real shape: the full file loads with them."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(exported("jsonl"))
    typed = datasets.load_dataset(
        "json",
        data_files=str(path),
        split="train",
        cache_dir=str(tmp_path / "typed"),
        features=jsonl_features(),
    )
    rich = typed[0]
    assert {s["id"] for s in rich["spans"]} == {7001, 7002, 7003, 7004}
    (bridge,) = [s for s in rich["spans"] if s["id"] == 7001]
    assert bridge["verdict"]["value"] == 1
    assert [r["type"] for s in rich["spans"] for r in s["relations"]] == ["denies", "responds_to"]
