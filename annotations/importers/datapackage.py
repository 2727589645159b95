"""Our data package (exporters/formats/datapackage.py) read back: a ZIP holding
datapackage.json, articles.csv, spans.csv, sources.csv and relations.csv.

The tables are joined by their ids (spans.article_id -> articles.id, sources.span_id and
relations.from_span_id/to_span_id -> spans.id) into one native JSONL object per article,
which the native reader checks and turns into an ArticleRecord (jsonl.record_from_object):
the same rules, the same messages, offsets checked against the text. An article that does
not fit is refused with its row number in articles.csv; the others still import. A span,
source or link whose article or span is not in the package refuses the whole file (the
package is broken: frictionless would call it a foreign-key error).

A ZIP is not a text format, so this is not in the text registry: `is_datapackage` tells
an export of ours from an archive of files to import one by one, and `read_package`
gives the ReadFile the importer stores (service.store_read). Members are read through
archive.iter_members, with its limits (member count, sizes, compression ratio).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict

from . import archive
from .base import ImportRefused, LineError, ParseResult
from .jsonl import record_from_object
from .reading import ReadFile

NAME = "datapackage"
DESCRIPTOR = "datapackage.json"
TABLES = ("articles.csv", "spans.csv", "sources.csv", "relations.csv")
# A span has a verdict when any of these cells is filled (the exporter leaves all empty
# for none).
VERDICT_CELLS = ("verdict_slug", "verdict_explanation", "verdict_by", "verdict_at")


def is_datapackage(data: bytes) -> bool:
    """A ZIP with our descriptor and our four tables at its root."""
    if not archive.is_zip(data):
        return False
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, OSError):
        # A damaged archive is not a package: archive.py refuses it with its message.
        return False
    return {DESCRIPTOR, *TABLES} <= names


def _tables(data: bytes) -> dict[str, list[dict]]:
    found = {}
    for member in archive.iter_members(data):
        if member.name in TABLES:
            try:
                text = member.data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ImportRefused(f"{member.name} is not UTF-8 text.") from None
            found[member.name] = list(csv.DictReader(io.StringIO(text, newline="")))
    missing = [name for name in TABLES if name not in found]
    if missing:
        raise ImportRefused(f"The data package has no {', '.join(missing)}.")
    return found


def _integer(row: dict, key: str, table: str, number: int) -> int:
    try:
        return int(row[key])
    except (KeyError, TypeError, ValueError):
        raise ImportRefused(
            f"{table} row {number}: “{key}” must be an integer, not {row.get(key)!r}."
        ) from None


def _or_none(value: str | None):
    return value if value else None


def _offset(value: str | None):
    """An offset cell as an int; anything else as it is, for the native reader to refuse
    with its message ("offsets must be integers...")."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _span_object(row: dict, sources: list[dict], relations: list[dict]) -> dict:
    verdict = None
    if any(row.get(key) for key in VERDICT_CELLS):
        verdict = {
            "scale": row.get("verdict_scale", ""),
            "slug": row.get("verdict_slug", ""),
            "explanation": row.get("verdict_explanation", ""),
            "by": row.get("verdict_by", ""),
            "at": _or_none(row.get("verdict_at")),
        }
    speaker = row.get("speaker", "")
    return {
        "id": int(row["id"]),
        "start": _offset(row.get("start")),
        "end": _offset(row.get("end")),
        "label": row.get("label", ""),
        "text": row.get("text", ""),
        "speaker": speaker,
        "speaker_details": {
            "kind": row.get("speaker_kind", ""),
            "role": row.get("speaker_role", ""),
            "url": row.get("speaker_url", ""),
        }
        if speaker
        else None,
        "note": row.get("note", ""),
        "annotator": row.get("annotator", ""),
        "created_at": _or_none(row.get("created_at")),
        "verdict": verdict,
        "sources": sources,
        "relations": relations,
    }


def parse_package(data: bytes) -> ParseResult:
    """Every article of the package as an ArticleRecord, or refused with its row."""
    tables = _tables(data)
    span_ids: dict[int, int] = {}  # span id -> article id
    spans_of: dict[int, list[dict]] = defaultdict(list)
    for number, row in enumerate(tables["spans.csv"], start=2):  # row 1 is the header
        span_id = _integer(row, "id", "spans.csv", number)
        span_ids[span_id] = _integer(row, "article_id", "spans.csv", number)
        spans_of[span_ids[span_id]].append(row)
    sources_of: dict[int, list[dict]] = defaultdict(list)
    for number, row in enumerate(tables["sources.csv"], start=2):
        span_id = _integer(row, "span_id", "sources.csv", number)
        if span_id not in span_ids:
            raise ImportRefused(f"sources.csv row {number}: no span {span_id} in spans.csv.")
        position = _integer(row, "position", "sources.csv", number)
        sources_of[span_id].append((position, row))
    links_of: dict[int, list[dict]] = defaultdict(list)
    for number, row in enumerate(tables["relations.csv"], start=2):
        ends = [
            _integer(row, key, "relations.csv", number) for key in ("from_span_id", "to_span_id")
        ]
        for end in ends:
            if end not in span_ids:
                raise ImportRefused(f"relations.csv row {number}: no span {end} in spans.csv.")
        links_of[ends[0]].append({"to": ends[1], "type": row.get("type", "")})
    article_ids = set()
    result = ParseResult(records=[])
    for number, row in enumerate(tables["articles.csv"], start=2):
        article_id = _integer(row, "id", "articles.csv", number)
        article_ids.add(article_id)
        spans = [
            _span_object(
                span,
                [
                    _source_object(source)
                    for _, source in sorted(sources_of[int(span["id"])], key=lambda p: p[0])
                ],
                links_of[int(span["id"])],
            )
            for span in spans_of[article_id]
        ]
        line = {
            "id": article_id,
            "title": row.get("title", ""),
            "text": row.get("text", ""),
            "author": row.get("author", ""),
            "published_at": _or_none(row.get("published_at")),
            "source_url": row.get("source_url", ""),
            "publisher": row.get("publisher", ""),
            "status": row.get("status", ""),
            "spans": spans,
        }
        try:
            record = record_from_object(line, format_name=NAME)
        except LineError as error:
            result.refused.append((number, f"articles.csv row {number}: {error}"))
            continue
        record.line = number
        result.records.append(record)
    orphans = sorted(set(span_ids.values()) - article_ids)
    if orphans:
        raise ImportRefused(f"spans.csv names article {orphans[0]}, which articles.csv lacks.")
    return result


def _source_object(row: dict) -> dict:
    return {
        "url": row.get("url", ""),
        "title": row.get("title", ""),
        "publisher": row.get("publisher", ""),
        "stance": row.get("stance", ""),
        "quoted_passage": row.get("quoted_passage", ""),
        "accessed_on": _or_none(row.get("accessed_on")),
    }


def read_package(name: str, data: bytes) -> ReadFile:
    """The package as the importer's ReadFile: its records, or why it is refused."""
    try:
        result = parse_package(data)
    except ImportRefused as error:
        return ReadFile(name, reason=str(error))
    return ReadFile(name, format=NAME, encoding="utf-8", how="data package", chunks=[result])
