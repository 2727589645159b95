"""One article's spans from its rows: the quote checked, the sources merged in, the
links kept, in text order.

A link is exported with the span it starts from, and only when the span it points at is
exported too (same article, not filtered out, not skipped), so that every `to` in a file
names a span of that file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .rows import ExportRelation, ExportSource, ExportSpan, ExportStats, ExportVerdict


def _labelled_spans_of(body: str, rows: Iterable[tuple], stats: ExportStats) -> list:
    spans = []
    for span_id, _, start, end, quote, label, label_name in rows:
        if end > len(body) or body[start:end] != quote:  # as in _spans_of
            stats.skipped_spans += 1
            continue
        spans.append(ExportSpan(span_id, start, end, quote, label, label_name, "", "", "", ""))
    if len(spans) > 1 and len({span.start for span in spans}) < len(spans):
        spans.sort(key=_text_order)
    return spans


class _SourceMerge:
    """The sources cursor, sorted like the spans, with the sort key of its next row."""

    __slots__ = ("key", "row", "rows")

    def __init__(self, rows: Iterator[tuple]):
        self.rows = rows
        self.advance()

    def advance(self) -> None:
        self.row = row = next(self.rows, None)
        # A key above every span's once the cursor is spent, so comparisons stay simple.
        self.key = row[:4] if row is not None else _AFTER_ALL


_AFTER_ALL = (float("inf"),)


def _spans_of(
    body: str,
    rows: Iterable[tuple],
    merge: _SourceMerge,
    relations: dict[int, list[ExportRelation]],
    stats: ExportStats,
) -> list:
    spans = []
    linked = False
    for (
        span_id,
        article_id,
        start,
        end,
        quote,
        label,
        label_name,
        speaker,
        note,
        annotator,
        created,
        speaker_kind,
        speaker_role,
        speaker_url,
        scale,
        slug,
        rating,
        value,
        explanation,
        verdict_by,
        verdict_at,
    ) in rows:
        # The quote stored with a span must still be the text at its offsets (a slice
        # past the end is silently short, so the end is checked too).
        if end > len(body) or body[start:end] != quote:
            stats.skipped_spans += 1
            continue
        found = []
        if merge.key[0] <= article_id:  # else no source left for this article
            key = (article_id, start, end, span_id)
            # Sources of spans filtered out or skipped sort before this one: pass them.
            while merge.key <= key:
                if merge.key == key:
                    found.append(ExportSource(*merge.row[4:]))
                merge.advance()
        if created.__class__ is not str:
            created = created.isoformat()
        verdict = None
        if slug is not None or explanation or verdict_by is not None or verdict_at is not None:
            if verdict_at is not None and verdict_at.__class__ is not str:
                verdict_at = verdict_at.isoformat()
            verdict = ExportVerdict(scale, slug, rating, value, explanation, verdict_by, verdict_at)
        if speaker is None:  # no speaker: no details (the LEFT JOIN gave None for each)
            speaker = speaker_kind = speaker_role = speaker_url = ""
        if not linked and span_id in relations:
            linked = True
        spans.append(
            ExportSpan(
                span_id,
                start,
                end,
                quote,
                label,
                label_name,
                speaker,
                note,
                annotator,
                created,
                found,
                speaker_kind,
                speaker_role,
                speaker_url,
                verdict,
            )
        )
    if linked:
        # Only links to spans in this export: a `to` must name a span of the same record.
        exported = {span.id for span in spans}
        for span in spans:
            links = relations.get(span.id)
            if links:
                span.relations = [link for link in links if link.to in exported]
    # Text order is the review page's: by start, the longer span first. Spans rarely share
    # a start, so the index order usually is the text order already.
    if len(spans) > 1 and len({span.start for span in spans}) < len(spans):
        spans.sort(key=_text_order)
    return spans


def _text_order(span: ExportSpan) -> tuple:
    return (span.start, -span.end, span.id)
