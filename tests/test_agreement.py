"""The agreement figures (annotations.agreement), against values worked out by hand.

Each expected value is derived in the comment above it from the tokens and spans of the
case; none is produced by the code under test.

Formulas used by hand (n tokens compared, C the confusion table of the two reviewers):
  kappa = (n·trace(C) - Σ_k row_k·col_k) / (n² - Σ_k row_k·col_k)
  nominal alpha = 1 - (N - 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k, where o is the
  coincidence matrix (a unit with two values c, k adds 1 to o_ck and to o_kc; a unit
  where both reviewers gave c adds 2 to o_cc), n_c its column sums and N = Σ n_c.
"""

import numpy as np
import pytest

from annotations.agreement import ArticleAnnotations, Span, compute
from annotations.agreement.matching import exact_matches, overlap_matching
from annotations.agreement.measures import cohen_kappa, krippendorff_alpha
from annotations.agreement.serialise import CSV_HEADER, as_json, csv_rows
from annotations.agreement.tokens import token_arrays, token_offsets, token_values

# 12 tokens: The(0) minister(1) said(2) the(3) bridge(4) is(5) safe(6) .(7) Moscow(8)
# denied(9) it(10) .(11)
NEWS = "The minister said the bridge is safe. Moscow denied it."
MINISTER = (4, 12)
MOSCOW = (38, 44)
# 5 tokens: alpha(0,5) beta(6,10) gamma(11,16) delta(17,22) epsilon(23,30)
GREEK = "alpha beta gamma delta epsilon"
LABELS = ["claim", "denial"]


def claim(start, end):
    return Span(start, end, "claim")


def denial(start, end):
    return Span(start, end, "denial")


def article(text, pk=1, **spans):
    return ArticleAnnotations(pk, f"Article {pk}", text, spans)


def approx(value):
    return pytest.approx(value, abs=1e-9)


# --- tokens -------------------------------------------------------------------------


def test_the_case_texts_tokenise_as_the_comments_say():
    assert NEWS[slice(*MINISTER)] == "minister" and NEWS[slice(*MOSCOW)] == "Moscow"
    assert len(token_offsets(NEWS)) == 12
    assert [GREEK[s:e] for s, e in token_offsets(GREEK)] == GREEK.split()


def test_tokens_are_words_and_single_marks_in_any_script():
    text = "Café 東京 👍🏽 naïve—ok!"
    # C0 a1 f2 é3 _4 東5 京6 _7 👍8 🏽9 _10 n11 a12 ï13 v14 e15 —16 o17 k18 !19: letters of
    # any script form words (東京 is one), an emoji and its skin-tone modifier are two
    # marks, the dash and the bang are one each.
    assert token_offsets(text) == [
        (0, 4),
        (5, 7),
        (8, 9),
        (9, 10),
        (11, 16),
        (16, 17),
        (17, 19),
        (19, 20),
    ]


def test_a_text_without_tokens_has_none():
    starts, ends = token_arrays(" \n\t ")
    assert len(starts) == len(ends) == 0


def test_a_token_takes_the_label_of_any_span_sharing_a_character():
    starts, ends = token_arrays(GREEK)
    # [7, 8) is the "e" inside "beta": the whole token counts as covered.
    values = token_values(starts, ends, [claim(7, 8)], {"claim": 1})
    assert values.tolist() == [0, 1, 0, 0, 0]


def test_where_one_reviewers_spans_overlap_the_earlier_span_wins():
    starts, ends = token_arrays(GREEK)
    # claim "beta gamma" [6, 16) starts before denial "gamma delta" [11, 22): gamma, which
    # both cover, is a claim. Listed in either order.
    for spans in ([claim(6, 16), denial(11, 22)], [denial(11, 22), claim(6, 16)]):
        values = token_values(starts, ends, spans, {"claim": 1, "denial": 2})
        assert values.tolist() == [0, 1, 1, 2, 0]


def test_where_two_spans_start_together_the_longer_wins():
    starts, ends = token_arrays(GREEK)
    # denial "alpha" [0, 5) and claim "alpha beta" [0, 10) start together: the longer
    # claim takes alpha too.
    values = token_values(starts, ends, [denial(0, 5), claim(0, 10)], {"claim": 1, "denial": 2})
    assert values.tolist() == [1, 1, 0, 0, 0]


# --- span matching -----------------------------------------------------------------


def test_exact_matches_need_the_same_start_end_and_label():
    a = [claim(0, 5), claim(6, 10), denial(11, 16)]
    b = [claim(0, 5), denial(6, 10), denial(11, 17)]
    # Only claim (0, 5) is in both: (6, 10) differs in label, (11, 16) in its end.
    assert dict(exact_matches(a, b)) == {"claim": 1}


def test_one_long_span_matches_only_one_of_two_short_ones():
    a = [claim(0, 22)]
    b = [claim(0, 5), claim(11, 16)]
    pairs = overlap_matching(a, b)
    # Both short spans overlap the long one (5 characters each); one to one, the first
    # by position is taken.
    assert pairs == [(0, 0)]


def test_overlap_matching_is_maximum_not_greedy():
    # A1 "alpha beta gamma" [0,16) overlaps B1 "beta gamma delta" [6,22) by 10 and B2
    # "alpha" [0,5) by 5; A2 "delta epsilon" [17,30) overlaps only B1 (by 5). Largest
    # overlap first would pair A1-B1 and strand both A2 and B2: 1 pair. The maximum
    # matching pairs A1-B2 and A2-B1: 2 pairs.
    a = [claim(0, 16), claim(17, 30)]
    b = [claim(6, 22), claim(0, 5)]
    assert overlap_matching(a, b) == [(0, 1), (1, 0)]


def test_overlap_matching_needs_the_same_label_and_a_shared_character():
    a = [claim(0, 5), claim(6, 10)]
    b = [denial(0, 5), claim(10, 16)]  # same place, other label; touching, not sharing
    assert overlap_matching(a, b) == []


# --- measures -----------------------------------------------------------------------


def test_cohen_kappa_of_a_textbook_table():
    # 50 items: p_o = (20 + 15) / 50 = 0.7; rows 25, 25, columns 30, 20:
    # p_e = (25·30 + 25·20) / 2500 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    assert cohen_kappa(np.array([[20, 5], [10, 15]])) == approx(0.4)


def test_kappa_and_alpha_are_undefined_without_variation():
    assert cohen_kappa(np.array([[7, 0], [0, 0]])) is None
    assert cohen_kappa(np.zeros((2, 2), dtype=int)) is None
    assert krippendorff_alpha(np.array([[2, 0], [2, 0]])) is None


# --- whole cases ----------------------------------------------------------------------


def test_perfect_agreement():
    spans = [claim(*MINISTER), denial(*MOSCOW)]
    report = compute([article(NEWS, a=spans, b=list(spans))], LABELS)
    overall = report.overall
    # Every span matched exactly: F1 = 2·2 / (2 + 2) = 1. Every token equal: trace = n, so
    # kappa = (n² - Σ) / (n² - Σ) = 1 and alpha = 1 - 0 = 1.
    assert (overall.f1_exact, overall.f1_overlap) == (1.0, 1.0)
    assert overall.kappa == 1.0 and overall.alpha == approx(1.0)
    for slug in LABELS:
        assert report.per_label[slug].f1_exact == 1.0
        assert report.per_label[slug].kappa == 1.0


def test_no_agreement_at_all():
    report = compute([article(NEWS, a=[claim(*MINISTER)], b=[denial(*MOSCOW)])], LABELS)
    overall = report.overall
    # No span in common: F1 = 0 / (1 + 1) = 0 both ways.
    assert overall.f1_exact == 0.0 and overall.f1_overlap == 0.0
    # Tokens: minister (claim, none), Moscow (none, denial), 10 × (none, none).
    # n = 12, trace = 10; rows none 11, claim 1, denial 0; columns none 11, claim 0,
    # denial 1: Σ = 121. kappa = (12·10 - 121) / (144 - 121) = -1/23.
    assert overall.kappa == approx(-1 / 23)
    # Units: 10 × [none, none] (o_nn += 2 each: 20), [none, claim], [none, denial].
    # n_none = 22, n_claim = 1, n_denial = 1, N = 24; Σ o_off = 4;
    # Σ n_c·n_k (c≠k) = 2·(22 + 22 + 1) = 90. alpha = 1 - 23·4 / 90 = -1/45.
    assert overall.alpha == approx(-1 / 45)
    # Claim: a has one, b none: precision (b's) undefined, recall 0 / 1.
    claims = report.per_label["claim"]
    assert claims.precision_exact is None and claims.recall_exact == 0.0


def test_one_long_span_against_two_short_ones():
    report = compute([article(GREEK, a=[claim(0, 22)], b=[claim(0, 5), claim(11, 16)])])
    pair = report.pairs[0].figures
    # No exact match; one overlap match (one to one): P = 1/2 (of b's two), R = 1/1,
    # F1 = 2·1 / (1 + 2) = 2/3.
    assert pair.f1_exact == 0.0
    assert (pair.precision_overlap, pair.recall_overlap) == (0.5, 1.0)
    assert pair.f1_overlap == approx(2 / 3)
    # Tokens a: claim claim claim claim none; b: claim none claim none none.
    # (c,c) 2, (c,none) 2, (none,none) 1: n = 5, trace = 3; rows none 1, claim 4;
    # columns none 3, claim 2: Σ = 3 + 8 = 11. kappa = (15 - 11) / (25 - 11) = 2/7.
    assert pair.kappa == approx(2 / 7)
    # Units [claim, claim] × 2 (o_cc 4), [claim, none] × 2, [none, none] (o_nn 2):
    # n_none = 4, n_claim = 6, N = 10, Σ o_off = 4. alpha = 1 - 9·4 / (2·4·6) = 1/4.
    assert report.overall.alpha == approx(0.25)


def test_a_reviewer_with_no_spans():
    report = compute([article(NEWS, a=[claim(*MINISTER)], b=[])], LABELS)
    pair = report.pairs[0].figures
    # b made no span: F1 = 2·0 / (1 + 0) = 0; precision (b's) undefined; recall 0 / 1.
    assert pair.f1_exact == 0.0 and pair.f1_overlap == 0.0
    assert pair.precision_exact is None and pair.recall_exact == 0.0
    # Tokens: minister (claim, none), 11 × (none, none): trace = 11; rows none 11,
    # claim 1; columns none 12: Σ = 132. kappa = (132 - 132) / (144 - 132) = 0.
    assert pair.kappa == 0.0
    # Units: 11 × [none, none] (o_nn 22), [claim, none]: n_none 23, n_claim 1, N 24,
    # Σ o_off = 2. alpha = 1 - 23·2 / (2·23·1) = 0.
    assert report.overall.alpha == approx(0.0)


def test_two_reviewers_with_no_spans_have_undefined_figures_not_errors():
    report = compute([article(NEWS, a=[], b=[])], LABELS)
    overall = report.overall
    assert overall.f1_exact is None and overall.f1_overlap is None
    assert overall.kappa is None and overall.alpha is None
    assert report.per_label == {}


def test_per_label_figures():
    a = [claim(*MINISTER), denial(*MOSCOW)]
    b = [claim(*MINISTER), claim(*MOSCOW)]
    report = compute([article(NEWS, a=a, b=b)], LABELS)
    claims, denials = report.per_label["claim"], report.per_label["denial"]
    # Claims: a 1, b 2, 1 in common: F1 = 2/3. Denials: a 1, b 0: F1 = 0.
    assert claims.f1_exact == approx(2 / 3) and denials.f1_exact == 0.0
    # Overall: 1 match of 2 + 2 spans: F1 = 2/4.
    assert report.overall.f1_exact == 0.5
    # Claim vs not: both 1 (minister), b only 1 (Moscow), neither 10: trace 11; rows
    # claim 1, other 11; columns claim 2, other 10: Σ = 2 + 110 = 112.
    # kappa = (132 - 112) / (144 - 112) = 20/32.
    assert claims.kappa == approx(20 / 32)
    # Denial vs not: a only 1, neither 11: rows denial 1, other 11; columns other 12:
    # Σ = 132. kappa = (132 - 132) / 12 = 0.
    assert denials.kappa == 0.0
    # All labels: (c,c) 1, (denial, claim) 1, (none,none) 10: trace 11; rows none 10,
    # claim 1, denial 1; columns none 10, claim 2: Σ = 100 + 2 = 102.
    # kappa = (132 - 102) / (144 - 102) = 30/42.
    assert report.overall.kappa == approx(30 / 42)
    # Claim alpha: units [c, c] (o 2), [c, other] (Moscow), 10 × [other, other] (o 20):
    # n_c = 3, n_other = 21, N = 24, Σ o_off = 2. alpha = 1 - 23·2 / (2·3·21) = 80/126.
    assert claims.alpha == approx(80 / 126)


def test_the_overall_figures_pool_two_articles():
    first = article("one two three", pk=1, a=[claim(4, 7)], b=[claim(4, 7)])
    second = article(GREEK, pk=2, a=[claim(0, 5)], b=[claim(6, 10), claim(11, 16)])
    report = compute([first, second])
    overall = report.overall
    # Spans summed before dividing: 1 match of (1 + 1) + (1 + 2) spans: 2·1 / 5 = 0.4
    # (the mean of the two articles' F1, (1 + 0) / 2, would be 0.5).
    assert overall.f1_exact == approx(0.4)
    # Tokens pooled: first (none,none) 2, (c,c) 1; second (c,none) 1, (none,c) 2,
    # (none,none) 2. n = 8, trace = 5; rows none 6, claim 2; columns none 5, claim 3:
    # Σ = 30 + 6 = 36. kappa = (40 - 36) / (64 - 36) = 1/7.
    assert overall.kappa == approx(1 / 7)
    # Units: [n,n] × 4 (o 8), [c,c] × 1 (o 2), [c,n] × 3: n_none 11, n_claim 5, N 16,
    # Σ o_off = 6. alpha = 1 - 15·6 / (2·11·5) = 2/11.
    assert overall.alpha == approx(2 / 11)
    assert report.pairs[0].articles == 2
    assert [r.id for r in report.articles] == [2, 1]  # the one that disagrees first


def test_every_pair_of_three_reviewers_the_one_that_disagrees_first():
    spans = [claim(*MINISTER)]
    report = compute([article(NEWS, a=spans, b=list(spans), c=[denial(*MOSCOW)])], LABELS)
    assert [p.reviewers for p in report.pairs] == [("a", "c"), ("b", "c"), ("a", "b")]
    assert report.pairs[-1].figures.f1_exact == 1.0
    assert report.pairs[0].figures.f1_exact == 0.0


def test_an_article_with_one_reviewer_is_skipped_not_divided_by_zero():
    report = compute([article(NEWS, a=[claim(*MINISTER)])], LABELS)
    assert report.articles == [] and report.overall is None
    assert [(s.id, s.reviewers, s.reason) for s in report.skipped] == [
        (1, ("a",), "needs two reviewers")
    ]
    assert as_json(report)["overall"] == dict.fromkeys(["f1_exact", "f1_overlap", "kappa", "alpha"])


def test_json_and_csv_shapes():
    report = compute([article(NEWS, a=[claim(*MINISTER)], b=[claim(*MINISTER)])], LABELS)
    data = as_json(report)
    assert data["articles"] == 1
    assert set(data["overall"]) == {"f1_exact", "f1_overlap", "kappa", "alpha"}
    assert set(data["per_label"]) == {"claim"}
    assert data["pairs"][0]["reviewers"] == ["a", "b"]
    rows = list(csv_rows(report))
    assert rows[0] == CSV_HEADER
    assert [row[0] for row in rows[1:]] == ["overall", "label", "pair", "article"]
    assert all(len(row) == len(CSV_HEADER) for row in rows)


# --- chart ----------------------------------------------------------------------------


def test_the_chart_draws_negative_kappa_left_of_zero_and_undefined_as_no_bar():
    from annotations.agreement.chart import bar_chart
    from annotations.agreement.report import Figures

    figures = Figures(0.5, None, -0.25, None, None, None, None, None, 1, 1, 10)
    chart = bar_chart([("Claim", figures)])
    [group] = chart.groups
    exact, overlap, kappa = group.bars
    # The axis runs from -0.5 (the lowest value, -0.25, down to the next 0.5) to 1.
    assert [t.value for t in chart.ticks] == [-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
    assert exact.x == chart.zero_x and exact.width > 0
    assert overlap.value is None and overlap.width == 0
    assert kappa.x < chart.zero_x and kappa.x + kappa.width == approx(chart.zero_x)
    # -0.25 is a sixth of the 1.5-wide axis, 0.5 a third: the exact bar is twice as long.
    assert exact.width == approx(2 * kappa.width)
