"""formats/_docbin.py writes spaCy's DocBin without spaCy (its tokens: formats/_spacy_tokens.py):
held here to spaCy's reading."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

spacy = pytest.importorskip("spacy")
from spacy import attrs as spacy_attrs  # noqa: E402
from spacy import symbols as spacy_symbols  # noqa: E402
from spacy.strings import get_string_id  # noqa: E402
from spacy.strings import hash_string as spacy_hash  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402

from annotations.exporters.formats import _docbin, _spacy_symbols, _spacy_tokens  # noqa: E402
from annotations.exporters.formats._docbin import DocBinWriter, Span  # noqa: E402

# Text full of what breaks offsets: CJK, emoji (skin tones, ZWJ sequences), combining
# marks, RTL, no-break and other white space.
TEXT = st.lists(
    st.sampled_from(
        [
            *"ab z,.’“”'-\n\t\u00a0\u2028東京ñ",
            "e\u0301",
            "न्यू",
            "😀",
            "👍🏽",
            "👨\u200d👩",
            "שלום",
            "\u200f",
            "  ",
        ]
    ),
    max_size=30,
).map("".join)


def load(data: bytes) -> list:
    return list(DocBin().from_bytes(data).get_docs(spacy.blank("xx").vocab))


def one_doc(text: str, spans=(), ents=(), user_data=None):
    writer = DocBinWriter()
    tokens = writer.tokenize(text)
    writer.add(tokens, spans, ents, user_data or {})
    (doc,) = load(writer.to_bytes())
    return doc, tokens


@given(st.text(max_size=40))
def test_the_hash_is_spacys(text):
    assert _spacy_tokens.hash_string(text) == spacy_hash(text)


def test_the_symbol_table_is_spacys():
    """_spacy_symbols.py is generated from spaCy: it must be the installed spaCy's table."""
    assert _spacy_symbols.SYMBOLS == spacy_symbols.IDS


@given(st.one_of(st.sampled_from(sorted(spacy_symbols.IDS)), st.text(max_size=20)))
def test_a_strings_id_is_the_one_spacys_string_store_gives(text):
    """A built-in symbol ("_", "root", "ORG"...) has its fixed id, not its hash."""
    assert _spacy_tokens.string_id(text) == get_string_id(text)


def test_words_and_labels_that_are_spacy_symbols_load_with_their_texts_and_spans():
    """A token, label or span id that is one of spaCy's symbols is written as its id: the
    bin loads (with hashes it raised KeyError E018) with the texts and spans given."""
    text = "_ root meta said X: ORG PERSON DATE NUM agent number det aux neg prep cc."
    writer = DocBinWriter()
    tokens = writer.tokenize(text)
    root = Span(2, 11, "root", "7001")  # "root meta"
    org = Span(20, 30, "ORG", "X")  # "ORG PERSON"
    placed = [(*tokens.char_span(s.start, s.end), s) for s in (root, org)]
    writer.add(tokens, placed, placed, {"article_id": 1})
    (doc,) = load(writer.to_bytes())
    assert doc.text == text
    assert [t.text for t in doc][:8] == ["_", "root", "meta", "said", "X", ":", "ORG", "PERSON"]
    assert [(s.text, s.label_, s.id_) for s in doc.spans["sc"]] == [
        ("root meta", "root", "7001"),
        ("ORG PERSON", "ORG", "X"),
    ]
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents] == [
        ("root meta", "root", "7001"),
        ("ORG PERSON", "ORG", "X"),
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(sorted(spacy_symbols.IDS)[1:]), min_size=1, max_size=12))
def test_any_text_of_spacy_symbols_loads(words):
    text = " ".join(words)
    doc, _ = one_doc(text)
    assert doc.text == text


def test_the_attribute_ids_are_spacys():
    assert (_docbin.ORTH, _docbin.ENT_IOB, _docbin.ENT_TYPE, _docbin.ENT_ID) == (
        spacy_attrs.ORTH,
        spacy_attrs.ENT_IOB,
        spacy_attrs.ENT_TYPE,
        spacy_attrs.ENT_ID,
    )


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_the_loaded_doc_has_the_text_exactly_and_tokens_where_we_said(text):
    doc, tokens = one_doc(text)
    assert doc.text == text
    assert [token.idx for token in doc] == tokens.starts[:-1].tolist()
    for index, token in enumerate(doc):
        assert len(token.text) == tokens.length(index)


@settings(max_examples=200, deadline=None)
@given(TEXT, st.integers(0, 60), st.integers(1, 60))
def test_char_span_agrees_with_spacys_strict_alignment(text, start, length):
    """Placed exactly where the loaded Doc's strict char_span would be, None where not."""
    doc, tokens = one_doc(text)
    end = start + length
    ours = tokens.char_span(start, end) if end <= len(text) else None
    theirs = doc.char_span(start, end, alignment_mode="strict") if end <= len(text) else None
    if theirs is None or not theirs.text:
        assert ours is None or text[start:end].isspace()
    else:
        assert ours == (theirs.start, theirs.end)


@settings(max_examples=200, deadline=None)
@given(TEXT, st.lists(st.tuples(st.integers(-2, 60), st.integers(-2, 60)), max_size=8))
def test_char_spans_places_each_span_as_spacy_does_all_at_once(text, offsets):
    """An article's spans are placed together: each where the loaded Doc's strict
    char_span puts it, None where that gives nothing, whatever the others are."""
    doc, tokens = one_doc(text)
    found = tokens.char_spans(offsets)
    assert len(found) == len(offsets)
    for (start, end), ours in zip(offsets, found, strict=True):
        theirs = None
        if 0 <= start < end <= len(text):
            theirs = doc.char_span(start, end, alignment_mode="strict")
        if theirs is None or not theirs.text:
            assert ours is None or text[start:end].isspace()
        else:
            assert ours == (theirs.start, theirs.end)


def test_marks_emoji_and_white_space_make_the_tokens_a_reader_expects():
    doc, _ = one_doc("Ana\u0301s  said: “no” 👨\u200d👩\u200d👧 ok👍🏽. न्यूज़\n\nx")
    assert [t.text for t in doc] == [
        "Ana\u0301s",
        " ",
        "said",
        ":",
        "“",
        "no",
        "”",
        "👨\u200d👩\u200d👧",
        "ok",
        "👍🏽",
        ".",
        "न्यूज़",
        "\n\n",
        "x",
    ]
    assert [t.whitespace_ for t in doc][:2] == [" ", ""]


def test_spans_ents_and_user_data_come_back_as_spacy_built_them():
    text = "Kirby said the talks are advancing, and Moscow denied it."
    claim = Span(11, 34, "claim", "7001")  # "the talks are advancing"
    denial = Span(40, 56, "denial", "7002")  # "Moscow denied it"
    writer = DocBinWriter()
    tokens = writer.tokenize(text)
    placed = [(*tokens.char_span(s.start, s.end), s) for s in (claim, denial)]
    writer.add(tokens, placed, placed[:1], {"article_id": 5, "misaligned_spans": []})
    (doc,) = load(writer.to_bytes())
    assert [(s.text, s.label_, s.id_) for s in doc.spans["sc"]] == [
        ("the talks are advancing", "claim", "7001"),
        ("Moscow denied it", "denial", "7002"),
    ]
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents] == [
        ("the talks are advancing", "claim", "7001")
    ]
    assert [t.ent_iob_ for t in doc[:4]] == ["O", "O", "B", "I"]
    assert doc.user_data == {"article_id": 5, "misaligned_spans": ()}


def test_a_span_inside_a_word_has_no_tokens():
    _, tokens = one_doc("the bridge is safe")
    assert tokens.char_span(5, 13) is None  # "ridge is"
    assert tokens.char_span(4, 13) == (1, 3)  # "bridge is"


def test_an_empty_bin_loads_as_no_docs():
    assert load(DocBinWriter().to_bytes()) == []


@given(st.text(alphabet=st.characters(exclude_categories=["Mn", "Mc", "Me"]), max_size=80))
def test_the_fast_path_for_text_without_marks_gives_the_same_tokens(text):
    text = _spacy_tokens.JOINERS.sub("", text)
    assert _spacy_tokens.PLAIN_TOKEN.findall(text) == _spacy_tokens.joining_token().findall(text)


def test_each_bin_has_every_string_it_uses_when_the_cache_is_trimmed(monkeypatch):
    """Runs are cached across bins, long ones (CJK without spaces) for one bin only, and
    the cache is trimmed between bins: every bin must still carry its own strings."""
    monkeypatch.setattr(_spacy_tokens, "CACHE_LIMIT", 3)
    tokenizer = _spacy_tokens.Tokenizer()
    long_run = "東京の会議で大臣は合意が近いと述べたが、モスクワはこれを否定した。" * 3
    texts = [f"{long_run} said Ana {n}, twice  over." for n in range(3)]
    for text in texts:
        writer = DocBinWriter(tokenizer)
        writer.add(writer.tokenize(text), [], [], {})
        (doc,) = load(writer.to_bytes())
        assert doc.text == text
        assert len(doc) > 5


@pytest.mark.parametrize(
    ("limit", "tokens", "text"),
    [(4, 1_000, "one two three four five six"), (1_000, 8, "1,2,3,4,5 6,7,8,9,0")],
)
def test_the_cache_is_forgotten_between_bins_past_its_runs_or_its_tokens(
    monkeypatch, limit, tokens, text
):
    """Past CACHE_LIMIT runs and words, or CACHE_TOKENS tokens in its runs, the next bin
    starts a new cache (memory stays bounded whatever the runs hold); below, it is kept."""
    monkeypatch.setattr(_spacy_tokens, "CACHE_LIMIT", limit)
    monkeypatch.setattr(_spacy_tokens, "CACHE_TOKENS", tokens)
    tokenizer = _spacy_tokens.Tokenizer()
    tokenizer.tokenize("one")
    tokenizer.start_bin()
    kept = tokenizer.runs
    assert "one" in kept
    tokenizer.tokenize(text)
    tokenizer.start_bin()
    assert tokenizer.runs is not kept and len(tokenizer.runs) == 0


def test_mark_planes_hold_every_combining_mark():
    import sys
    import unicodedata

    planes = set(_spacy_tokens.MARK_PLANES)
    outside = [
        code
        for code in range(sys.maxunicode + 1)
        if code not in planes and unicodedata.category(chr(code))[0] == "M"
    ]
    assert outside == []
