"""Precision, recall, F1, Cohen's kappa and Krippendorff's alpha from counts."""

from __future__ import annotations

import krippendorff
import numpy as np


def ratio(numerator: int, denominator: int) -> float | None:
    """None where the ratio is undefined (nothing to divide by)."""
    return numerator / denominator if denominator else None


def precision_recall_f1(
    matched: int, spans_a: int, spans_b: int
) -> tuple[float | None, float | None, float | None]:
    """b measured against a: precision = matched / |b|, recall = matched / |a|,
    F1 = 2·matched / (|a| + |b|) (the same whichever side is the reference)."""
    return ratio(matched, spans_b), ratio(matched, spans_a), ratio(2 * matched, spans_a + spans_b)


def cohen_kappa(confusion: np.ndarray) -> float | None:
    """Cohen's kappa of a square table of counts (rows: rater a's values, columns: b's).

    kappa = (p_o - p_e) / (1 - p_e), with p_o = trace / n and p_e = Σ row_k·col_k / n²,
    computed as (n·trace - Σ row_k·col_k) / (n² - Σ row_k·col_k) in integers, so
    perfect agreement is exactly 1. None when p_e = 1 (both raters gave every token one
    and the same value: there is no chance agreement to correct for) or there are no
    tokens.
    """
    n = int(confusion.sum())
    chance = int(np.dot(confusion.sum(axis=1), confusion.sum(axis=0)))
    if n == 0 or chance == n * n:
        return None
    return (n * int(np.trace(confusion)) - chance) / (n * n - chance)


def binary_confusion(confusion: np.ndarray, value: int) -> np.ndarray:
    """The 2×2 table of "value" versus "any other value" from a full table."""
    both = int(confusion[value, value])
    a_only = int(confusion[value, :].sum()) - both
    b_only = int(confusion[:, value].sum()) - both
    neither = int(confusion.sum()) - both - a_only - b_only
    return np.array([[both, a_only], [b_only, neither]], dtype=np.int64)


def krippendorff_alpha(value_counts: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) from a units × values table of how many reviewers
    gave each unit each value, by the `krippendorff` package.

    None when fewer than two values occur at all (no expected disagreement: alpha is
    0/0) or no unit has two values to pair.
    """
    if value_counts.size == 0 or np.count_nonzero(value_counts.sum(axis=0)) < 2:
        return None
    if not (value_counts.sum(axis=1) >= 2).any():
        return None
    # Only the values that occur: an unused value adds nothing but a zero column.
    used = value_counts[:, value_counts.sum(axis=0) > 0]
    return float(krippendorff.alpha(value_counts=used, level_of_measurement="nominal"))


def binary_value_counts(value_counts: np.ndarray, value: int) -> np.ndarray:
    """Units × ["value", "any other value"] from a full units × values table."""
    chosen = value_counts[:, value]
    return np.stack([chosen, value_counts.sum(axis=1) - chosen], axis=1)
