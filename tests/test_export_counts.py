"""The export page's counts (query.export_summary): one query whatever the filter, and
the same numbers as the export itself writes."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from annotations.exporters.query import ExportFilters, ExportStats, export_articles, export_summary
from tests.test_export_fast_path import FILTERS
from tests.test_export_fast_path import data as data  # the fixture

COUNTED = {
    **FILTERS,
    "label and status and days": ExportFilters(
        labels=("claim",), statuses=("reviewed",), annotated_from=date(2026, 11, 1)
    ),
    "articles": ExportFilters(article_ids=(1, 2, 3)),
}


def written(filters: ExportFilters) -> tuple[ExportStats, Counter]:
    """What the export itself holds: its counts, and its spans by label."""
    stats = ExportStats()
    articles = export_articles(filters, stats=stats)
    by_label = Counter(span.label for article in articles for span in article.spans)
    return stats, by_label


@pytest.mark.parametrize("name", COUNTED)
def test_counts_are_one_query_and_match_the_export(data, name, django_assert_num_queries):
    filters = COUNTED[name]
    with django_assert_num_queries(1):
        summary = export_summary(filters)
    stats, by_label = written(filters)
    assert summary["articles"] == stats.articles
    # A stale span (its quote no longer at its offsets) is counted but not written: the
    # page counts what matches the filters, the export leaves out what it cannot trust.
    counted = {row["label__slug"]: row["spans"] for row in summary["by_label"]}
    assert sum(counted.values()) == summary["spans"] == stats.spans + stats.skipped_spans
    assert all(by_label[slug] <= n for slug, n in counted.items()) and set(by_label) <= set(counted)


def test_labels_are_listed_in_the_labels_order_with_their_names_and_colours(data):
    rows = export_summary(ExportFilters())["by_label"]
    assert [row["label__slug"] for row in rows] == ["claim", "denial", "unverified-allegation"]
    assert all(row["label__name"] and row["label__colour"] for row in rows)
    assert [row["spans"] for row in rows] == [5, 2, 1]


def test_nothing_matching_counts_zero_articles_and_no_labels(data):
    assert export_summary(ExportFilters(reviewer="nobody")) == {
        "articles": 0,
        "spans": 0,
        "by_label": [],
    }


def test_an_article_without_spans_counts_unless_a_span_filter_is_set(data):
    assert export_summary(ExportFilters(statuses=("new",)))["articles"] == 2
    assert export_summary(ExportFilters(statuses=("new",), labels=("claim",)))["articles"] == 0
