"""Import formats, behind one small registry: a new format is one new module.

Each format module provides FORMAT (an ImportFormat: name, extensions, sniff, parse).
For a file, the formats that accept its extension are tried in the order below and the
first whose sniff() says yes parses it, so specific shapes come before catch-alls.
"""

from __future__ import annotations

from pathlib import PurePath

from . import jsonl, plaintext, scraped
from .base import ImportFormat, ImportRefused

FORMATS: tuple[ImportFormat, ...] = (jsonl.FORMAT, scraped.FORMAT, plaintext.FORMAT)


def accepted_extensions() -> list[str]:
    return sorted({ext for fmt in FORMATS for ext in fmt.extensions})


def formats_for(name: str) -> list[ImportFormat]:
    """The formats that accept this file name, or ImportRefused naming the accepted kinds.

    Checked before the file is read, so an image in a folder is refused for what it is.
    """
    extension = PurePath(name).suffix.lower()
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
    raise ImportRefused("The file does not match any import format.")
