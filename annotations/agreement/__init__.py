"""Inter-annotator agreement between the reviewers of an article, a collection or any
selection of articles.

Pure functions (no I/O) in `tokens`, `matching`, `measures`, `report`, `serialise` and
`chart`; `loading` is the one module that reads the database (a constant four queries).

The rules, decided once here:

- Whose spans: reviewer-layer spans only, one reviewer per author. The reviewers of an
  article are those assigned it (within the selected collection, if any) and every
  author of a reviewer span on it; an assigned reviewer with no spans still counts.
  Articles with fewer than two reviewers are skipped ("needs two reviewers").
- Span level, for each pair of reviewers (a, b), a before b by user name: *exact*
  matches share start, end and label; *overlap* matches share the label and at least
  one character, one to one (a maximum matching, see `matching`). Precision is b's
  matched spans over b's spans, recall a's over a's, F1 = 2·matched / (|a| + |b|).
  A ratio over zero spans is None (undefined): both sides empty gives P, R and F1 None
  and the pair is left out of nothing else (its counts are zero); one side empty gives
  F1 0 (and precision 0 or recall 0, the other None).
- Token level: tokens are the matches of `\\w+|[^\\w\\s]` on the article text; a token's
  value is the label of the reviewer's span that shares a character with it (where a
  reviewer's spans overlap, the one that starts earlier, then the longer, then the
  label first in label order) or "none". Cohen's kappa per pair (written here, exact
  integer arithmetic), Krippendorff's alpha (nominal) across all reviewers from the
  `krippendorff` package (fast-krippendorff).
- Pooling (micro-averaging): the overall figures add up the span counts of every pair
  in every article before dividing, kappa is computed on the summed token confusion
  tables, alpha on all the articles' tokens as one set of units. Per label: the same
  with only that label's spans, kappa and alpha on "this label" versus "anything else".
- A kappa or alpha whose chance agreement leaves nothing to correct (every token has
  one and the same value) is None.
"""

from .report import (
    NEEDS_TWO_REVIEWERS,
    ArticleAnnotations,
    ArticleResult,
    Figures,
    PairResult,
    Report,
    Span,
    compute,
)

__all__ = [
    "NEEDS_TWO_REVIEWERS",
    "ArticleAnnotations",
    "ArticleResult",
    "Figures",
    "PairResult",
    "Report",
    "Span",
    "compute",
]
