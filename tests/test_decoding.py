"""Bytes to text for imports: never mojibake, never a guess, always a reason."""

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.importers.decoding import DecodingError, declared_charset, decode_bytes

TEXT = "Kirby said “the talks are advancing” — 東京 😀 café\u00a0!"


def test_utf8_decodes_as_is():
    """Plain UTF-8 comes back exactly, and says it was UTF-8."""
    decoded = decode_bytes(TEXT.encode("utf-8"))
    assert decoded.text == TEXT
    assert decoded.encoding == "utf-8"


@pytest.mark.parametrize(
    "bom, encoding",
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_mark_decides_and_is_removed(bom, encoding):
    """A byte-order mark picks the encoding (UTF-32 LE is not mistaken for UTF-16 LE) and
    is not part of the text."""
    decoded = decode_bytes(bom + TEXT.encode(encoding))
    assert decoded.text == TEXT
    assert decoded.encoding == encoding
    assert decoded.how == "byte-order mark"


def test_empty_file_is_refused():
    """An empty file is refused as empty."""
    with pytest.raises(DecodingError, match="The file is empty"):
        decode_bytes(b"")


def test_nul_bytes_mean_binary():
    """NUL bytes without a UTF-16/32 byte-order mark mean a binary file."""
    with pytest.raises(DecodingError, match="looks binary: it contains NUL bytes"):
        decode_bytes(b"PK\x03\x04\x14\x00\x00\x00")


def test_mostly_control_characters_mean_binary():
    """Bytes that are mostly control characters are not text, even without a NUL."""
    with pytest.raises(DecodingError, match="looks binary"):
        decode_bytes(bytes(range(1, 32)) * 20)


def test_utf16_mark_over_binary_is_refused():
    """A UTF-16 byte-order mark in front of binary junk does not make it text."""
    with pytest.raises(DecodingError, match="looks binary"):
        decode_bytes(codecs.BOM_UTF16_LE + ("ab\x00\x01\x02\x03" * 50).encode("utf-16-le"))


def test_invalid_utf16_after_mark_is_refused():
    """A byte-order mark followed by bytes that are not in that encoding is refused."""
    with pytest.raises(DecodingError, match="UTF-16 byte-order mark but is not valid UTF-16"):
        decode_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8a\x00")  # a lone high surrogate


def test_undeclared_latin1_that_decodes_cleanly_is_read_as_windows_1252():
    """Latin-1 / Windows-1252 bytes without a declaration are accepted when every byte
    reads as text in Windows-1252 (issue 9), and the result says so."""
    data = "first line\nLe café est fermé – “déjà”".encode("cp1252")
    decoded = decode_bytes(data)
    assert decoded.text == "first line\nLe café est fermé – “déjà”"
    assert decoded.encoding == "cp1252"
    assert decoded.how == "undeclared Windows-1252"


@pytest.mark.parametrize(
    "data",
    [
        # 0x81 is undefined in Windows-1252.
        b"first line\nLe caf\xe9 \x81 ferm\xe9",
        # Valid UTF-8 "é" beside a lone Latin-1 byte: damaged UTF-8, 1252 would be mojibake.
        "first line\nLe café ".encode() + b"ferm\xe9",
        # A C1-range control byte that 1252 does not define as a letter (0x8D).
        b"first line\nx\x8dy\xe9",
    ],
)
def test_undeclared_bytes_that_are_not_clean_windows_1252_are_refused(data):
    """Never a guess that yields mojibake or a silent U+FFFD: refused with where it broke."""
    with pytest.raises(DecodingError) as refused:
        decode_bytes(data)
    message = str(refused.value)
    assert "not valid UTF-8" in message
    assert "line 2" in message
    assert "does not declare its character set" in message


def test_declared_meta_charset_is_honoured():
    """A page that is not UTF-8 but declares its charset is decoded with it."""
    page = '<html><head><meta charset="windows-1252"></head><body>“Quoted” café</body></html>'
    decoded = decode_bytes(page.encode("cp1252"))
    assert "“Quoted” café" in decoded.text
    assert decoded.how == "declared charset"


def test_declared_latin1_is_read_as_windows_1252():
    """'iso-8859-1' pages are windows-1252 (as browsers read them): curly quotes survive
    instead of becoming control characters."""
    page = b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">\x93Hi\x94'
    assert decode_bytes(page).text.endswith("“Hi”")


def test_xml_declaration_is_honoured():
    """An XML declaration's encoding counts as a declaration."""
    data = '<?xml version="1.0" encoding="iso-8859-15"?><p>€ 5</p>'.encode("iso-8859-15")
    assert "€ 5" in decode_bytes(data).text


def test_unknown_declared_charset_is_refused():
    """A declared charset we do not know is refused, naming it."""
    with pytest.raises(DecodingError, match="“x-klingon”, which is not one we know"):
        decode_bytes(b'<meta charset="x-klingon">caf\xe9')


def test_text_transform_codecs_are_not_charsets():
    """'rot13' or 'base64' are codecs in Python, but not character sets."""
    with pytest.raises(DecodingError, match="“rot13”"):
        decode_bytes(b'<meta charset="rot13">caf\xe9')


def test_declared_charset_that_does_not_fit_is_refused():
    """A file that is not valid in the charset it declares is refused."""
    with pytest.raises(
        DecodingError, match="declares the character set “utf-8” but is not valid utf-8"
    ):
        decode_bytes(b'<meta charset="utf-8">caf\xe9')


def test_valid_utf8_wins_over_a_stale_declaration():
    """Scrapers re-save pages as UTF-8 and keep the old <meta>: valid UTF-8 is trusted."""
    page = '<meta charset="windows-1252">“Quoted”'
    decoded = decode_bytes(page.encode("utf-8"))
    assert decoded.text == page
    assert decoded.encoding == "utf-8"


def test_declared_charset_reads_only_the_top_of_the_file():
    """A declaration counts only near the top of the file, as browsers read it; the label
    is lower-cased."""
    assert declared_charset(b"<meta charset='Shift_JIS'>") == "shift_jis"
    assert declared_charset(b"x" * 5000 + b"<meta charset='koi8-r'>") is None


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co"))).filter(
        lambda text: text and not text.startswith("\ufeff")
    )
)
def test_any_utf8_text_round_trips(text):
    """Whatever text is saved as UTF-8 comes back identical (a leading U+FEFF is a BOM)."""
    assert decode_bytes(text.encode("utf-8")).text == text


@pytest.mark.parametrize(
    "line, expected",
    [
        ('<meta charset="windows-1252">', True),
        ("<META CHARSET=utf-8 />", True),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', True),
        ('<meta charset="utf-8"> Title on the same line', False),
        ("Title", False),
        ('<meta name="author" content="Jane">', False),
    ],
)
def test_a_charset_declaration_line_is_recognised(line, expected):
    """Such a line told the decoder the encoding; plain text then drops it (not a title)."""
    from annotations.importers.decoding import is_charset_declaration

    assert is_charset_declaration(line) is expected


def test_http_header_charset_comes_before_the_file_declaration():
    data = '<meta charset="koi8-r"><p>café</p>'.encode("cp1252")
    decoded = decode_bytes(data, header_charset="windows-1252")
    assert decoded.text == '<meta charset="koi8-r"><p>café</p>'
    assert decoded.encoding == "windows-1252"
