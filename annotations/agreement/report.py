"""The agreement figures of a selection of articles: per pair, per article, per label
and overall, by adding up counts before dividing (micro-averaging, see the package
docstring for the rules)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .matching import exact_matches, overlap_matching
from .measures import (
    binary_confusion,
    binary_value_counts,
    cohen_kappa,
    krippendorff_alpha,
    precision_recall_f1,
)
from .tokens import token_arrays, token_values

NEEDS_TWO_REVIEWERS = "needs two reviewers"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str  # the label's slug


@dataclass(frozen=True)
class ArticleAnnotations:
    """One article's text and every counted reviewer's spans (an empty sequence for a
    reviewer assigned the article who made none)."""

    id: int
    title: str
    text: str
    spans: Mapping[str, Sequence[Span]]

    @property
    def reviewers(self) -> list[str]:
        return sorted(self.spans)


@dataclass(frozen=True)
class Figures:
    f1_exact: float | None
    f1_overlap: float | None
    kappa: float | None
    alpha: float | None
    precision_exact: float | None
    recall_exact: float | None
    precision_overlap: float | None
    recall_overlap: float | None
    spans_a: int
    spans_b: int
    tokens: int  # token comparisons (tokens × pairs)

    @property
    def agreement(self) -> float:
        """The lower of overlap F1 and kappa (what "disagrees most" sorts by); +inf when
        neither is defined (nothing was annotated: nothing to disagree about)."""
        defined = [v for v in (self.f1_overlap, self.kappa) if v is not None]
        return min(defined) if defined else math.inf


@dataclass(frozen=True)
class PairResult:
    reviewers: tuple[str, str]
    articles: int
    figures: Figures


@dataclass(frozen=True)
class ArticleResult:
    id: int
    title: str
    reviewers: tuple[str, ...]
    figures: Figures
    per_label: dict[str, Figures]
    pairs: list[PairResult]  # most disagreement first


@dataclass(frozen=True)
class Skipped:
    id: int
    title: str
    reviewers: tuple[str, ...]
    reason: str = NEEDS_TWO_REVIEWERS


@dataclass(frozen=True)
class Report:
    labels: tuple[str, ...]  # the label slugs used, in label order
    articles: list[ArticleResult]  # most disagreement first
    skipped: list[Skipped]
    pairs: list[PairResult]  # pooled over the articles each pair shares; most disagreement first
    overall: Figures | None  # None when no article has two reviewers
    per_label: dict[str, Figures]


@dataclass
class Tally:
    """Counts that add up across pairs and articles. Index k of the span arrays is the
    label with value k + 1; the confusion table is indexed by token value (0 = none)."""

    exact: np.ndarray
    overlap: np.ndarray
    spans_a: np.ndarray
    spans_b: np.ndarray
    confusion: np.ndarray
    articles: int = 0

    @classmethod
    def empty(cls, labels: int) -> Tally:
        zeros = [np.zeros(labels, dtype=np.int64) for _ in range(4)]
        return cls(*zeros, confusion=np.zeros((labels + 1, labels + 1), dtype=np.int64))

    def add(self, other: Tally) -> None:
        self.exact += other.exact
        self.overlap += other.overlap
        self.spans_a += other.spans_a
        self.spans_b += other.spans_b
        self.confusion += other.confusion
        self.articles += other.articles


def figures(tally: Tally, value_counts: np.ndarray | None = None) -> Figures:
    """All labels together: multi-valued kappa and alpha."""
    return _figures(
        int(tally.exact.sum()),
        int(tally.overlap.sum()),
        int(tally.spans_a.sum()),
        int(tally.spans_b.sum()),
        cohen_kappa(tally.confusion),
        krippendorff_alpha(value_counts) if value_counts is not None else None,
        int(tally.confusion.sum()),
    )


def label_figures(tally: Tally, k: int, value_counts: np.ndarray | None = None) -> Figures:
    """One label (span index k, token value k + 1) against everything else."""
    value = k + 1
    alpha = None
    if value_counts is not None:
        alpha = krippendorff_alpha(binary_value_counts(value_counts, value))
    return _figures(
        int(tally.exact[k]),
        int(tally.overlap[k]),
        int(tally.spans_a[k]),
        int(tally.spans_b[k]),
        cohen_kappa(binary_confusion(tally.confusion, value)),
        alpha,
        int(tally.confusion.sum()),
    )


def _figures(exact, overlap, spans_a, spans_b, kappa, alpha, tokens) -> Figures:
    p_exact, r_exact, f1_exact = precision_recall_f1(exact, spans_a, spans_b)
    p_overlap, r_overlap, f1_overlap = precision_recall_f1(overlap, spans_a, spans_b)
    return Figures(
        f1_exact=f1_exact,
        f1_overlap=f1_overlap,
        kappa=kappa,
        alpha=alpha,
        precision_exact=p_exact,
        recall_exact=r_exact,
        precision_overlap=p_overlap,
        recall_overlap=r_overlap,
        spans_a=spans_a,
        spans_b=spans_b,
        tokens=tokens,
    )


def label_slugs(articles: Sequence[ArticleAnnotations], label_order: Sequence[str]) -> list[str]:
    """The labels the spans use, in label order (any unknown one after, by slug)."""
    used = {
        span.label for article in articles for spans in article.spans.values() for span in spans
    }
    rank = {slug: i for i, slug in enumerate(label_order)}
    return sorted(used, key=lambda slug: (rank.get(slug, len(rank)), slug))


def pair_tally(a: Sequence[Span], b: Sequence[Span], values_a, values_b, index) -> Tally:
    """One pair of reviewers on one article."""
    labels = len(index)
    tally = Tally.empty(labels)
    tally.articles = 1
    for label, count in exact_matches(a, b).items():
        tally.exact[index[label] - 1] += count
    for i, _j in overlap_matching(a, b):
        tally.overlap[index[a[i].label] - 1] += 1
    for span in a:
        tally.spans_a[index[span.label] - 1] += 1
    for span in b:
        tally.spans_b[index[span.label] - 1] += 1
    width = labels + 1
    tally.confusion += np.bincount(values_a * width + values_b, minlength=width * width).reshape(
        width, width
    )
    return tally


def compute(articles: Iterable[ArticleAnnotations], label_order: Sequence[str] = ()) -> Report:
    articles = list(articles)
    slugs = label_slugs(articles, label_order)
    index = {slug: i + 1 for i, slug in enumerate(slugs)}
    labels = len(slugs)

    total = Tally.empty(labels)
    pair_totals: dict[tuple[str, str], Tally] = {}
    all_counts: list[np.ndarray] = []
    results: list[ArticleResult] = []
    skipped: list[Skipped] = []
    for article in articles:
        reviewers = article.reviewers
        if len(reviewers) < 2:
            skipped.append(Skipped(article.id, article.title, tuple(reviewers)))
            continue
        starts, ends = token_arrays(article.text)
        values = {r: token_values(starts, ends, article.spans[r], index) for r in reviewers}
        # Units × values: how many reviewers gave each token each value (alpha's input).
        counts = np.zeros((len(starts), labels + 1), dtype=np.int64)
        rows = np.arange(len(starts))
        for reviewer_values in values.values():
            counts[rows, reviewer_values] += 1
        all_counts.append(counts)

        article_tally = Tally.empty(labels)
        pairs = []
        for a, b in combinations(reviewers, 2):
            tally = pair_tally(article.spans[a], article.spans[b], values[a], values[b], index)
            pairs.append(PairResult((a, b), 1, figures(tally)))
            pair_totals.setdefault((a, b), Tally.empty(labels)).add(tally)
            article_tally.add(tally)
        article_tally.articles = 1
        total.add(article_tally)
        results.append(
            ArticleResult(
                id=article.id,
                title=article.title,
                reviewers=tuple(reviewers),
                figures=figures(article_tally, counts),
                per_label={
                    slug: label_figures(article_tally, k, counts) for k, slug in enumerate(slugs)
                },
                pairs=sorted(pairs, key=_by_disagreement),
            )
        )

    pooled_counts = np.concatenate(all_counts) if all_counts else None
    return Report(
        labels=tuple(slugs),
        articles=sorted(results, key=lambda r: (r.figures.agreement, r.id)),
        skipped=skipped,
        pairs=sorted(
            (
                PairResult(pair, tally.articles, figures(tally))
                for pair, tally in pair_totals.items()
            ),
            key=_by_disagreement,
        ),
        overall=figures(total, pooled_counts) if results else None,
        per_label={slug: label_figures(total, k, pooled_counts) for k, slug in enumerate(slugs)}
        if results
        else {},
    )


def _by_disagreement(pair: PairResult):
    return (pair.figures.agreement, pair.reviewers)
