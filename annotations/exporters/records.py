"""Recording an export: what it was asked for, and the size and SHA-256 of what went out.

- filters_as_json() is the record's copy of the cleaned filters (pure).
- ExportRequest is everything needed to run an export again: the form's data (its
  cleaned values as form data, run back through ExportForm, so a re-run is validated
  the same way) and what it resolved to.
- Digest counts and hashes bytes as they pass.
- recorded() wraps a streamed download: the record is written when the stream ends —
  for a StreamingHttpResponse the generator finishing (or being closed because the client
  went away) is the only moment the whole file is known.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.http import QueryDict
from django.utils import timezone

from .naming import filter_summary
from .query import ExportFilters, ExportStats

logger = logging.getLogger(__name__)


def filters_as_json(filters: ExportFilters) -> dict:
    """The filters as JSON: days as ISO text, tuples as lists; empty ones left out."""
    data = {}
    for name, value in dataclasses.asdict(filters).items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        if value not in (None, (), [], ""):
            data[name] = value
    return data


def filters_from_json(data: dict) -> ExportFilters:
    fields = {}
    for name, value in data.items():
        if name.endswith(("_from", "_to")) and value:
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        fields[name] = value
    return ExportFilters(**fields)


def describe_filters(data: dict) -> str:
    """A record's filters in a few words, for the list ("all", "gold-claim")."""
    try:
        return filter_summary(filters_from_json(data))
    except (TypeError, ValueError):  # a record written by an older version
        return "?"


def form_data_as_json(data: QueryDict) -> dict[str, list[str]]:
    return {key: data.getlist(key) for key in data}


def form_data_from_json(data: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, list(values))
    return query


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export as asked for, validated: ready to stream and to record."""

    format: str
    filters: ExportFilters
    form_data: dict  # ExportForm.submitted(): the cleaned choices as form data
    gzip: bool
    file_name: str
    options: dict  # excel, csv_raw, base_url

    def record_fields(self) -> dict:
        return {
            "format": self.format,
            "filters": filters_as_json(self.filters),
            "layer": self.filters.layer,
            "options": {**self.options, "gzip": self.gzip, "form": self.form_data},
            "file_name": self.file_name,
        }


def export_request(form, *, base_url: str = "") -> ExportRequest:
    """What a valid ExportForm asks for (call after is_valid())."""
    filters = form.filters()
    gzip = bool(form.cleaned_data["gzip"])
    export_format = form.chosen_format()
    return ExportRequest(
        format=export_format.name,
        filters=filters,
        form_data=form.submitted(),  # the cleaned values, never the raw request
        gzip=gzip,
        file_name=export_format.filename(timezone.localdate(), filter_summary(filters), gzip=gzip),
        options={
            "excel": bool(form.cleaned_data.get("excel")),
            "csv_raw": bool(form.cleaned_data.get("csv_raw")),
            "base_url": base_url,
        },
    )


class Digest:
    """Size and SHA-256 of the bytes passed through `count`."""

    __slots__ = ("_hash", "size")

    def __init__(self):
        self._hash = hashlib.sha256()
        self.size = 0

    def count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._hash.update(chunk)
            self.size += len(chunk)
            yield chunk

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def recorded(
    chunks: Iterable[bytes], request: ExportRequest, stats: ExportStats, *, user, via: str
) -> Iterator[bytes]:
    """The chunks unchanged; once they end, an ExportRecord of what went out: "done" when
    the stream was read to its end, "interrupted" when it was closed early (the client
    went away), "failed" when the export raised (and the error goes on up)."""
    from ..models import ExportRecord

    digest = Digest()
    started = timezone.now()

    def save(status: str, error: str = "") -> None:
        ExportRecord.objects.create(
            created_by=user if getattr(user, "is_authenticated", False) else None,
            via=via,
            status=status,
            started_at=started,
            finished_at=timezone.now(),
            articles=stats.articles,
            spans=stats.spans,
            articles_done=stats.articles,
            size_bytes=digest.size,
            sha256=digest.hexdigest if status == ExportRecord.Status.DONE else "",
            error=error,
            **request.record_fields(),
        )

    try:
        yield from digest.count(chunks)
    except GeneratorExit:
        try:
            save(ExportRecord.Status.INTERRUPTED)
        except Exception:  # the client is gone: nobody to tell, the log keeps it
            logger.exception("Could not record an interrupted export")
        raise
    except Exception:
        save(ExportRecord.Status.FAILED, "The export stopped because of an unexpected error.")
        raise
    save(ExportRecord.Status.DONE)
