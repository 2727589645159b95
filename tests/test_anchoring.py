"""Re-anchoring a span on a new text (annotations.anchoring): pure, no database."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.anchoring import (
    FUZZY_THRESHOLD,
    SpanText,
    TextMap,
    candidates,
    reanchor,
)
from annotations.offsets import quote_selector

OLD = (
    "The minister said the bridge is safe. Engineers inspected it in May. "
    "Critics say the report was rushed and the minister ignored them."
)


def span_of(text: str, quote: str, occurrence: int = 0) -> SpanText:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    selector = quote_selector(text, start, start + len(quote))
    return SpanText(start, start + len(quote), selector.exact, selector.prefix, selector.suffix)


def placed_text(new: str, placement) -> str:
    return new[placement.start : placement.end]


def test_unchanged_text_keeps_every_offset():
    span = span_of(OLD, "Engineers inspected it")
    placement = reanchor(OLD, OLD, span)
    assert (placement.start, placement.end, placement.method) == (span.start, span.end, "exact")
    assert placement.score == 1.0


def test_text_moved_by_an_insertion_before_it():
    new = "UPDATED: " + OLD.replace("in May", "in early May")
    span = span_of(OLD, "Critics say the report was rushed")
    placement = reanchor(OLD, new, span)
    assert placed_text(new, placement) == "Critics say the report was rushed"
    assert placement.method == "exact"
    assert placement.start == span.start + len("UPDATED: ") + len("early ")


def test_paragraphs_swapped():
    old = "First paragraph about taxes.\nSecond paragraph about roads."
    new = "Second paragraph about roads.\nFirst paragraph about taxes."
    span = span_of(old, "about taxes")
    placement = reanchor(old, new, span)
    assert placed_text(new, placement) == "about taxes"
    assert placement.start == new.index("about taxes")


def test_duplicated_quote_chosen_by_its_context():
    old = "Bob said: it is fine. Then Alice said: it is fine."
    span = span_of(old, "it is fine", occurrence=1)  # Alice's
    # The speakers swap: Bob's "it is fine" is now where Alice's was.
    new = "Alice said: it is fine. Then Bob said: it is fine."
    assert abs(new.rindex("it is fine") - span.start) < abs(new.index("it is fine") - span.start)
    placement = reanchor(old, new, span)
    assert placement.method == "exact-context"
    assert placement.start == new.index("it is fine")


def test_duplicated_quote_without_context_goes_to_the_nearest():
    old = "aaa yes bbb yes ccc"
    span = SpanText(12, 15, "yes")  # the second, no prefix or suffix known
    new = "zz aaa yes bbb yes ccc"
    placement = reanchor(old, new, span)
    # The diff maps the old span straight to its new place.
    assert placement.start == 15


def test_small_edit_inside_the_quote_is_placed_fuzzily():
    span = span_of(OLD, "Engineers inspected it in May")
    new = OLD.replace("Engineers inspected it in May", "Engineers inspected it in Mai")
    placement = reanchor(OLD, new, span)
    assert placement.method == "fuzzy"
    assert placed_text(new, placement) == "Engineers inspected it in Mai"
    assert FUZZY_THRESHOLD <= placement.score < 1.0


def test_words_inserted_before_and_inside_the_quote_never_cut_a_word():
    old = "The council voted. The minister said the bridge is safe for traffic until spring."
    new = old.replace("said the bridge is", "said that the bridge remains")
    placement = reanchor(old, new, span_of(old, "the bridge is safe for traffic"))
    assert placed_text(new, placement) == "the bridge remains safe for traffic"


def test_fuzzy_without_the_diff_fast_path_still_uses_position():
    span = span_of(OLD, "the report was rushed")
    new = ("Lots of new preface text. " * 3) + OLD.replace("was rushed", "was rushd")
    placement = reanchor(OLD, new, span, text_map=TextMap(OLD, new))
    assert placed_text(new, placement) == "the report was rushd"


def test_deleted_quote_is_not_placed():
    span = span_of(OLD, "Engineers inspected it in May.")
    new = OLD.replace("Engineers inspected it in May. ", "")
    assert reanchor(OLD, new, span) is None


def test_rewritten_quote_is_not_placed():
    span = span_of(OLD, "Critics say the report was rushed")
    new = OLD.replace("Critics say the report was rushed", "Opponents claim nothing at all")
    assert reanchor(OLD, new, span) is None


def test_long_quote_with_edits_at_both_ends_is_placed():
    quote = (
        "The committee concluded after many months of hearings that the regional "
        "funding was misused by officials of the transport department."
    )
    old = "Intro. " + quote + " Outro."
    edited = quote.replace("many months", "several months").replace(
        "transport department", "transport departement"
    )
    new = "A longer new introduction. " + edited + " Outro."
    span = span_of(old, quote)
    assert len(quote) > 32
    placement = reanchor(old, new, span)
    assert placement.method == "fuzzy"
    assert placed_text(new, placement) == edited


def test_long_quote_moved_exactly():
    quote = "a sentence long enough to exceed the thirty-two character Bitap limit"
    old = "Start. " + quote + " end."
    new = "Start again, with more. " + quote + " end."
    placement = reanchor(old, new, span_of(old, quote))
    assert placed_text(new, placement) == quote
    assert placement.method == "exact"


def test_non_ascii_offsets_count_code_points():
    old = "Intro 🎉 text. 北京的桥是安全的 said e\u0301lise. End."
    new = "🎉🎉 New first line 😀.\n" + old
    for quote in ("北京的桥是安全的", "e\u0301lise", "🎉 text"):
        placement = reanchor(old, new, span_of(old, quote))
        assert placed_text(new, placement) == quote


def test_non_ascii_fuzzy_edit():
    old = "前言。北京的桥是安全的，部长说。结束。"
    new = "新的前言。北京的桥是很安全的，部长说。结束。"
    placement = reanchor(old, new, span_of(old, "北京的桥是安全的，部长说"))
    assert placed_text(new, placement) == "北京的桥是很安全的，部长说"


def test_empty_quote_is_never_placed():
    assert reanchor("abc", "abc", SpanText(0, 1, "")) is None


def test_new_text_of_only_space_places_nothing():
    assert reanchor(OLD, "   ", span_of(OLD, "minister said")) is None


def test_candidates_offer_places_for_an_unplaced_span():
    span = span_of(OLD, "the bridge is safe")
    new = OLD.replace("the bridge is safe", "the bridge is totally safe and sound")
    assert reanchor(OLD, new, span) is None  # too different to place on its own
    found = candidates(OLD, new, span)
    assert found and found[0].start == new.index("the bridge")


def test_candidates_for_a_duplicated_quote_list_each_occurrence():
    old = "He said yes. She said yes."
    span = span_of(old, "said yes", occurrence=1)
    found = candidates(old, "She said yes. He said yes.", span)
    assert [p.start for p in found][:2] == [4, 17]


def test_text_map_positions():
    text_map = TextMap("abcdef", "abXYcdf")
    assert text_map.position(0) == 0
    assert text_map.position(2) == 4  # after the insertion
    assert text_map.position(4) == 6  # "e" was deleted: where it was
    assert text_map.unchanged(2, 4) == (4, 6)
    assert text_map.unchanged(3, 5) is None


_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(
    before=_words,
    after=_words,
    head=_words,
    tail=_words,
    quote=st.text(min_size=1, max_size=80).filter(lambda q: q.strip()),
)
def test_unrelated_text_inserted_before_or_after_never_loses_an_exact_span(
    before, after, head, tail, quote
):
    old = head + quote + tail
    span = SpanText(
        len(head),
        len(head) + len(quote),
        quote,
        head[-32:],
        tail[:32],
    )
    new = before + old + after
    placement = reanchor(old, new, span)
    # (When the inserted text holds another copy of the quote, which one is "the span's"
    # is undecidable; the text is still found.)
    assert placement is not None
    assert placed_text(new, placement) == quote
    if new.count(quote) == old.count(quote) and quote[0] not in before[-1:] + after[:1]:
        # The span is where its own text went, not at another copy of its quote.
        assert placement.start == len(before) + len(head)
