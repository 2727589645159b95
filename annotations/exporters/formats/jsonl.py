"""Native JSONL: one article a line, its spans (in text order) and their sources inside.

    {"id", "title", "text", "author", "published_at", "source_url", "publisher", "status",
     "offset_unit": "python_code_point",
     "spans": [{"id", "start", "end", "label", "text", "speaker", "note", "annotator",
                "created_at", "sources": [{"url", "title", "publisher", "stance",
                                           "quoted_passage", "accessed_on"}]}]}

`text` is the article body exactly, and every span satisfies
`text[start:end] == span["text"]` with offsets in Python code points. Times are ISO 8601
in UTC, days ISO dates. This is the format our importer reads back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..base import CODE_POINTS, ExportFormat, ExportOptions, isoformat
from ..query import ExportArticle
from ._json import json_line


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
        "spans": [
            {
                "id": span.id,
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "text": span.text,
                "speaker": span.speaker,
                "note": span.note,
                "annotator": span.annotator,
                "created_at": span.created_at,
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
            }
            for span in article.spans
        ],
    }


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    for article in articles:
        yield json_line(article_record(article))


FORMAT = ExportFormat(
    name="jsonl",
    label="Factcheck JSONL",
    description="One article a line with its text, spans and sources; imports back into Factcheck.",
    extension="jsonl",
    media_type="application/jsonl; charset=utf-8",
    offset_unit=CODE_POINTS,
    render=render,
    order=10,
)
