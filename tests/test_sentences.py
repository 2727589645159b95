"""Sentence and word boundaries (annotations/sentences.py): properties, then each rule."""

import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from annotations.importers import scraped
from annotations.sentences import (
    sentence_at,
    sentence_boundaries_attr,
    sentence_from,
    sentence_spans,
    sentences_covering,
    word_spans,
)

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_767f74c7ad0d4c0d.txt"

# Pieces that exercise every rule, mixed with arbitrary characters.
PIECES = [
    "Mr.", "Dr.", "U.S.", "e.g.", "i.e.", "Inc.", "No.", "Jan.", "J.", "R.", "3.5", "1.",
    "The", "the", "he", "She", "Then", "東京", "に", "שלום", "مرحبا", "café", "cafe\u0301",
    "don't", "l’État", "tit-for-tat", ".", "!", "?", "…", "...", "?!", "。", "！", "？",
    "”", "“", "’", "»", "«", ")", "(", "「", "」", '"', "'", " ", " ", " ", "\n", "\n\n",
    "\t", "\u00a0", "\u2028", "\r", "😀", "👨\u200d👩\u200d👧", "🇫🇷", "👍🏽", "\u200d",
    "\ufe0f", "\u200b", "\u0301", ",", ";", "-", "—", "A", "a", "1",
]  # fmt: skip
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=40).map("".join)


def sentences(text):
    return [text[start:end] for start, end in sentence_spans(text)]


def words(text):
    return [text[start:end] for start, end in word_spans(text)]


# --- properties --------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(texts)
@example("")
@example(" \n\t\u00a0 ")
def test_sentences_are_ordered_trimmed_nonempty_spans_inside_the_text(text):
    """Spans lie in the text, in order, without overlap, each non-empty and equal to its
    own strip(), and no sentence crosses a line break."""
    spans = sentence_spans(text)
    previous_end = 0
    for start, end in spans:
        assert 0 <= previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        assert len(piece.splitlines()) == 1
        previous_end = end


@settings(max_examples=400, deadline=None)
@given(texts)
def test_every_non_space_character_is_in_a_sentence(text):
    """Only white space is left out: every other character lies in exactly one sentence."""
    covered = [0] * len(text)
    for start, end in sentence_spans(text):
        for i in range(start, end):
            covered[i] += 1
    for i, ch in enumerate(text):
        assert covered[i] <= 1
        if not ch.isspace():
            assert covered[i] == 1, (i, ch)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_splitting_a_sentence_again_gives_it_back_on_nfc_text(text):
    """The rules are local: each sentence of an NFC text is one sentence on its own, and
    splitting twice gives the same spans."""
    text = unicodedata.normalize("NFC", text)
    spans = sentence_spans(text)
    assert sentence_spans(text) == spans
    for start, end in spans:
        assert sentence_spans(text[start:end]) == [(0, end - start)]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_words_are_ordered_spans_that_cover_every_letter_and_digit(text):
    """Words lie in the text in order, never start or end with white space, and every
    letter or digit is inside one."""
    spans = word_spans(text)
    previous_end = 0
    inside = set()
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        assert not any(ch.isspace() for ch in text[start:end])
        inside.update(range(start, end))
        previous_end = end
    assert all(i in inside for i, ch in enumerate(text) if ch.isalnum())


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(-2, 130))
def test_sentence_at_and_sentence_from_agree_with_a_linear_scan(text, offset):
    """sentence_at finds the span holding an offset; sentence_from the next one when the
    offset is between spans; sentences_covering the spans a range overlaps."""
    spans = sentence_spans(text)
    holding = [i for i, (s, e) in enumerate(spans) if s <= offset < e]
    assert sentence_at(spans, offset) == (holding[0] if holding else None)
    later = [i for i, (s, e) in enumerate(spans) if offset < e]
    assert sentence_from(spans, offset) == (later[0] if later else None)
    end = offset + 7
    assert list(sentences_covering(spans, offset, end)) == [
        i for i, (s, e) in enumerate(spans) if s < end and offset < e
    ]


@settings(max_examples=200, deadline=None)
@given(texts)
def test_boundaries_attribute_lists_the_spans_with_only_digits_commas_and_semicolons(text):
    """The data- attribute parses back to sentence_spans and needs no HTML escaping."""
    attr = sentence_boundaries_attr(text)
    assert set(attr) <= set("0123456789,;")
    parsed = [tuple(map(int, pair.split(","))) for pair in attr.split(";")] if attr else []
    assert parsed == sentence_spans(text)


# --- sentence rules ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\n", "\t \u00a0\n \u2028"])
def test_empty_and_white_space_texts_have_no_sentences(text):
    """An empty text, or one of only white space (NBSP, tabs, line breaks), has none."""
    assert sentence_spans(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("It rained. We left! Did we? Yes…", ["It rained.", "We left!", "Did we?", "Yes…"]),
        ("Wait... What?! No!!", ["Wait...", "What?!", "No!!"]),
        ("She left… Then she came back.", ["She left…", "Then she came back."]),
        ("She left… and came back.", ["She left… and came back."]),
    ],
)
def test_terminators_and_ellipses(text, expected):
    """. ! ? … and runs of them end a sentence; an ellipsis before a lower-case word doesn't."""
    assert sentences(text) == expected


def test_cjk_terminators_end_sentences_without_a_space():
    """。！？ end a sentence even when the next one follows with no space."""
    assert sentences("東京に行った。大丈夫！本当？はい") == [
        "東京に行った。",
        "大丈夫！",
        "本当？",
        "はい",
    ]
    assert sentences("他说：“我们会赢。”然后走了。") == ["他说：“我们会赢。”", "然后走了。"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("“We will win,” he said. “They lied.” Then he left.",
         ["“We will win,” he said.", "“They lied.”", "Then he left."]),
        ("He called it “a lie.” Nobody agreed.", ["He called it “a lie.”", "Nobody agreed."]),
        ("(See the report.) It is long.", ["(See the report.)", "It is long."]),
        ('"Really?" he asked. «Oui !» Ensuite.', ['"Really?" he asked.', "«Oui !»", "Ensuite."]),
    ],
)  # fmt: skip
def test_closing_quotes_and_brackets_belong_to_the_sentence(text, expected):
    """Quotes and brackets right after a terminator end that sentence, not the next."""
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Smith and Mrs. Jones met Dr. Brown.",
        "Gen. Milley spoke to Sen. Warren and Prof. Lee.",
        "He visited St. Petersburg and the U.S. Congress.",
        "Some fruit, e.g. Apples, and i.e. Pears, vs. Plums.",
        "It was filed as No. 5 on Jan. 12 at 10 a.m. local time.",
        "Smith Jr. said so.",
        "Acme Inc. and others.",
    ],
)
def test_abbreviations_do_not_end_sentences(text):
    """Titles, e.g./i.e./vs., "No. 5", "Jan. 12", "U.S. Congress", "Jr. said" stay whole."""
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("He lives in the U.S. The rest live in Canada.",
         ["He lives in the U.S.", "The rest live in Canada."]),
        ("They sold apples, pears, etc. But not plums.",
         ["They sold apples, pears, etc.", "But not plums."]),
        ("It was sold to Acme Inc. The price was secret.",
         ["It was sold to Acme Inc.", "The price was secret."]),
        ("We met at 10 a.m. He was late.", ["We met at 10 a.m.", "He was late."]),
    ],
)  # fmt: skip
def test_abbreviations_that_can_end_a_sentence_do_before_a_sentence_starter(text, expected):
    """U.S., etc., Inc., a.m. end a sentence when a typical sentence starter follows."""
    assert sentences(text) == expected


def test_decimals_initials_and_list_numbers_are_not_cut():
    """3.5, $1.2bn, J. R. R. Tolkien, John F. Kennedy and "1. Item" stay whole."""
    assert sentences("Growth was 3.5 percent, or $1.2bn. Fine.") == [
        "Growth was 3.5 percent, or $1.2bn.",
        "Fine.",
    ]
    assert sentences("J. R. R. Tolkien met John F. Kennedy.") == [
        "J. R. R. Tolkien met John F. Kennedy."
    ]
    assert sentences("1. Stop the war.\n2. Talk.") == ["1. Stop the war.", "2. Talk."]
    assert sentences("In 2019. 2020 was worse.") == ["In 2019.", "2020 was worse."]


def test_line_breaks_end_sentences_and_headings_need_no_period():
    """Every line break ends a sentence: a heading without a period is one, so is a line
    that stops mid-sentence."""
    text = "Arms Deal For Ukraine War\n\nThe talks went on\nfor hours. Then\n\nTyler Durden"
    assert sentences(text) == [
        "Arms Deal For Ukraine War",
        "The talks went on",
        "for hours.",
        "Then",
        "Tyler Durden",
    ]


def test_emoji_zwj_sequences_and_flags_stay_whole():
    """Emoji (ZWJ families, flags, skin tones) are never cut, and one right after a
    terminator belongs to that sentence."""
    family, flag, thumb = "👨\u200d👩\u200d👧", "🇫🇷", "👍🏽"
    text = f"We won! 🎉{flag} The {family} came. Great {thumb}. Bye."
    assert sentences(text) == [
        f"We won! 🎉{flag}",
        f"The {family} came.",
        f"Great {thumb}.",
        "Bye.",
    ]


def test_right_to_left_text_combining_accents_nbsp_and_tabs():
    """Hebrew and Arabic sentences split at their periods; combining accents, NBSP and
    tabs count like any character or space."""
    assert sentences("שלום עולם. مرحبا بالعالم. Fin.") == ["שלום עולם.", "مرحبا بالعالم.", "Fin."]
    assert sentences("Le cafe\u0301 est pre\u0301t.\u00a0Il fait\tbeau.") == [
        "Le cafe\u0301 est pre\u0301t.",
        "Il fait\tbeau.",
    ]
    assert sentences("\u00a0\tTrimmed.\u00a0\t") == ["Trimmed."]
    assert sentences("Mr.\u00a0Smith came.") == ["Mr.\u00a0Smith came."]


def test_no_cut_inside_tokens_or_before_lower_case_or_commas():
    """example.com, U.S.A, Yahoo!Mail are one token; a lower-case word or a comma after a
    terminator continues the sentence."""
    assert sentences("See example.com and the U.S.A today. Yahoo!Mail works.") == [
        "See example.com and the U.S.A today.",
        "Yahoo!Mail works.",
    ]
    assert sentences('"Why?" she asked. Then, "No!", he said.') == [
        '"Why?" she asked.',
        'Then, "No!", he said.',
    ]


def test_the_seed_article_splits_into_its_sentences():
    """The seed's body splits into twelve sentences that read right (checked by eye),
    one per sentence of each paragraph."""
    body = scraped.parse(SEED.read_text(encoding="utf-8")).records[0].body
    found = sentences(body)
    assert len(found) == 12
    assert found[0].startswith("The White House is again accusing Moscow")
    assert found[0].endswith("nuclear rhetoric.")
    assert found[2] == (
        "“We urge the DPRK to cease its arms negotiations with Russia and abide by the public "
        "commitments that Pyongyang has made to not provide or sell arms to Russia,” Kirby said."
    )
    assert found[5].startswith("Kirby referenced") and found[5].endswith("for more weapons.")
    assert found[6].endswith("sell artillery ammunition to Russia.”")
    assert found[-1].endswith("from the Kim Jong-Un government.")
    # Offsets are code points into the body: the slices are the sentences.
    spans = sentence_spans(body)
    assert [body[s:e] for s, e in spans] == found


# --- words ----------------------------------------------------------------------------------


def test_words_keep_apostrophes_hyphens_marks_and_numbers():
    """don't, l’État, tit-for-tat, Jong-Un, café (NFD), 3.5, 1,000 and 22:40 are one word
    each; dashes, emoji and punctuation are not words."""
    text = "I don't like l’État's tit-for-tat — Jong-Un's cafe\u0301: 3.5, 1,000 at 22:40 😀!"
    assert words(text) == [
        "I", "don't", "like", "l’État's", "tit-for-tat", "Jong-Un's", "cafe\u0301", "3.5",
        "1,000", "at", "22:40",
    ]  # fmt: skip


def test_words_in_other_scripts():
    """Persian keeps its ZWNJ, Devanagari its vowel signs, Hebrew and Arabic split at
    spaces; Japanese is cut where the script changes."""
    assert words("می\u200cخواهم हिन्दी שלום עולם مرحبا") == [
        "می\u200cخواهم",
        "हिन्दी",
        "שלום",
        "עולם",
        "مرحبا",
    ]
    assert words("東京に行った。カメラ") == ["東京", "に", "行", "った", "カメラ"]
    assert words("") == [] and words(" \u00a0\t\n") == []
