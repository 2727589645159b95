"""What every export format shares: its description, the options it renders with, and
the buffering that turns many small records into a few large writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What a renderer needs beyond the data.

    `base_url` (the site's origin, e.g. "https://factcheck.example") turns ids into links
    to the review pages; without it (the command run offline) ids are `urn:factcheck:`
    names, which are still valid IRIs.

    `csv_raw` writes CSV cells exactly as stored, for programs. By default a text cell
    that a spreadsheet would run as a formula is written with a leading `'` (see
    formats/csv.py).
    """

    base_url: str = ""
    csv_raw: bool = False

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

    @property
    def offset_unit_label(self) -> str:
        return UNIT_LABELS.get(self.offset_unit, self.offset_unit)

    def filename(self, day: date | datetime) -> str:
        return f"factcheck-{day:%Y-%m-%d}.{self.extension}"

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
