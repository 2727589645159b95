"""Tokens of an article and the label each reviewer gives every token."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

# Words (letters, digits, underscores in any script) and single punctuation marks or
# symbols; whitespace separates tokens and is never one.
TOKEN = re.compile(r"\w+|[^\w\s]")

NONE = 0  # the value of a token no span covers; labels are 1, 2, ...


def token_offsets(text: str) -> list[tuple[int, int]]:
    """[start, end) code-point offsets of every token, in order."""
    return [match.span() for match in TOKEN.finditer(text)]


def token_arrays(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The token offsets as two arrays (starts, ends), both sorted."""
    offsets = token_offsets(text)
    if not offsets:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    bounds = np.array(offsets, dtype=np.int64)
    return bounds[:, 0], bounds[:, 1]


def token_values(
    starts: np.ndarray, ends: np.ndarray, spans: Sequence, label_index: Mapping[str, int]
) -> np.ndarray:
    """Each token's value for one reviewer: the label index of the span sharing at least
    one character with it, or NONE.

    Where the reviewer's spans overlap, the span that starts earlier wins, then the
    longer one, then the label first in label order. Painting the spans from the lowest
    priority to the highest leaves every token with its winner's label.
    """
    values = np.zeros(len(starts), dtype=np.int64)
    by_priority = sorted(spans, key=lambda s: (s.start, -s.end, label_index[s.label]))
    for span in reversed(by_priority):
        first = np.searchsorted(ends, span.start, side="right")  # first token ending after
        stop = np.searchsorted(starts, span.end, side="left")  # tokens starting before end
        values[first:stop] = label_index[span.label]
    return values
