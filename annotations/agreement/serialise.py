"""A report as the command's JSON and as CSV rows (the same for the command and the
pages' download)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..exporters.formats.csv import spreadsheet_safe
from .report import Figures, Report

SUMMARY = ("f1_exact", "f1_overlap", "kappa", "alpha")
PAIR_FIELDS = (
    "precision_exact",
    "recall_exact",
    "f1_exact",
    "precision_overlap",
    "recall_overlap",
    "f1_overlap",
    "kappa",
)
CSV_HEADER = (
    "scope",
    "article_id",
    "article_title",
    "label",
    "reviewer_a",
    "reviewer_b",
    "articles",
    "tokens",
    "spans_a",
    "spans_b",
    "precision_exact",
    "recall_exact",
    "f1_exact",
    "precision_overlap",
    "recall_overlap",
    "f1_overlap",
    "kappa",
    "alpha",
    "note",
)


def _summary(figures: Figures | None) -> dict:
    return {name: getattr(figures, name) if figures else None for name in SUMMARY}


def as_json(report: Report) -> dict:
    return {
        "articles": len(report.articles),
        "pairs": [
            {
                "reviewers": list(pair.reviewers),
                "articles": pair.articles,
                "tokens": pair.figures.tokens,
                "spans": [pair.figures.spans_a, pair.figures.spans_b],
                **{name: getattr(pair.figures, name) for name in PAIR_FIELDS},
            }
            for pair in report.pairs
        ],
        "overall": _summary(report.overall),
        "per_label": {slug: _summary(f) for slug, f in report.per_label.items()},
        "skipped": [
            {"article": s.id, "reviewers": list(s.reviewers), "reason": s.reason}
            for s in report.skipped
        ],
    }


def csv_rows(report: Report) -> Iterator[tuple]:
    """Header, overall, per label, per pair, per article, then the skipped articles."""
    yield CSV_HEADER
    articles = len(report.articles)
    if report.overall is not None:
        yield _row("overall", articles=articles, figures=report.overall)
    for slug, figures in report.per_label.items():
        yield _row("label", label=slug, articles=articles, figures=figures)
    for pair in report.pairs:
        yield _row("pair", pair=pair.reviewers, articles=pair.articles, figures=pair.figures)
    for article in report.articles:
        yield _row("article", article=article, articles=1, figures=article.figures)
    for skipped in report.skipped:
        yield _row("skipped", article=skipped, note=skipped.reason)


def _row(scope, *, article=None, label="", pair=("", ""), articles="", figures=None, note=""):
    def number(name):
        value = getattr(figures, name) if figures else None
        return "" if value is None else round(value, 6)

    return (
        scope,
        article.id if article else "",
        spreadsheet_safe(article.title) if article else "",
        label,
        spreadsheet_safe(pair[0]),
        spreadsheet_safe(pair[1]),
        articles,
        figures.tokens if figures else "",
        figures.spans_a if figures else "",
        figures.spans_b if figures else "",
        *(number(name) for name in CSV_HEADER[10:18]),
        note,
    )


def as_csv(report: Report) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(report))
    return buffer.getvalue()
