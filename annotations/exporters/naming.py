"""The short filter summary in an export's file name: "all", or e.g. "gold-claim-denial".

Pure: the filters in, a slug out. Filtered and full downloads get different names, and
two downloads with different filters get different names (a long summary is cut and
ends in a digest of the whole, so the cut never makes two names equal).
"""

from __future__ import annotations

import hashlib

from django.utils.text import slugify

from .query import LAYER_ALL, LAYER_GOLD, REVIEWER_PREFIX, ExportFilters

MAX_SUMMARY = 60  # characters: the name stays readable in a downloads folder


def _range(what: str, first, last) -> list[str]:
    if not first and not last:
        return []
    return [f"{what}-{first or 'start'}-to-{last or 'now'}"]


def filter_summary(filters: ExportFilters) -> str:
    parts: list[str] = []
    if filters.layer == LAYER_GOLD:
        parts.append("gold")
    elif filters.layer.startswith(REVIEWER_PREFIX):
        parts.append(f"reviewer-{filters.layer[len(REVIEWER_PREFIX) :]}")
    if filters.collection:
        parts.append(filters.collection)
    parts.extend(filters.labels)
    parts.extend(filters.statuses)
    if filters.reviewer:
        parts.append(f"by-{filters.reviewer}")
    parts += _range("annotated", filters.annotated_from, filters.annotated_to)
    parts += _range("published", filters.published_from, filters.published_to)
    if filters.article_ids:
        ids = filters.article_ids
        parts.append(f"article-{ids[0]}" if len(ids) == 1 else f"{len(ids)}-articles")
    summary = slugify("-".join(parts)) if parts else LAYER_ALL
    if not summary:  # every part was punctuation or non-Latin: name it by its digest
        summary = "filtered"
    if len(summary) > MAX_SUMMARY or summary == "filtered":
        digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:8]
        summary = f"{summary[: MAX_SUMMARY - 9].rstrip('-')}-{digest}"
    return summary
