"""Data package: a ZIP of four linked CSV tables and their Frictionless descriptor.

    datapackage.json  Frictionless Data Package (v1), a Table Schema per table
    articles.csv      one row per article: id, title, text, author, published_at, ...
    spans.csv         one row per span: id, article_id -> articles.id, start, end, ...
    sources.csv       one row per source a span cites: span_id -> spans.id, position, ...
    relations.csv     one row per link: from_span_id, to_span_id -> spans.id, type

Offsets are Python code points into the article's `text`: text[start:end] == the span's
`text` (said in each field's description too). Times are ISO 8601 in UTC, days ISO dates,
an empty cell is a missing value. Cells are written as stored (no spreadsheet prefix:
this package is for programs; the one-file CSV is the one for spreadsheets). UTF-8, no
byte-order mark, RFC 4180 quoting.

Streaming: the ZIP is written into a pipe (formats/_binary.py) drained as it fills, never
seeking back (each member's sizes follow its data), ZIP64 off (so every reader opens
it; a table must stay under 2 GiB compressed and uncompressed, else the export stops
with zipfile's "File size too large": filter it into parts). The articles go once: each
article's row is written straight into articles.csv while its spans, sources and links go
to three temporary files on disk, which are copied into their members after the last
article. Memory holds a drain's worth of bytes; the disk holds the three smaller tables.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator

from ..base import CODE_POINTS, ExportOptions, isoformat
from ..query import ExportArticle
from ._binary import BinaryExportFormat, Pipe

OFFSETS = "Python code points (Unicode scalar values) into the article's text"


def _field(name: str, kind: str, description: str = "", *, required: bool = False) -> dict:
    field = {"name": name, "type": kind}
    if description:
        field["description"] = description
    if required:
        field["constraints"] = {"required": True}
    return field


ARTICLE_FIELDS = [
    _field("id", "integer", "The article's id.", required=True),
    _field("title", "string"),
    _field("text", "string", "The article's canonical text, which span offsets count into."),
    _field("author", "string"),
    _field("published_at", "datetime", "ISO 8601, UTC."),
    _field("source_url", "string"),
    _field("publisher", "string"),
    _field("status", "string", "new, in_review, reviewed or adjudicated."),
]
SPAN_FIELDS = [
    _field("id", "integer", "The span's id.", required=True),
    _field("article_id", "integer", "articles.id of the span's article.", required=True),
    _field("start", "integer", f"Where the span starts: {OFFSETS}.", required=True),
    _field("end", "integer", f"Where the span ends (exclusive): {OFFSETS}.", required=True),
    _field("label", "string", "The label's slug.", required=True),
    _field("label_name", "string"),
    _field("text", "string", "The span's text: the article's text[start:end]."),
    _field("speaker", "string", "The speaker's name; empty for none."),
    _field("speaker_kind", "string", "person or organization."),
    _field("speaker_role", "string"),
    _field("speaker_url", "string"),
    _field("note", "string", "The reviewer's internal note (not for publication)."),
    _field("annotator", "string", "The user name of who marked the span."),
    _field("created_at", "datetime", "ISO 8601, UTC."),
    _field("verdict_scale", "string", "The rating scale's name."),
    _field("verdict_slug", "string", "The rating's slug within its scale."),
    _field("verdict_name", "string"),
    _field("verdict_value", "integer", "The rating's ordinal value: higher is truer, 0 off scale."),
    _field("verdict_explanation", "string", "The public explanation of the verdict."),
    _field("verdict_by", "string"),
    _field("verdict_at", "datetime", "ISO 8601, UTC."),
]
SOURCE_FIELDS = [
    _field("span_id", "integer", "spans.id of the citing span.", required=True),
    _field("position", "integer", "1 for the span's first source, 2 the next...", required=True),
    _field("url", "string", required=True),
    _field("title", "string"),
    _field("publisher", "string"),
    _field("stance", "string", "What the source says about the span: supports, refutes..."),
    _field("quoted_passage", "string"),
    _field("accessed_on", "date"),
]
RELATION_FIELDS = [
    _field("from_span_id", "integer", "spans.id of the span the link starts from.", required=True),
    _field("to_span_id", "integer", "spans.id of the span it points at.", required=True),
    _field("type", "string", "denies, responds_to or evidence_for.", required=True),
]


def _resource(name: str, fields: list, primary_key: list, foreign_keys: list) -> dict:
    schema = {"fields": fields, "primaryKey": primary_key, "missingValues": [""]}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def _foreign_key(fields: str, resource: str) -> dict:
    return {"fields": fields, "reference": {"resource": resource, "fields": "id"}}


def descriptor() -> dict:
    """The datapackage.json: the same for every export (the data is in the tables)."""
    return {
        "profile": "tabular-data-package",
        "name": "factcheck-export",
        "title": "Factcheck annotations",
        "description": (
            f"Articles, the spans marked in them, their sources and links. Span offsets "
            f"({CODE_POINTS}) count {OFFSETS}: text[start:end] is the span's text."
        ),
        "resources": [
            _resource("articles", ARTICLE_FIELDS, ["id"], []),
            _resource("spans", SPAN_FIELDS, ["id"], [_foreign_key("article_id", "articles")]),
            _resource(
                "sources",
                SOURCE_FIELDS,
                ["span_id", "position"],
                [_foreign_key("span_id", "spans")],
            ),
            _resource(
                "relations",
                RELATION_FIELDS,
                ["from_span_id", "to_span_id", "type"],
                [_foreign_key("from_span_id", "spans"), _foreign_key("to_span_id", "spans")],
            ),
        ],
    }


def header(fields: list) -> list[str]:
    return [field["name"] for field in fields]


def article_row(article: ExportArticle) -> tuple:
    return (
        article.id,
        article.title,
        article.text,
        article.author,
        isoformat(article.published_at) or "",
        article.source_url,
        article.publisher,
        article.status,
    )


def span_row(article: ExportArticle, span) -> tuple:
    verdict = span.verdict
    if verdict is None:
        rating = ("", "", "", "", "", "", "")
    else:
        rating = (
            verdict.scale or "",
            verdict.slug or "",
            verdict.name or "",
            "" if verdict.value is None else verdict.value,
            verdict.explanation,
            verdict.by or "",
            verdict.at or "",
        )
    return (
        span.id,
        article.id,
        span.start,
        span.end,
        span.label,
        span.label_name,
        span.text,
        span.speaker,
        span.speaker_kind,
        span.speaker_role,
        span.speaker_url,
        span.note,
        span.annotator,
        span.created_at,
        *rating,
    )


def source_rows(span) -> Iterator[tuple]:
    for position, source in enumerate(span.sources, start=1):
        yield (
            span.id,
            position,
            source.url,
            source.title,
            source.publisher,
            source.stance,
            source.quoted_passage,
            isoformat(source.accessed_on) or "",
        )


def relation_rows(span) -> Iterator[tuple]:
    for link in span.relations:
        yield (span.id, link.to, link.type)


class _Table:
    """A CSV table on a temporary file (`file`, opened by the caller), copied into the
    ZIP after the articles."""

    def __init__(self, name: str, fields: list, file):
        self.name = name
        self.file = file
        self.text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(header(fields))


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[bytes]:
    pipe = Pipe()
    with contextlib.ExitStack() as files:
        tables = [
            _Table(name, fields, files.enter_context(tempfile.TemporaryFile("w+b")))
            for name, fields in (
                ("spans", SPAN_FIELDS),
                ("sources", SOURCE_FIELDS),
                ("relations", RELATION_FIELDS),
            )
        ]
        spans, sources, relations = (table.writer for table in tables)
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # Dated 1980-01-01 by its ZipInfo, as the members opened below are: given a
            # bare name, writestr stamps the current time, so the same data made a
            # different ZIP each time (another SHA-256 in the export's record).
            archive.writestr(
                zipfile.ZipInfo("datapackage.json"),
                json.dumps(descriptor(), ensure_ascii=False, indent=2) + "\n",
                compress_type=zipfile.ZIP_DEFLATED,
            )
            yield pipe.drain()
            with (
                archive.open("articles.csv", "w", force_zip64=False) as member,
                io.TextIOWrapper(member, encoding="utf-8", newline="") as text,
            ):
                writer = csv.writer(text)
                writer.writerow(header(ARTICLE_FIELDS))
                for article in articles:
                    writer.writerow(article_row(article))
                    for span in article.spans:
                        spans.writerow(span_row(article, span))
                        sources.writerows(source_rows(span))
                        relations.writerows(relation_rows(span))
                    if pipe.full():
                        text.flush()
                        yield pipe.drain()
            yield pipe.drain()
            for table in tables:
                table.text.flush()
                table.file.seek(0)
                with archive.open(f"{table.name}.csv", "w", force_zip64=False) as member:
                    while block := table.file.read(256 * 1024):
                        member.write(block)
                        if pipe.full():
                            yield pipe.drain()
                yield pipe.drain()
        yield pipe.drain()  # the central directory


FORMAT = BinaryExportFormat(
    name="datapackage",
    label="Data package (ZIP of CSV tables)",
    description=(
        "Articles, spans, sources and links as four linked CSV tables with a Frictionless "
        "datapackage.json (types, keys, foreign keys)."
    ),
    extension="datapackage.zip",
    media_type="application/zip",
    offset_unit=CODE_POINTS,
    render=render,
    order=80,
)
