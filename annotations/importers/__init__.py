"""Import formats, behind one small registry: a new format is one new module.

Each format module provides FORMAT (an ImportFormat: name, extensions, sniff, parse).
For a file, the formats that accept its extension are tried in the order below and the
first whose sniff() says yes parses it, so specific shapes come before catch-alls: a
.json holding an array is a JSON array and one holding a line per article is JSONL; a
.txt that opens with <div>Title</div> is a scraped page, one that is a saved web page
HTML, any other plain text. (A CSV's delimiter is sniffed by the CSV format itself.)

ZIP archives are not a text format: reading.read_file() opens them and reads each
member through this registry.
"""

from __future__ import annotations

from pathlib import PurePath

from . import bulk_json, doccano, html, jsonl, labelstudio, plaintext, scraped, tabular, w3c
from .base import ImportFormat, ImportRefused

FORMATS: tuple[ImportFormat, ...] = (
    # Other tools' shapes, each recognised by its content, before the catch-alls they
    # would also pass for (a Label Studio or W3C array is a JSON array, a doccano line
    # has a "text"):
    w3c.FORMAT,
    labelstudio.FORMAT,
    doccano.FORMAT,
    bulk_json.FORMAT,
    jsonl.FORMAT,
    tabular.FORMAT,
    scraped.FORMAT,  # before HTML: its <div>Title</div> first line is never a whole page
    html.FORMAT,
    plaintext.FORMAT,
)
ARCHIVE_EXTENSIONS = (".zip",)


def accepted_extensions() -> list[str]:
    """Every extension an import takes (the text formats', and ZIP archives of them)."""
    return sorted({ext for fmt in FORMATS for ext in fmt.extensions} | set(ARCHIVE_EXTENSIONS))


def accepted_kinds() -> str:
    """The kinds of file we import, for a refusal: 'Factcheck JSONL (.jsonl), ...'."""
    labels = dict.fromkeys(fmt.label for fmt in FORMATS)
    return ", ".join([*labels, "ZIP archives of these (.zip)"])


def formats_for(name: str) -> list[ImportFormat]:
    """The text formats that accept this file name, or ImportRefused naming the accepted
    kinds. Checked before the file is read, so an image in a folder is refused for what
    it is."""
    extension = PurePath(name).suffix.lower()
    if extension in ARCHIVE_EXTENSIONS:
        raise ImportRefused(
            "A ZIP archive is opened member by member (importers.reading.read_file), "
            "not read as one text file."
        )
    candidates = [fmt for fmt in FORMATS if extension in fmt.extensions]
    if not candidates:
        shown = f"“{extension}” files" if extension else "files without an extension"
        raise ImportRefused(f"Cannot import {shown}; accepted: {', '.join(accepted_extensions())}.")
    return candidates


def format_for(name: str, text: str) -> ImportFormat:
    """The first format that accepts the file's extension and recognises its text."""
    for fmt in formats_for(name):
        if fmt.sniff(text):
            return fmt
    raise ImportRefused(f"The file does not match any import format; accepted: {accepted_kinds()}.")
