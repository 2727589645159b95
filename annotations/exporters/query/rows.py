"""What an export yields: an article with its spans, their sources, verdicts and links,
and the counts of what went out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple


@dataclass(slots=True)
class ExportSource:
    url: str
    title: str
    publisher: str
    stance: str
    quoted_passage: str
    accessed_on: date | None


@dataclass(slots=True)
class ExportVerdict:
    """A span's verdict. The rating's fields are None for an explanation given before a
    rating was chosen (kept, so that nothing a reviewer wrote is lost)."""

    scale: str | None  # RatingScale.name
    slug: str | None  # Rating.slug, unique within its scale
    name: str | None
    value: int | None  # the ordinal value: higher is truer, 0 off the scale
    explanation: str  # public
    by: str | None  # username
    at: str | None  # ISO 8601, UTC


class ExportRelation(NamedTuple):
    # A tuple of an int and a str: the garbage collector stops tracking it, which matters
    # when a batch holds tens of thousands of links.
    to: int  # the id of the span pointed at, exported in the same article
    type: str  # Relation.Type


@dataclass(slots=True)
class ExportSpan:
    id: int
    start: int  # code points into the article's text
    end: int
    text: str  # == article.text[start:end], checked before it is yielded
    label: str  # slug
    label_name: str
    speaker: str  # the speaker's name, "" for none
    note: str  # internal: never published
    annotator: str  # username
    created_at: str  # ISO 8601, UTC
    sources: list[ExportSource] = field(default_factory=list)
    speaker_kind: str = ""  # Speaker.Kind, "" without a speaker
    speaker_role: str = ""
    speaker_url: str = ""
    verdict: ExportVerdict | None = None
    # The links it starts; one shared empty tuple for the many spans that start none.
    relations: Sequence[ExportRelation] = ()


@dataclass(slots=True)
class ExportArticle:
    id: int
    title: str
    text: str  # Article.body, the canonical text
    author: str
    published_at: datetime | None
    source_url: str
    publisher: str
    status: str
    spans: list[ExportSpan] = field(default_factory=list)  # in text order


@dataclass(slots=True)
class ExportStats:
    """Counts what actually went out, for the command's summary line."""

    articles: int = 0
    spans: int = 0
    # Spans whose stored quote no longer matches the text at their offsets are never
    # exported (a consumer relies on text[start:end] == span text).
    skipped_spans: int = 0
