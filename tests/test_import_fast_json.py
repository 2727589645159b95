"""JSON lines read by orjson (importers/fast_json.py) give exactly what json.loads gave:
the same records and the same refusals, and json.loads still reads what orjson cannot
(integers beyond 64 bits) as before, and refuses by name what orjson refuses and json.loads
accepts (NaN, a lone surrogate escape)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.importers import fast_json, jsonl
from annotations.importers.base import LineError

BODY = "Kirby said “the talks are advancing” on Wednesday. 😀 東京"


def outcome(read, line):
    """A record (its repr: 2**70 and 2.0**70 are equal, but not the same value kept), or
    the words of the refusal."""
    try:
        return repr(read(line))
    except LineError as error:
        return f"refused: {error}"


def exactly(line: str):
    return outcome(jsonl._read_exactly, line)


_numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),  # what orjson reads exactly
    st.integers(min_value=2**64, max_value=2**80),  # and beyond, either side
    st.integers(min_value=-(2**80), max_value=-(2**63) - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, st.text(max_size=20))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(["text", "body", "content"]),
    article_id=_values,
    extra=st.dictionaries(st.sampled_from(["score", "tags", "raw", "n"]), _values, max_size=3),
    # Mostly the span's true start (a line that imports), else a wrong one of any type.
    start=st.one_of(
        st.just(11), st.integers(min_value=-5, max_value=2**66), st.floats(), st.text(max_size=3)
    ),
    span_id=_values,
)
def test_a_line_reads_the_same_as_through_json_loads(key, article_id, extra, start, span_id):
    span = {"id": span_id, "start": start, "end": 36, "label": "claim"}
    line = json.dumps(
        {key: BODY, "title": "T", "id": article_id, **extra, "spans": [span]},
        ensure_ascii=False,
    )
    assert outcome(jsonl.parse_line, line) == exactly(line)
    utf8 = outcome(lambda raw: jsonl.parse_utf8_line(raw, bytes.decode), line.encode())
    assert utf8 == exactly(line)


def test_an_integer_beyond_64_bits_is_kept_exactly():
    big = 123456789012345678901234567890
    line = json.dumps({"id": big, "body": BODY, "count": -(2**64) - 1})
    assert fast_json.inexact(fast_json.loads(line))  # orjson alone would make floats of them
    record = jsonl.parse_line(line)
    assert record.metadata["original_id"] == big
    assert isinstance(record.metadata["original_id"], int)
    assert record.metadata["extra_fields"]["count"] == -(2**64) - 1


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        # json.loads reads NaN, which the database then refused with the whole file.
        ("NaN", "“note” is NaN, which is not valid JSON (write null for a missing number)"),
        # and keeps a lone surrogate, which canonical_text made U+FFFD without a word.
        (
            '"\\ud800x"',
            "“note” holds a lone surrogate escape (\\ud800), which is not a character",
        ),
    ],
)
def test_what_orjson_refuses_and_json_accepts_is_refused_by_name(value, refusal):
    line = '{"body": "' + BODY + '", "note": ' + value + "}"
    assert fast_json.loads(line) is None
    assert outcome(jsonl.parse_line, line) == f"refused: {refusal}"
    assert outcome(lambda raw: jsonl.parse_utf8_line(raw, bytes.decode), line.encode()) == (
        f"refused: {refusal}"
    )


@pytest.mark.parametrize(
    "line",
    [
        '{"text": "' + BODY + '", "spans": [{"start": 0, "end": 99999, "label": "claim"}]}',
        '{"text": "' + BODY + '",}',
        "[" * 70 + "]" * 70,
        '{"text": "a\x00b"}',
    ],
)
def test_a_refused_line_is_refused_in_the_same_words(line):
    assert outcome(jsonl.parse_line, line) == exactly(line)
    assert str(exactly(line)).startswith("refused: ")


def test_bytes_that_are_not_utf8_are_refused_by_the_decoder_given():
    def decode(raw: bytes) -> str:
        raise LineError("not UTF-8 (from the decoder)")

    raw = b'{"text": "caf\xe9"}'
    with pytest.raises(LineError, match="from the decoder"):
        jsonl.parse_utf8_line(raw, decode)
