"""What every export format shares: its description, the options it renders with, and
the buffering that turns many small records into a few large writes."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import reverse

# The unit of every offset we store (DESIGN.md, the text contract). Formats that count
# differently say so in their own `offset_unit`.
CODE_POINTS = "python_code_point"
UTF16_CODE_UNITS = "utf16_code_unit"  # JavaScript string indices, for browser-based tools

# How the export page names each unit.
UNIT_LABELS = {
    CODE_POINTS: "Unicode code points (Python string indices)",
    UTF16_CODE_UNITS: "UTF-16 code units (JavaScript string indices)",
}

# About one TCP window: large enough that a streamed download is not thousands of tiny
# writes, small enough that memory stays flat.
CHUNK_CHARS = 64 * 1024


class UnknownFormat(ValueError):
    """An export format nobody registered; the message lists the known ones."""


@dataclass(slots=True)
class FormatNotes:
    """What a format reports about its own output (see ExportOptions.notes)."""

    without_verdict: int = 0  # ClaimReview: spans left out, having no rating
    misaligned: int = 0  # CoNLL: spans whose ends are not token boundaries

    def sentences(self) -> list[str]:
        found = []
        if self.without_verdict:
            found.append(
                f"{self.without_verdict:,} span{'s' if self.without_verdict != 1 else ''} "
                "without a verdict were left out (ClaimReview publishes rated claims only)."
            )
        if self.misaligned:
            found.append(
                f"{self.misaligned:,} span{'s' if self.misaligned != 1 else ''} did not fall "
                "on token boundaries (listed as '# misaligned span' comment lines)."
            )
        return found


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What a renderer needs beyond the data.

    `base_url` (the site's origin, e.g. "https://factcheck.example") turns ids into links
    to the review pages; without it (the command run offline) ids are `urn:factcheck:`
    names, which are still valid IRIs.

    `csv_raw` writes CSV cells exactly as stored, for programs. By default a text cell
    that a spreadsheet would run as a formula is written with a leading `'` (see
    formats/csv.py). `excel` writes the CSV for Excel: a UTF-8 byte-order mark first (else
    Excel reads the file as Windows-1252) and CRLF line ends.

    `source_columns` is how many numbered source columns the CSV has, planned before the
    stream (formats/csv.py `plan`); None until planned.

    `notes` counts what a format left out or found, for the command's summary line (a
    span CoNLL cannot align, a claim ClaimReview skips for want of a verdict). It is the
    one mutable part: each export gets its own.
    """

    base_url: str = ""
    csv_raw: bool = False
    excel: bool = False
    source_columns: int | None = None
    notes: FormatNotes = field(default_factory=FormatNotes)

    def export_iri(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/") + reverse("export")
        return "urn:factcheck:export"

    def article_iri(self, article_id: int) -> str:
        if self.base_url:
            return self.base_url.rstrip("/") + reverse("article-detail", args=[article_id])
        return f"urn:factcheck:article:{article_id}"

    def annotation_iri(self, annotation_id: int) -> str:
        if self.base_url:
            return self.base_url.rstrip("/") + reverse("annotation-detail", args=[annotation_id])
        return f"urn:factcheck:annotation:{annotation_id}"


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One export format: a module in `formats/` that defines `FORMAT = ExportFormat(...)`."""

    name: str  # the slug used in URLs and on the command line
    label: str  # what the export page calls it
    description: str  # one line for the export page
    extension: str  # without the leading dot; may be compound ("doccano.jsonl")
    media_type: str
    offset_unit: str  # how `start`/`end` count, stated on the page and in the file
    # render(articles, options) yields str chunks, one record at a time, never the whole file.
    render: Callable[[Iterable, ExportOptions], Iterator[str]]
    order: int = 100  # position in the page's list
    # Whether the format writes the links between spans; one that does not (CSV, say)
    # sets False and the export skips reading them.
    uses_relations: bool = True
    # Articles per batch of the export query, when not query.ARTICLE_CHUNK: a format
    # whose own working memory is large (pyarrow, DocBins) reads smaller batches.
    batch_size: int | None = None
    # plan(filters, options, viewer) -> options: what the format must know before its
    # first byte (the CSV's number of source columns), of the spans the viewer's export
    # holds. Run at the start of the stream, not before the response, so a download
    # still reads nothing until it is sent.
    plan: Callable | None = None
    # preview(filters, viewer) -> list of sentences: what the export page warns of
    # before the download (claims ClaimReview will leave out, spans CoNLL cannot align),
    # counted over the spans the viewer's download holds (query.matching_spans with the
    # viewer: blind mode). Its queries run only when the format is the one chosen.
    preview: Callable | None = None
    # A format that needs an optional package: `available` False lists it on the page
    # as unavailable, with `requires` (the install command), and the command refuses it.
    available: bool = True
    requires: str = ""

    @property
    def offset_unit_label(self) -> str:
        return UNIT_LABELS.get(self.offset_unit, self.offset_unit)

    def filename(self, day: date | datetime, summary: str = "all", *, gzip: bool = False) -> str:
        """factcheck-<format>-<day>-<filter summary>.<extension>[.gz]"""
        name = f"factcheck-{self.name}-{day:%Y-%m-%d}-{summary}.{self.extension}"
        return name + ".gz" if gzip else name

    def stream(self, articles: Iterable, options: ExportOptions | None = None) -> Iterator[str]:
        return coalesce(self.render(articles, options or ExportOptions()))


def coalesce(chunks: Iterable[str], size: int = CHUNK_CHARS) -> Iterator[str]:
    """Join small chunks into pieces of about `size` characters."""
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(pending)
            pending.clear()
            length = 0
    if pending:
        yield "".join(pending)


def isoformat(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


GZIP_MEDIA_TYPE = "application/gzip"


def gzip_stream(chunks: Iterable[str]) -> Iterator[bytes]:
    """The chunks UTF-8 encoded and gzip compressed as they come (a gzip member, so
    `gunzip` and `gzip.decompress` read it); memory holds one chunk and zlib's window."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip wrapper
    for chunk in chunks:
        compressed = compressor.compress(chunk.encode("utf-8"))
        if compressed:
            yield compressed
    yield compressor.flush()


def utf8_stream(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")
