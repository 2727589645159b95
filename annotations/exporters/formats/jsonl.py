"""Native JSONL: one article a line, its spans (in text order) with everything on them.

    {"id", "title", "text", "author", "published_at", "source_url", "publisher", "status",
     "offset_unit": "python_code_point",
     "spans": [{"id", "start", "end", "label", "text",
                "speaker", "speaker_details", "note", "annotator", "created_at",
                "verdict", "sources", "relations"}]}

`text` is the article body exactly, and every span satisfies
`text[start:end] == span["text"]` with offsets in Python code points. Times are ISO 8601
in UTC, days ISO dates. This is the format our importer reads back, and a round trip
(export, import into an empty database, export) gives the same file but for the ids.

A span's fields beyond its offsets and label:
- `speaker`: the speaker's name, a plain string ("" for none), as it always was, so
  files written before speakers had details still import. `speaker_details` is
  `{"kind": "person" | "organization", "role": "...", "url": "..."}` beside it, or null
  when the span has no speaker. On import the details fill a speaker that is new to the
  database; a speaker already there (the same name, in any case) is never changed.
- `note`: the reviewer's internal note (never published; ClaimReview leaves it out).
- `verdict`: null, or `{"scale": "Default", "slug": "false", "name": "False", "value": 1,
  "explanation": "...", "by": "edith", "at": "ISO 8601"}`: the rating (found again on
  import by scale name and slug; `name` and `value` are there for readers), its public
  explanation, who gave it (a username) and when. An explanation written before a
  rating was chosen is kept with scale, slug, name and value null.
- `sources`: `[{"url", "title", "publisher", "stance", "quoted_passage", "accessed_on"}]`:
  the cited record's url, title, publisher and accessed day (one record per URL, shared
  by every span that cites it) with what this span says about it (stance, passage).
- `relations`: `[{"to": 7003, "type": "denies"}]`, the links this span starts, `to`
  being the `id` of another span of the same line (types: denies, responds_to,
  evidence_for). A link is written only when the span it points at is in the file too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..base import CODE_POINTS, ExportFormat, ExportOptions, isoformat
from ..query import ArticleExport, ExportArticle, ExportSpan
from ._json import json_line
from ._jsonl_pg import json_lines


def _verdict(span: ExportSpan) -> dict | None:
    verdict = span.verdict
    if verdict is None:
        return None
    return {
        "scale": verdict.scale,
        "slug": verdict.slug,
        "name": verdict.name,
        "value": verdict.value,
        "explanation": verdict.explanation,
        "by": verdict.by,
        "at": verdict.at,
    }


def span_record(span: ExportSpan) -> dict:
    return {
        "id": span.id,
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "text": span.text,
        "speaker": span.speaker,
        "speaker_details": {
            "kind": span.speaker_kind,
            "role": span.speaker_role,
            "url": span.speaker_url,
        }
        if span.speaker
        else None,
        "note": span.note,
        "annotator": span.annotator,
        "created_at": span.created_at,
        "verdict": _verdict(span),
        "sources": [
            {
                "url": source.url,
                "title": source.title,
                "publisher": source.publisher,
                "stance": source.stance,
                "quoted_passage": source.quoted_passage,
                "accessed_on": isoformat(source.accessed_on),
            }
            for source in span.sources
        ],
        "relations": [{"to": link.to, "type": link.type} for link in span.relations],
    }


def article_record(article: ExportArticle) -> dict:
    return {
        "id": article.id,
        "title": article.title,
        "text": article.text,
        "author": article.author,
        "published_at": isoformat(article.published_at),
        "source_url": article.source_url,
        "publisher": article.publisher,
        "status": article.status,
        "offset_unit": CODE_POINTS,
        "spans": [span_record(span) for span in article.spans],
    }


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    # Where enabled, PostgreSQL writes the lines (formats/_jsonl_pg.py: the same bytes;
    # see ArticleExport.database_can_write_json for when and why it is off by default).
    if isinstance(articles, ArticleExport) and articles.database_can_write_json():
        yield from json_lines(articles.filters, articles.stats, articles.using)
        return
    for article in articles:
        yield json_line(article_record(article))


FORMAT = ExportFormat(
    name="jsonl",
    label="Factcheck JSONL",
    description=(
        "One article a line with its text and spans: speakers, verdicts, sources and links; "
        "imports back into Factcheck."
    ),
    extension="jsonl",
    media_type="application/jsonl; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=10,
)
