"""annotations/offsets.py: the text contract, span checks, re-anchoring, UTF-16 and
highlight segments. Pure functions on `str`, so no database here."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from annotations.offsets import (
    CONTEXT_WIDTH,
    Segment,
    SpanError,
    TextQuote,
    canonical_text,
    check_span,
    codepoint_to_utf16,
    find_quote,
    quote_selector,
    span_segments,
    utf16_length,
    utf16_to_codepoint,
)

EMOJI = "😀"  # one code point, two UTF-16 units
FAMILY = "👩\u200d👩\u200d👧"  # ZWJ sequence: five code points, eight units
FLAG = "🇫🇷"  # two regional indicators: two code points, four units
SKIN_TONE = "👍🏽"  # emoji + modifier: two code points, four units
COMBINING = "e\u0301"  # e + COMBINING ACUTE ACCENT, NFC is "é"
CJK = "中文新闻"
ARABIC = "قال الوزير إن الجسر آمن"
HEBREW = "השר אמר שהגשר בטוח"
NBSP = "\u00a0"
MATH = "𝔘𝔫𝔦"  # astral letters

SAMPLES = {
    "ascii": "The minister said the bridge is safe.",
    "emoji": f"Great news {EMOJI} today",
    "zwj": f"The {FAMILY} family",
    "flag": f"In {FLAG} Paris",
    "skin tone": f"ok {SKIN_TONE} fine",
    "combining": f"Caf{COMBINING} cr{COMBINING}me",
    "cjk": f"新闻: {CJK}。",
    "arabic": ARABIC,
    "hebrew": HEBREW,
    "mixed direction": f"He said “{ARABIC}” and {HEBREW}.",
    "nbsp": f"10{NBSP}km away",
    "astral letters": f"{MATH} text",
    "everything": f"{EMOJI}{FAMILY}{FLAG}{COMBINING}{CJK}{ARABIC}{NBSP}{MATH}\n\t!",
}

# Text strategies: anything Python can hold (including beyond the BMP), and a mix that
# leans on the characters that break naive offset code.
TRICKY = [
    EMOJI,
    FAMILY,
    FLAG,
    SKIN_TONE,
    COMBINING,
    "é",
    "中",
    "文",
    "ق",
    "ש",
    "\u200f",  # RIGHT-TO-LEFT MARK
    NBSP,
    "𝔘",
    "\n",
    "\t",
    " ",
    "a",
    "b",
]
# Lone surrogates are left out of generated text; canonical_text replaces them with
# U+FFFD (see the test at the end of this file).
CHARS = st.characters(exclude_categories=("Cs",))
any_text = st.text(CHARS, max_size=60)
astral_text = st.text(st.characters(min_codepoint=0x10000), min_size=1, max_size=20)
tricky_text = st.lists(st.one_of(st.sampled_from(TRICKY), CHARS), max_size=40).map("".join)
texts = st.one_of(any_text, tricky_text, astral_text)


def utf16_units(text: str) -> int:
    """Reference: what a browser's String.length says."""
    return len(text.encode("utf-16-le")) // 2


def js_slice(text: str, start: int, end: int) -> str:
    """Reference: what a browser's String.slice(start, end) returns (UTF-16 units)."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def occurrences(text: str, part: str) -> int:
    """How many times `part` occurs in `text`, overlaps included."""
    return sum(1 for i in range(len(text) - len(part) + 1) if text.startswith(part, i))


@st.composite
def text_and_span(draw, text_strategy=texts):
    """A text and a non-empty span [start, end) of it."""
    text = draw(text_strategy.filter(lambda t: len(t) >= 1))
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, len(text)))
    return text, start, end


# --- canonical_text -------------------------------------------------------------------


class TestCanonicalText:
    def test_crlf_and_cr_become_newlines(self):
        """Windows (CRLF) and old Mac (CR) line ends become "\\n"."""
        assert canonical_text("one\r\ntwo\rthree\nfour") == "one\ntwo\nthree\nfour"

    def test_cr_before_crlf_counts_as_two_line_ends(self):
        """A lone CR followed by CRLF is two line ends, not one."""
        assert canonical_text("a\r\r\nb") == "a\n\nb"

    def test_combining_marks_are_composed(self):
        """Decomposed letters are stored in NFC, so "e" + U+0301 becomes "é"."""
        assert canonical_text(f"Caf{COMBINING}") == "Café"
        assert len(canonical_text(f"Caf{COMBINING}")) == 4

    def test_other_compatibility_forms_follow_nfc(self):
        """NFC (not NFKC): the ANGSTROM SIGN becomes Å, but ligatures like "ﬁ" stay."""
        assert canonical_text("\u212b") == "\u00c5"
        assert canonical_text("ﬁle") == "ﬁle"

    def test_hangul_jamo_are_composed(self):
        """Conjoining Hangul jamo compose into one syllable."""
        assert canonical_text("\u1100\u1161") == "\uac00"

    @pytest.mark.parametrize(
        "control", ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f"]
    )
    def test_control_characters_are_removed(self, control):
        """NUL, bell, escape, DEL, C1 controls and the like are dropped."""
        assert canonical_text(f"a{control}b") == "ab"

    def test_newline_and_tab_are_kept(self):
        """ "\\n" and "\\t" are the only control characters that stay."""
        assert canonical_text("a\tb\nc") == "a\tb\nc"

    def test_byte_order_mark_is_dropped(self):
        """A BOM left at the start (or anywhere) of a decoded string is dropped."""
        assert canonical_text("\ufeffHello") == "Hello"
        assert canonical_text("Hel\ufefflo") == "Hello"

    def test_nbsp_is_kept(self):
        """NO-BREAK SPACE is text, not a control: it stays as it is."""
        assert canonical_text(f"10{NBSP}km") == f"10{NBSP}km"

    @pytest.mark.parametrize("text", [FAMILY, FLAG, SKIN_TONE, "\u200c", "\u200f", "\u2028"])
    def test_format_characters_that_carry_meaning_are_kept(self, text):
        """ZWJ (emoji sequences), ZWNJ, RTL marks and LINE SEPARATOR are not controls."""
        assert canonical_text(f"a{text}b") == f"a{text}b"

    @pytest.mark.parametrize("name", sorted(SAMPLES))
    def test_canonical_samples_are_only_composed(self, name):
        """Text without CR or controls comes back as its NFC form."""
        text = SAMPLES[name]
        assert canonical_text(text) == unicodedata.normalize("NFC", text)

    def test_control_between_letter_and_mark_does_not_block_composition(self):
        """Controls are removed before composing, so the result is still NFC."""
        assert canonical_text("e\x00\u0301") == "é"

    def test_empty_text(self):
        """The empty string stays empty."""
        assert canonical_text("") == ""

    @given(texts)
    @example("\r\n\r")
    @example(f"\ufeff{COMBINING}\x00\r")
    def test_output_keeps_the_contract(self, raw):
        """Whatever comes in: NFC, no CR, no control but "\\n"/"\\t", no BOM."""
        text = canonical_text(raw)
        assert "\r" not in text
        assert "\ufeff" not in text
        assert unicodedata.is_normalized("NFC", text)
        assert all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in text)

    @given(texts)
    def test_is_idempotent(self, raw):
        """Canonicalising twice changes nothing: stored bodies are stable."""
        once = canonical_text(raw)
        assert canonical_text(once) == once

    @given(st.text(st.characters(exclude_categories=())))
    @example("\ud800 lone")
    @example("one\r\ntwo\rthree")
    @example("a\u0085b\r\nc\ufeff")
    def test_the_shortcut_for_clean_text_changes_no_result(self, raw):
        """Text with nothing to clean skips the cleaning passes: every text, lone
        surrogates included, comes out as all four passes make it."""
        text = raw.replace("\r\n", "\n").replace("\r", "\n")
        text = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]", "", text)
        text = re.sub("[\ud800-\udfff]", "\ufffd", text)
        assert canonical_text(raw) == unicodedata.normalize("NFC", text)

    @given(st.text(st.characters(exclude_categories=["Cc", "Cs"]).filter(lambda c: c != "\ufeff")))
    def test_only_normalisation_touches_clean_text(self, raw):
        """Text with no CR, control or BOM only goes through NFC."""
        assert canonical_text(raw) == unicodedata.normalize("NFC", raw)


# --- check_span -----------------------------------------------------------------------


class TestCheckSpan:
    TEXT = f"Kirby said {EMOJI} “talks are advancing”.\nMoscow denied it."

    def test_valid_span_passes(self):
        """A non-empty span inside the text, with or without its quote, is accepted."""
        start = self.TEXT.index("talks")
        end = start + len("talks are advancing")
        assert check_span(self.TEXT, start, end) is None
        assert check_span(self.TEXT, start, end, "talks are advancing") is None

    def test_whole_text_is_a_valid_span(self):
        """[0, len(text)) is the largest span."""
        check_span(self.TEXT, 0, len(self.TEXT), self.TEXT)

    @pytest.mark.parametrize(
        "start, end",
        [
            (True, 3),
            (0, True),
            (False, 3),
            (1.0, 3),
            (0, 2.5),
            ("1", 3),
            (0, "3"),
            (None, 3),
            (0, None),
        ],
    )
    def test_offsets_must_be_integers(self, start, end):
        """Booleans, floats, strings and None are refused, even where they would "work"."""
        with pytest.raises(SpanError, match=r"^Span offsets must be whole numbers\.$"):
            check_span(self.TEXT, start, end)

    def test_negative_start(self):
        """A span cannot start before the text."""
        with pytest.raises(SpanError) as info:
            check_span(self.TEXT, -1, 4)
        assert str(info.value) == "The span starts before the text (start=-1)."

    def test_end_after_text(self):
        """A span cannot end after the text; the message gives the text's length."""
        n = len(self.TEXT)
        with pytest.raises(SpanError) as info:
            check_span(self.TEXT, 0, n + 1)
        assert str(info.value) == (
            f"The span ends after the text (end={n + 1}, the text has {n} characters)."
        )

    def test_start_is_checked_before_end(self):
        """When both offsets are out of range, the start is reported."""
        with pytest.raises(SpanError, match="starts before the text"):
            check_span(self.TEXT, -5, 10_000)

    @pytest.mark.parametrize("start, end", [(3, 3), (5, 2), (0, 0)])
    def test_empty_or_reversed_span(self, start, end):
        """end must be greater than start."""
        with pytest.raises(SpanError) as info:
            check_span(self.TEXT, start, end)
        assert str(info.value) == f"The span is empty (start={start}, end={end})."

    def test_empty_text_has_no_span(self):
        """Nothing can be marked in an empty text."""
        with pytest.raises(SpanError, match="ends after the text"):
            check_span("", 0, 1)
        with pytest.raises(SpanError, match="is empty"):
            check_span("", 0, 0)

    def test_quote_mismatch(self):
        """A quote that is not exactly the text at the offsets is refused."""
        with pytest.raises(SpanError) as info:
            check_span(self.TEXT, 0, 5, "Kirbi")
        assert str(info.value) == (
            "The selected text does not match the article at those offsets; "
            "reload the page and select it again."
        )

    def test_quote_counted_in_utf16_does_not_match(self):
        """Offsets computed in UTF-16 units land one character late after an emoji."""
        start = self.TEXT.index("talks")
        utf16_start = codepoint_to_utf16(self.TEXT, start)
        assert utf16_start == start + 1
        with pytest.raises(SpanError, match="does not match"):
            check_span(self.TEXT, utf16_start, utf16_start + 5, "talks")

    def test_quote_must_match_exactly_not_after_normalisation(self):
        """A decomposed quote does not match a composed body."""
        text = "Café au lait"
        with pytest.raises(SpanError, match="does not match"):
            check_span(text, 0, 4, f"Caf{COMBINING}")

    @pytest.mark.parametrize("blank", [" ", "\n", "\t \n", NBSP, f" {NBSP} "])
    def test_white_space_only(self, blank):
        """A span of only white space (NBSP included) marks nothing."""
        text = f"a{blank}b"
        with pytest.raises(SpanError) as info:
            check_span(text, 1, 1 + len(blank), blank)
        assert str(info.value) == "The span covers only white space."

    def test_white_space_around_words_is_allowed(self):
        """Leading or trailing white space inside a span with words is fine."""
        check_span(" word ", 0, 6, " word ")

    @pytest.mark.parametrize("piece", [EMOJI, FAMILY, FLAG, COMBINING, CJK, ARABIC, HEBREW, MATH])
    def test_spans_over_wide_characters(self, piece):
        """Spans count code points: an emoji, a ZWJ family or RTL text is its len()."""
        text = f"<{piece}>"
        check_span(text, 1, 1 + len(piece), piece)

    @given(text_and_span())
    def test_any_span_with_its_own_quote_passes(self, case):
        """Every non-blank span matches its own quote."""
        text, start, end = case
        assume(text[start:end].strip())
        check_span(text, start, end, text[start:end])

    @given(text_and_span(), st.text(max_size=5))
    def test_any_other_quote_fails(self, case, other):
        """A quote different from body[start:end] is always refused."""
        text, start, end = case
        assume(other != text[start:end])
        with pytest.raises(SpanError):
            check_span(text, start, end, other)

    @given(texts, st.integers(-5, 70), st.integers(-5, 70))
    def test_never_raises_anything_but_span_error(self, text, start, end):
        """Any integers either pass or raise SpanError: nothing else escapes."""
        try:
            check_span(text, start, end)
        except SpanError:
            valid = 0 <= start < end <= len(text) and text[start:end].strip() != ""
            assert not valid
        else:
            assert 0 <= start < end <= len(text)


# --- quote_selector -------------------------------------------------------------------


class TestQuoteSelector:
    def test_middle_of_text(self):
        """prefix and suffix are up to 32 code points either side of the quote."""
        text = "x" * 40 + "QUOTE" + "y" * 40
        selector = quote_selector(text, 40, 45)
        assert selector == TextQuote(prefix="x" * 32, exact="QUOTE", suffix="y" * 32)
        assert CONTEXT_WIDTH == 32

    def test_at_the_edges(self):
        """At the start of the text there is no prefix; at the end, no suffix."""
        text = "Hello world"
        assert quote_selector(text, 0, 5) == TextQuote("", "Hello", " world")
        assert quote_selector(text, 6, 11) == TextQuote("Hello ", "world", "")

    def test_custom_width(self):
        """The context width can be chosen."""
        assert quote_selector("abcdefgh", 3, 5, width=2) == TextQuote("bc", "de", "fg")

    def test_counts_code_points(self):
        """Context is cut in code points: an emoji counts as one, never half."""
        text = EMOJI * 40 + "!" + EMOJI * 40
        selector = quote_selector(text, 40, 41)
        assert selector.prefix == EMOJI * 32
        assert selector.suffix == EMOJI * 32

    def test_named_fields(self):
        """The selector is a named tuple with the W3C names."""
        selector = quote_selector("abc", 1, 2)
        assert (selector.prefix, selector.exact, selector.suffix) == ("a", "b", "c")

    @given(text_and_span(), st.integers(0, 40))
    def test_pieces_are_contiguous_text(self, case, width):
        """prefix + exact + suffix is the text around the span, within the width."""
        text, start, end = case
        prefix, exact, suffix = quote_selector(text, start, end, width=width)
        assert exact == text[start:end]
        assert len(prefix) == min(width, start)
        assert len(suffix) == min(width, len(text) - end)
        assert text[start - len(prefix) : end + len(suffix)] == prefix + exact + suffix


# --- find_quote -----------------------------------------------------------------------


class TestFindQuote:
    def test_unique_quote(self):
        """A quote that occurs once is found where it is."""
        assert find_quote("The bridge is safe.", "bridge") == (4, 10)

    def test_absent_quote(self):
        """A quote no longer in the text gives None."""
        assert find_quote("The bridge is safe.", "tunnel") is None

    def test_empty_quote(self):
        """An empty quote is never found."""
        assert find_quote("anything", "") is None

    def test_re_anchors_after_text_inserted_before(self):
        """A span moves with its text when words are added before it."""
        old = "Kirby said the talks are advancing."
        start = old.index("talks")
        prefix, exact, suffix = quote_selector(old, start, start + 5)
        new = "On Wednesday, " + old
        found = find_quote(new, exact, prefix, suffix, near=start)
        assert found == (start + 14, start + 19)
        assert new[found[0] : found[1]] == "talks"

    def test_re_anchors_after_text_removed_before(self):
        """A span moves back when text before it is deleted."""
        old = "Yesterday, in Kyiv, Kirby said the talks are advancing."
        start = old.index("talks")
        prefix, exact, suffix = quote_selector(old, start, start + 5)
        new = old.replace("Yesterday, in Kyiv, ", "")
        assert find_quote(new, exact, prefix, suffix, near=start) == (
            new.index("talks"),
            new.index("talks") + 5,
        )

    def test_re_anchors_across_emoji_and_crlf_cleanup(self):
        """Re-anchoring works on code points, across emoji and normalised line ends."""
        old = canonical_text(f"{FAMILY} news\r\nThe minister {EMOJI} said yes.")
        start = old.index("said")
        prefix, exact, suffix = quote_selector(old, start, start + 4)
        new = canonical_text(f"{FLAG} {FAMILY} news\r\n\r\nThe minister {EMOJI} said yes.")
        s, e = find_quote(new, exact, prefix, suffix, near=start)
        assert new[s:e] == "said"
        assert s == new.index("said")

    def test_prefers_the_occurrence_whose_context_matches(self):
        """Of two equal quotes, the one with the stored prefix/suffix wins, even far away."""
        text = "He said no. Later, the minister said no. Then nothing."
        second = text.index("said", 10)
        prefix, exact, suffix = quote_selector(text, second, second + 7)
        assert exact == "said no"
        assert find_quote(text, exact, prefix, suffix, near=0) == (second, second + 7)

    def test_suffix_alone_can_decide(self):
        """The suffix counts as well as the prefix."""
        text = "yes sir, yes ma'am"
        assert find_quote(text, "yes", suffix=" ma'am") == (9, 12)
        assert find_quote(text, "yes", suffix=" sir") == (0, 3)

    def test_more_matching_context_beats_nearer(self):
        """A longer context match wins over a nearer position."""
        text = "A: the cat sat. B: the cat ran."
        cat_a = text.index("cat")
        cat_b = text.index("cat", cat_a + 1)
        assert find_quote(text, "cat", prefix="B: the ", near=cat_a) == (cat_b, cat_b + 3)

    def test_ties_go_to_the_nearest(self):
        """With equal context, the occurrence nearest `near` is chosen."""
        text = "no. no. no. no."
        assert find_quote(text, "no", near=9) == (8, 10)
        assert find_quote(text, "no", near=5) == (4, 6)

    def test_equal_distance_goes_to_the_earlier(self):
        """Two occurrences at the same distance: the earlier one."""
        text = "ab--ab"
        assert find_quote(text, "ab", near=2) == (0, 2)

    def test_without_near_the_first_best_wins(self):
        """Without a position hint, the first of the best-scoring occurrences is chosen."""
        assert find_quote("no. no. no.", "no") == (0, 2)

    def test_overlapping_occurrences_are_considered(self):
        """ "aa" in "aaaa" can start at 0, 1 or 2."""
        assert find_quote("aaaa", "aa", near=2) == (2, 4)
        assert find_quote("aaaa", "aa", prefix="a") == (1, 3)

    @given(text_and_span(texts))
    def test_finds_the_span_it_was_taken_from(self, case):
        """A quote with its own context and position is found exactly where it was."""
        text, start, end = case
        prefix, exact, suffix = quote_selector(text, start, end)
        assert find_quote(text, exact, prefix, suffix, near=start) == (start, end)

    @given(text_and_span(tricky_text), tricky_text, st.integers(0, 10_000))
    @example(("😀😀", 0, 1), "😀", 0)  # a short prefix also matches the inserted copy
    def test_re_anchors_after_an_insertion(self, case, inserted, position):
        """After text is inserted anywhere, the quote is found again; when its quote and
        context occur only once, exactly where the original moved to."""
        text, start, end = case
        prefix, exact, suffix = quote_selector(text, start, end)
        at = position % (len(text) + 1)
        assume(not (start < at < end))  # an insertion inside the quote changes the quote
        new = text[:at] + inserted + text[at:]
        moved = start + len(inserted) if at <= start else start
        found = find_quote(new, exact, prefix, suffix, near=start)
        assert found is not None
        assert new[found[0] : found[1]] == exact
        context_untouched = at <= start - len(prefix) or at >= end + len(suffix)
        if context_untouched and occurrences(new, prefix + exact + suffix) == 1:
            assert found == (moved, moved + len(exact))


# --- UTF-16 <-> code points -----------------------------------------------------------


class TestUtf16:
    @pytest.mark.parametrize(
        "text, code_points, units",
        [
            ("abc", 3, 3),
            (EMOJI, 1, 2),
            (FAMILY, 5, 8),
            (FLAG, 2, 4),
            (SKIN_TONE, 2, 4),
            (COMBINING, 2, 2),
            ("é", 1, 1),
            (CJK, 4, 4),
            (ARABIC, len(ARABIC), len(ARABIC)),
            (HEBREW, len(HEBREW), len(HEBREW)),
            (NBSP, 1, 1),
            (MATH, 3, 6),
            ("", 0, 0),
        ],
    )
    def test_lengths(self, text, code_points, units):
        """Astral characters are two UTF-16 units; everything in the BMP is one."""
        assert len(text) == code_points
        assert utf16_length(text) == units == utf16_units(text)

    def test_offsets_around_a_zwj_family(self):
        """Every code-point boundary in "a👩‍👩‍👧b" maps to the browser's offset."""
        text = f"a{FAMILY}b"
        assert [codepoint_to_utf16(text, i) for i in range(len(text) + 1)] == [
            0,
            1,
            3,
            4,
            6,
            7,
            9,
            10,
        ]
        assert [utf16_to_codepoint(text, u) for u in (0, 1, 3, 4, 6, 7, 9, 10)] == list(
            range(len(text) + 1)
        )

    def test_offsets_after_a_flag(self):
        """A flag is two regional indicators, four units."""
        text = f"{FLAG} Paris"
        assert codepoint_to_utf16(text, 3) == 5
        assert utf16_to_codepoint(text, 5) == 3
        assert text[3:] == "Paris"

    @pytest.mark.parametrize("piece", [COMBINING, CJK, ARABIC, HEBREW, NBSP, "\n\t"])
    def test_bmp_text_is_one_to_one(self, piece):
        """Combining marks, CJK, RTL scripts and NBSP: offsets are the same in both units."""
        text = f"x{piece}y"
        for i in range(len(text) + 1):
            assert codepoint_to_utf16(text, i) == i
            assert utf16_to_codepoint(text, i) == i

    @pytest.mark.parametrize(
        "text, offset",
        [
            (EMOJI, 1),
            (f"a{EMOJI}b", 2),
            (FAMILY, 1),
            (FAMILY, 4),
            (FAMILY, 7),
            (FLAG, 1),
            (FLAG, 3),
        ],
    )
    def test_offset_inside_a_surrogate_pair_raises(self, text, offset):
        """A UTF-16 offset between the two halves of a pair is not a character boundary."""
        with pytest.raises(SpanError) as info:
            utf16_to_codepoint(text, offset)
        assert str(info.value) == f"UTF-16 offset {offset} falls inside a surrogate pair."

    def test_negative_utf16_offset_raises(self):
        """A negative UTF-16 offset is refused."""
        with pytest.raises(SpanError) as info:
            utf16_to_codepoint("abc", -1)
        assert str(info.value) == "UTF-16 offset -1 is negative."

    def test_utf16_offset_past_the_end_raises(self):
        """An offset after the last unit is refused, and says how long the text is."""
        with pytest.raises(SpanError) as info:
            utf16_to_codepoint(f"a{EMOJI}", 4)
        assert str(info.value) == "UTF-16 offset 4 is past the end of the text (3 units)."

    def test_utf16_offset_into_empty_text(self):
        """The only offset into "" is 0."""
        assert utf16_to_codepoint("", 0) == 0
        with pytest.raises(SpanError, match="past the end"):
            utf16_to_codepoint("", 1)

    @pytest.mark.parametrize("offset", [-1, 4])
    def test_code_point_offset_outside_the_text_raises(self, offset):
        """codepoint_to_utf16 accepts 0..len(text) only."""
        with pytest.raises(SpanError) as info:
            codepoint_to_utf16("abc", offset)
        assert str(info.value) == f"Offset {offset} is outside the text (0..3)."

    @given(texts)
    @example(SAMPLES["everything"])
    def test_length_matches_the_browser(self, text):
        """utf16_length is what String.length would say."""
        assert utf16_length(text) == utf16_units(text)

    @given(texts, st.data())
    def test_round_trip_from_code_points(self, text, data):
        """code point -> UTF-16 -> code point gives back the same offset."""
        i = data.draw(st.integers(0, len(text)))
        units = codepoint_to_utf16(text, i)
        assert units == utf16_units(text[:i])
        assert utf16_to_codepoint(text, units) == i

    @given(texts)
    def test_every_utf16_offset_either_converts_or_is_inside_a_pair(self, text):
        """Offsets on a character boundary round-trip; the others raise, none is missed."""
        boundaries = {codepoint_to_utf16(text, i) for i in range(len(text) + 1)}
        for units in range(utf16_units(text) + 1):
            if units in boundaries:
                assert codepoint_to_utf16(text, utf16_to_codepoint(text, units)) == units
            else:
                with pytest.raises(SpanError, match="inside a surrogate pair"):
                    utf16_to_codepoint(text, units)

    @given(text_and_span())
    def test_a_browser_selection_converts_to_the_same_text(self, case):
        """What String.slice gives for UTF-16 offsets is body[start:end] after converting."""
        text, start, end = case
        u_start, u_end = codepoint_to_utf16(text, start), codepoint_to_utf16(text, end)
        browser_quote = js_slice(text, u_start, u_end)
        s, e = utf16_to_codepoint(text, u_start), utf16_to_codepoint(text, u_end)
        assert (s, e) == (start, end)
        assert text[s:e] == browser_quote

    @given(astral_text, st.data())
    def test_text_beyond_the_bmp_is_two_units_a_character(self, text, data):
        """In text made only of astral characters, odd offsets are always inside a pair."""
        units = data.draw(st.integers(0, 2 * len(text)))
        if units % 2:
            with pytest.raises(SpanError):
                utf16_to_codepoint(text, units)
        else:
            assert utf16_to_codepoint(text, units) == units // 2


# --- span_segments --------------------------------------------------------------------


class TestSpanSegments:
    def test_no_spans_is_one_plain_segment(self):
        """Without spans, the text is one segment with no ids."""
        assert span_segments(10, []) == [Segment(0, 10, ())]

    def test_empty_text_has_no_segments(self):
        """A zero-length text has nothing to show."""
        assert span_segments(0, []) == []

    def test_one_span_in_the_middle(self):
        """A span cuts the text into before, inside and after."""
        assert span_segments(10, [("a", 3, 6)]) == [
            Segment(0, 3, ()),
            Segment(3, 6, ("a",)),
            Segment(6, 10, ()),
        ]

    def test_span_over_the_whole_text(self):
        """A span from 0 to the end is one segment."""
        assert span_segments(5, [(1, 0, 5)]) == [Segment(0, 5, (1,))]

    def test_overlapping_spans(self):
        """Overlaps get their own segment listing both ids, the earlier span first."""
        assert span_segments(10, [("b", 4, 8), ("a", 2, 6)]) == [
            Segment(0, 2, ()),
            Segment(2, 4, ("a",)),
            Segment(4, 6, ("a", "b")),
            Segment(6, 8, ("b",)),
            Segment(8, 10, ()),
        ]

    def test_nested_spans_list_the_outer_first(self):
        """Same start: the longer span is outermost, so nested <mark>s open in order."""
        assert span_segments(10, [("inner", 0, 3), ("outer", 0, 8)]) == [
            Segment(0, 3, ("outer", "inner")),
            Segment(3, 8, ("outer",)),
            Segment(8, 10, ()),
        ]

    def test_identical_spans_are_ordered_by_id(self):
        """Two spans over the same text keep a stable order."""
        assert span_segments(4, [(2, 1, 3), (1, 1, 3)]) == [
            Segment(0, 1, ()),
            Segment(1, 3, (1, 2)),
            Segment(3, 4, ()),
        ]

    def test_adjacent_spans_do_not_bleed(self):
        """A span ending where the next starts shares no segment with it."""
        assert span_segments(6, [("a", 0, 3), ("b", 3, 6)]) == [
            Segment(0, 3, ("a",)),
            Segment(3, 6, ("b",)),
        ]

    def test_empty_and_reversed_spans_are_ignored(self):
        """A zero-width or reversed span marks nothing and leaves the others intact."""
        assert span_segments(10, [("empty", 3, 3), ("reversed", 6, 4), ("a", 5, 7)]) == [
            Segment(0, 5, ()),
            Segment(5, 7, ("a",)),
            Segment(7, 10, ()),
        ]

    def test_spans_are_clipped_to_the_text(self):
        """A span reaching past either end covers the part inside the text."""
        assert span_segments(5, [("a", -2, 2), ("b", 4, 9)]) == [
            Segment(0, 2, ("a",)),
            Segment(2, 4, ()),
            Segment(4, 5, ("b",)),
        ]

    @staticmethod
    def _spans(draw, length):
        count = draw(st.integers(0, 12))
        spans = []
        for span_id in range(count):
            start = draw(st.integers(0, length - 1))
            end = draw(st.integers(start + 1, length))
            spans.append((span_id, start, end))
        return spans

    @given(st.integers(1, 60), st.data())
    def test_segments_tile_the_text_and_list_exactly_the_covering_spans(self, length, data):
        """For random overlapping spans: segments are contiguous, non-empty, cover
        [0, length), each lists exactly the spans covering it (outermost first), and
        neighbours always differ."""
        spans = self._spans(data.draw, length)
        segments = span_segments(length, spans)
        assert segments[0].start == 0
        assert segments[-1].end == length
        for left, right in itertools.pairwise(segments):
            assert left.end == right.start
            assert set(left.span_ids) != set(right.span_ids)
        nesting = {span_id: (start, -end) for span_id, start, end in spans}
        for segment in segments:
            assert segment.start < segment.end
            covering = {i for i, s, e in spans if s <= segment.start and segment.end <= e}
            touching = {i for i, s, e in spans if s < segment.end and segment.start < e}
            assert set(segment.span_ids) == covering == touching
            keys = [nesting[i] for i in segment.span_ids]
            assert keys == sorted(keys)  # outermost (earlier start, then longer) first

    @given(tricky_text.filter(bool), st.data())
    def test_segment_texts_join_back_to_the_body(self, text, data):
        """Rendering each segment's text in order reproduces the body exactly (the
        reading pane's textContent equals body)."""
        spans = self._spans(data.draw, len(text))
        segments = span_segments(len(text), spans)
        assert "".join(text[s.start : s.end] for s in segments) == text
        for span_id, start, end in spans:
            marked = "".join(text[s.start : s.end] for s in segments if span_id in s.span_ids)
            assert marked == text[start:end]

    @settings(max_examples=25)
    @given(st.integers(1, 2000), st.data())
    def test_many_spans(self, length, data):
        """Hundreds of spans still tile the text (the review page's worst case)."""
        count = data.draw(st.integers(0, 300))
        starts = data.draw(st.lists(st.integers(0, length - 1), min_size=count, max_size=count))
        spans = [(i, s, min(length, s + 1 + (i * 7919) % 50)) for i, s in enumerate(starts)]
        segments = span_segments(length, spans)
        assert sum(s.end - s.start for s in segments) == length


def test_canonical_text_replaces_lone_surrogates_so_the_text_can_be_stored():
    """A lone surrogate (from a JSON "\\ud800" escape) becomes U+FFFD instead of breaking UTF-8."""
    text = canonical_text("before \ud800 after \udfff")
    assert text == "before \ufffd after \ufffd"
    text.encode("utf-8")  # would raise on a surrogate


@given(st.text(CHARS, max_size=60))
def test_utf16_index_agrees_with_codepoint_to_utf16_everywhere(text):
    """The exporters' fast Utf16Index gives what codepoint_to_utf16 gives at every offset."""
    from annotations.offsets import Utf16Index

    convert = Utf16Index(text + "😀👩‍👩‍👧 𠀋 x̂")
    full = text + "😀👩‍👩‍👧 𠀋 x̂"
    assert [convert(i) for i in range(len(full) + 1)] == [
        codepoint_to_utf16(full, i) for i in range(len(full) + 1)
    ]
