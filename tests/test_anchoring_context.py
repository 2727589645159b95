"""The context rule of re-anchoring (annotations.anchoring, "Context"): the same words in
another sentence are not the span's text. Found by the outside tester: a claim whose
sentence was deleted went to another sentence with the same words, scored 1.0 "exact".
Both sides are tested: what must go to "needs attention", and the realistic revisions
that must still move a span (pure, no database; tests/test_revisions.py has the same
through revise_article)."""

from __future__ import annotations

import pytest

from annotations.anchoring import CONTEXT_THRESHOLD, SpanText, candidates, reanchor
from annotations.offsets import quote_selector

TAXES = "taxes will rise"
WIN = "'We will win the election in November.'"
STORY = (
    "Parliament met on Tuesday to debate the budget. The minister said taxes will rise "
    "next year. Opposition leaders called the plan reckless.\n\n"
    f"Biden said: {WIN} His campaign released a statement.\n\n"
    f"At a rally in Ohio, Trump said: {WIN} Supporters cheered."
)
# The tester's revision: both sentences removed, the mayor's added, Trump's quote kept.
REVISED = (
    "Parliament met on Tuesday to debate the budget. Opposition leaders called the plan "
    "reckless.\n\nHis campaign released a statement.\n\n"
    f"At a rally in Ohio, Trump said: {WIN} Supporters cheered. "
    "The mayor said taxes will rise in Paris."
)


def span_of(text: str, quote: str, occurrence: int = 0) -> SpanText:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    selector = quote_selector(text, start, start + len(quote))
    return SpanText(start, start + len(quote), selector.exact, selector.prefix, selector.suffix)


def placed(new: str, old: str, quote: str, occurrence: int = 0):
    placement = reanchor(old, new, span_of(old, quote, occurrence))
    return None if placement is None else (new[placement.start : placement.end], placement)


# --- the same words elsewhere: needs attention --------------------------------------------


def test_a_deleted_claim_does_not_go_to_another_sentence_with_its_words():
    assert REVISED.count(TAXES) == 1  # the mayor's, the only one left
    assert reanchor(STORY, REVISED, span_of(STORY, TAXES)) is None


def test_a_deleted_quote_does_not_go_to_the_same_quote_of_another_speaker():
    assert REVISED.count(WIN) == 1  # Trump's
    assert reanchor(STORY, REVISED, span_of(STORY, WIN)) is None


def test_the_quote_that_stayed_keeps_its_place():
    found = placed(REVISED, STORY, WIN, occurrence=1)  # Trump's own span
    assert found is not None
    text, placement = found
    assert text == WIN
    assert placement.start == REVISED.index(WIN) and placement.score == 1.0


def test_the_testers_minimal_case_a_one_word_span():
    old = "He said no. Then no again."
    assert reanchor(old, "Then no again.", span_of(old, "no")) is None


def test_a_word_inside_a_longer_word_is_not_the_span():
    old = "The minister said no. The mayor agreed."
    assert reanchor(old, "The mayor agreed, noting the costs.", span_of(old, "no")) is None


def test_a_short_quote_the_diff_aligns_by_chance_is_not_placed():
    """The character diff keeps this "no" in place (the other sentence's "no" falls where
    the old one was): with nothing around it the same, it is not the span's."""
    old = "The minister said no. The mayor agreed."
    assert reanchor(old, "The mayor agreed: no new taxes.", span_of(old, "no")) is None


def test_a_fuzzy_match_elsewhere_needs_its_context_too():
    """Deleted, and a near copy of its words is elsewhere: the fuzzy search finds it, the
    context rule refuses it."""
    old = "The minister said the bridge is safe for traffic. Engineers left early."
    new = "Engineers left early. A resident said the bridge is safe for trafic."
    assert reanchor(old, new, span_of(old, "the bridge is safe for traffic")) is None


def test_a_span_that_is_not_placed_is_still_offered_to_the_reviewer():
    """Needs attention, not lost: the attention page proposes the other sentence, with
    its context score, and the reviewer decides."""
    span = span_of(STORY, TAXES)
    offered = candidates(STORY, REVISED, span)
    assert offered and offered[0].start == REVISED.index(TAXES)
    assert offered[0].score < CONTEXT_THRESHOLD


# --- edits that must still move the span ---------------------------------------------------


@pytest.mark.parametrize(
    "new",
    [
        # A correction note put in front of the article.
        "Correction appended on Wednesday: an earlier version misnamed the committee.\n\n" + STORY,
        # A new first paragraph and a sentence inserted after the claim.
        "Updated at 14:00.\n\n"
        + STORY.replace("next year.", "next year. The treasury confirmed the figures."),
        # Its word changed right before it (one side changed, the other intact).
        STORY.replace("The minister said taxes", "The minister warned taxes"),
        # A punctuation mark and a word changed on both sides, each small.
        STORY.replace("said taxes will rise next year.", "stated taxes will rise next year,"),
        # Edited on both sides, the quote itself where it was.
        STORY.replace(
            "said taxes will rise next year.", "said on Monday that taxes will rise in 2027."
        ),
    ],
    ids=["preface", "insertions", "word-before", "small-both-sides", "rewritten-around"],
)
def test_edits_around_a_claim_keep_it(new):
    found = placed(new, STORY, TAXES)
    assert found is not None, "the claim went to needs attention"
    text, placement = found
    assert text == TAXES and placement.start == new.index(TAXES)


def test_a_paragraph_moved_to_the_end_takes_its_spans_along():
    paragraphs = STORY.split("\n\n")
    new = "\n\n".join([paragraphs[1], paragraphs[2], paragraphs[0]])
    for quote, occurrence in ((TAXES, 0), ("Parliament met on Tuesday", 0), ("reckless", 0)):
        found = placed(new, STORY, quote, occurrence)
        assert found is not None, quote
        assert found[1].start == new.index(quote)


def test_of_two_identical_quotes_each_goes_with_its_speaker():
    """Both quotes stay but the paragraphs swap: each span follows its own context."""
    paragraphs = STORY.split("\n\n")
    new = "\n\n".join([paragraphs[0], paragraphs[2], paragraphs[1]])
    biden, trump = placed(new, STORY, WIN, 0), placed(new, STORY, WIN, 1)
    assert biden[1].start == new.index("Biden said: ") + len("Biden said: ")
    assert trump[1].start == new.index("Trump said: ") + len("Trump said: ")


def test_a_claim_with_a_typo_fixed_inside_is_placed_fuzzily():
    new = STORY.replace("taxes will rise next", "taxes wil rise next")
    found = placed(new, STORY, TAXES)
    assert found is not None and found[0] == "taxes wil rise"
    assert found[1].method == "fuzzy"


def test_a_long_text_with_the_span_far_from_the_edit():
    filler = "".join(
        f"Paragraph {i} reports on the regional elections in detail.\n\n" for i in range(300)
    )
    old = filler + STORY
    new = (
        "BREAKING: polls have closed.\n\n"
        + filler.replace("Paragraph 7 ", "Paragraph seven ")
        + STORY
    )
    found = placed(new, old, TAXES)
    assert found is not None and found[1].start == new.index(TAXES)
