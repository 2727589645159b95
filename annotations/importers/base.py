"""What every import format shares: the records a parser returns and the ways it refuses.

Parsers are pure (text in, records out); checks that need the database (labels, users,
duplicates) happen when the records are stored (see service.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime


class ImportRefused(ValueError):
    """The whole file cannot be imported; the message says why, for a person."""


class LineError(ValueError):
    """One record (a JSONL line) cannot be imported; the others still can."""


@dataclass(slots=True)
class SourceRecord:
    url: str
    title: str = ""
    publisher: str = ""
    stance: str = "context"
    quoted_passage: str = ""
    accessed_on: date | None = None


@dataclass(slots=True)
class SpeakerDetails:
    """What a file says about a speaker; used only when the speaker is new here."""

    kind: str = ""  # a Speaker.Kind value; empty: a person
    role: str = ""
    url: str = ""


@dataclass(slots=True)
class VerdictRecord:
    """A span's verdict: the rating named by scale and slug (an empty slug: an explanation
    without a rating yet), its public explanation, who gave it and when."""

    scale: str = ""  # a RatingScale name; empty: the default scale
    slug: str = ""  # a Rating slug within that scale
    explanation: str = ""
    by: str = ""  # a username; kept only when that account exists here
    at: datetime | None = None


@dataclass(slots=True)
class RelationRecord:
    """A link from the span that holds it to another span of the same record."""

    to: int  # the index of the span pointed at in its record's `spans`
    type: str  # a Relation.Type value
    to_id: object = None  # the id the file gave it, for messages


@dataclass(slots=True)
class SpanRecord:
    """`[start, end)` in code points into the record's body, already checked against it."""

    start: int
    end: int
    label: str  # a Label slug
    speaker: str = ""
    note: str = ""
    annotator: str = ""  # a username; resolved (or replaced) when stored
    created_at: datetime | None = None
    sources: list[SourceRecord] = field(default_factory=list)
    speaker_details: SpeakerDetails | None = None
    verdict: VerdictRecord | None = None
    relations: list[RelationRecord] = field(default_factory=list)


@dataclass(slots=True)
class ArticleRecord:
    title: str
    body: str  # canonical text (offsets.canonical_text)
    author: str = ""
    published_at: datetime | None = None  # aware
    source_url: str = ""
    publisher: str = ""
    status: str = ""  # empty: decided when stored
    metadata: dict = field(default_factory=dict)
    spans: list[SpanRecord] = field(default_factory=list)
    line: int | None = None  # where it came from in a many-article file


@dataclass(slots=True)
class ParseResult:
    records: list[ArticleRecord]
    # (line number, reason) for each record that was refused while parsing.
    refused: list[tuple[int, str]] = field(default_factory=list)
    # Bytes of the file read when this chunk ends, where the reader knows it (a streamed
    # JSONL file): how far a large single file has got, for the progress bars.
    position: int | None = None
    # Set on the chunk where a streamed file's reader changed its encoding part-way (ASCII
    # lines, then a Windows-1252 one): the codec it reads the rest with and how that was
    # decided, which the file's report then gives (as ReadFile.encoding and .how).
    encoding: str = ""
    how: str = ""


def all_at_once(chunks: Iterable[ParseResult]) -> ParseResult:
    """A file's chunks as one result: `parse` for the formats that read by parse_chunks."""
    result = ParseResult(records=[])
    for chunk in chunks:
        result.records.extend(chunk.records)
        result.refused.extend(chunk.refused)
    return result


def chunked_records(
    numbered: Iterable[tuple[int, object]], parse: Callable[[object], ArticleRecord], size: int
) -> Iterator[ParseResult]:
    """`parse` each (line number, item) into a record, `size` records or refusals a chunk,
    in file order: a LineError refuses its line only. Only one chunk is alive at once, so
    a file costs its text plus one chunk, not plus every article parsed from it."""
    chunk = ParseResult(records=[])
    for line, item in numbered:
        try:
            record = parse(item)
        except LineError as error:
            chunk.refused.append((line, str(error)))
        else:
            record.line = line
            chunk.records.append(record)
        if len(chunk.records) + len(chunk.refused) >= size:
            yield chunk
            chunk = ParseResult(records=[])
    if chunk.records or chunk.refused:
        yield chunk


@dataclass(frozen=True, slots=True)
class ImportFormat:
    """One import format: a module that provides one of these is a format."""

    name: str
    label: str  # what the import page calls it
    description: str  # one sentence for the import page
    extensions: tuple[str, ...]  # lower case, with the dot
    parse: Callable[..., ParseResult]  # parse(text, *, name) -> ParseResult
    # Given the decoded text of a file whose extension matches, does it look like ours?
    sniff: Callable[[str], bool] = lambda text: True
    # For formats with many records a file: parse_chunks(text, *, name, size) yields what
    # parse() would return, `size` records (refused ones included) at a time and in order,
    # so the importer stores them as they come instead of holding a large file's every
    # record at once. None: the format has parse() only.
    parse_chunks: Callable[..., Iterator[ParseResult]] | None = None
