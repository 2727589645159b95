"""Bytes to text for imports, or a refusal a person can act on.

The text contract (DESIGN.md) says an article is never mojibake, so this module does not
guess freely: it trusts a byte-order mark, then strict UTF-8, then a charset the file
declares itself, and last Windows-1252, the one encoding undeclared non-UTF-8 news text
is nearly always in (Latin-1 files are Windows-1252 files without curly quotes), but only
when every byte is defined there, the result has no control characters, and nothing in
it looks like UTF-8 that was damaged (that would be mojibake). Anything else is refused
with where and why; no byte ever becomes a silent U+FFFD. Pure functions, no Django.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

# Checked longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

# A declaration is only looked for near the top, as browsers do (HTML's 1024-byte prescan).
_PRESCAN_BYTES = 4096
_DECLARATIONS = (
    re.compile(rb"""<meta[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE),
    re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE),
    re.compile(rb"""^content-type:[^\n]*?\bcharset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I | re.M),
)

# Pages that say Latin-1 or ASCII are really windows-1252 (the WHATWG Encoding Standard
# maps these labels so); decoding them as Latin-1 would turn curly quotes into C1 control
# characters, which the canonical text then deletes without a word.
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "cp819": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
}

# Text has few control characters besides tab and line breaks; a file with many is not text.
_TEXT_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}
_MAX_CONTROL_SHARE = 0.05
_SAMPLE_CHARS = 20_000


class DecodingError(ValueError):
    """The file cannot be turned into text without guessing; the message says why."""


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str  # what was used, for the import metadata
    how: str  # "byte-order mark", "UTF-8", "declared charset" or "undeclared Windows-1252"


def decode_bytes(data: bytes, *, header_charset: str | None = None) -> DecodedText:
    """Decode an uploaded or scanned file, or raise DecodingError.

    Order: byte-order mark (UTF-8/16/32), strict UTF-8, a charset the file declares
    (`<meta charset>`, `<?xml encoding>`, a Content-Type line), then Windows-1252 when the
    bytes decode to clean text in it (see cp1252_if_clean). `header_charset`: what the
    HTTP answer's Content-Type said, which comes before the file's own declaration.
    """
    if not data:
        raise DecodingError("The file is empty.")

    for bom, encoding, family in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise DecodingError(
                    f"The file starts with a {family} byte-order mark but is not valid {family} "
                    f"(bad bytes at position {error.start + len(bom)})."
                ) from None
            _refuse_binary_text(text)
            return DecodedText(text, encoding, "byte-order mark")

    if b"\x00" in data:
        raise DecodingError(
            f"The file looks binary: it contains NUL bytes (first at byte {data.index(0)}). "
            "Only text files can be imported."
        )

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        declared = (header_charset or "").strip().lower() or declared_charset(data)
        if declared is None:
            _refuse_binary_bytes(data)
            text = cp1252_if_clean(data)
            if text is not None:
                return DecodedText(text, "cp1252", "undeclared Windows-1252")
            raise DecodingError(
                f"The file is not valid UTF-8 ({_where(data, utf8_error.start)}: byte "
                f"0x{data[utf8_error.start]:02X}) and does not declare its character set. "
                "Save it as UTF-8 and import it again."
            ) from None
        text = _decode_declared(data, declared)
        _refuse_binary_text(text)
        return DecodedText(text, _python_name(declared), "declared charset")

    # Valid UTF-8 wins over a declaration: scrapers often re-save pages as UTF-8 but keep
    # the original <meta charset>, and non-ASCII bytes that happen to form valid UTF-8 are
    # almost never another encoding.
    _refuse_binary_text(text)
    return DecodedText(text, "utf-8", "UTF-8")


# A multi-byte UTF-8 sequence: in a file that is not valid UTF-8 as a whole, one of these
# means UTF-8 that was cut or mixed with another encoding, and Windows-1252 would turn it
# into mojibake ("cafÃ©"), so such a file is refused instead.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# What Windows-1252 text has no business holding: controls but tab and line breaks.
_UNTEXTLIKE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


class NotCleanCp1252(ValueError):
    """Why bytes are not clean Windows-1252: `position`, the offset of the first byte at
    fault, and `what`, words for it ("byte 0x81, not in Windows-1252")."""

    def __init__(self, position: int, what: str):
        super().__init__(f"{what} at byte {position}")
        self.position, self.what = position, what


def cp1252_if_clean(data: bytes) -> str | None:
    """The bytes as Windows-1252 when that reads as clean text, else None."""
    try:
        return clean_cp1252(data)
    except NotCleanCp1252:
        return None


def clean_cp1252(data: bytes) -> str:
    """The bytes as Windows-1252, or NotCleanCp1252 when that does not read as clean text.

    Clean: every byte is defined in Windows-1252 (0x81, 0x8D, 0x8F, 0x90 and 0x9D are
    not), the text has no control characters but tab and line breaks, and no run of bytes
    is a valid multi-byte UTF-8 sequence (which would be damaged UTF-8, not 1252).
    """
    if match := _UTF8_SEQUENCE.search(data):
        shown = " ".join(f"0x{byte:02X}" for byte in match.group())
        raise NotCleanCp1252(match.start(), f"bytes {shown}, which are UTF-8")
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise NotCleanCp1252(error.start, f"byte 0x{byte:02X}, not in Windows-1252") from None
    if match := _UNTEXTLIKE.search(text):  # one byte a character: its offset is the byte's
        byte = ord(match.group())
        raise NotCleanCp1252(match.start(), f"byte 0x{byte:02X}, a control character")
    return text


def declared_charset(data: bytes) -> str | None:
    """The charset label a file declares near its top, as written (e.g. 'windows-1252')."""
    head = data[:_PRESCAN_BYTES]
    for pattern in _DECLARATIONS:
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii").strip().lower()
    return None


def _python_name(label: str) -> str:
    return _WHATWG_ALIASES.get(label, label)


def _decode_declared(data: bytes, label: str) -> str:
    name = _python_name(label)
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise DecodingError(
            f"The file declares the character set “{label}”, which is not one we know. "
            "Save it as UTF-8 and import it again."
        ) from None
    # Codecs such as rot13 or base64 are transforms, not text encodings.
    if not getattr(info, "_is_text_encoding", True) or info.name.startswith(("utf-16", "utf-32")):
        raise DecodingError(
            f"The file declares the character set “{label}”, but its bytes are not in it. "
            "Save it as UTF-8 and import it again."
        )
    try:
        return data.decode(info.name)
    except UnicodeDecodeError as error:
        raise DecodingError(
            f"The file declares the character set “{label}” but is not valid {label} "
            f"({_where(data, error.start)}: byte 0x{data[error.start]:02X}). "
            "Save it as UTF-8 and import it again."
        ) from None


def _where(data: bytes, position: int) -> str:
    line = data.count(b"\n", 0, position) + 1
    return f"line {line}, byte {position}"


def _refuse_binary_bytes(data: bytes) -> None:
    sample = data[:_SAMPLE_CHARS]
    controls = sum(1 for b in sample if (b < 0x20 and b not in b"\t\n\r\f\v") or b == 0x7F)
    if controls > len(sample) * _MAX_CONTROL_SHARE:
        raise DecodingError("The file looks binary, not text. Only text files can be imported.")


def _refuse_binary_text(text: str) -> None:
    sample = text[:_SAMPLE_CHARS]
    if "\x00" in sample:
        raise DecodingError(
            "The file looks binary: it contains NUL characters. Only text files can be imported."
        )
    controls = sum(
        1
        for ch in sample
        if ch not in _TEXT_CONTROLS and unicodedata.category(ch) in ("Cc", "Cn", "Co")
    )
    if controls > len(sample) * _MAX_CONTROL_SHARE:
        raise DecodingError("The file looks binary, not text. Only text files can be imported.")


_CHARSET_LINE = re.compile(
    r"""\s*<meta\s+(?:charset\s*=\s*["']?[\w.:-]+["']?|http-equiv\s*=\s*["']?content-type["']?"""
    r"""\s+content\s*=\s*["'][^"']*charset=[\w.:-]+["'])\s*/?>\s*""",
    re.IGNORECASE,
)


def is_charset_declaration(line: str) -> bool:
    """Is this line only a `<meta charset=...>` tag (as a text file's first line may be)?"""
    return bool(_CHARSET_LINE.fullmatch(line))
