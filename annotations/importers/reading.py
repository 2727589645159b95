"""From a file's bytes (or a URL) to its records: size limit, archive, decoding, format.

The one call the importer needs before it stores anything: read_file() yields one
ReadFile per file it was given, or per member of a ZIP archive, each either refused as
a whole (`reason`) or with its records to come in chunks (`chunks`), lazily for formats
that parse as they go. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from . import archive, format_for, formats_for, html, plaintext
from .base import ImportFormat, ImportRefused, ParseResult
from .decoding import DecodingError, decode_bytes
from .fetch import FetchRefused, fetch_page
from .limits import file_size_problem

CHUNK = 1000


@dataclass(slots=True)
class ReadFile:
    """One file (or archive member) read: its records to come, or why it is refused."""

    name: str
    format: str = ""  # the ImportFormat's name
    encoding: str = ""  # the Python codec used
    how: str = ""  # how it was chosen (decoding.DecodedText.how)
    chunks: Iterable[ParseResult] = field(default_factory=list)
    reason: str = ""  # set when the file is refused as a whole
    skipped: bool = False  # an archive member of a kind we do not import
    # Read line by line from disk (streaming.py), rather than held whole in memory.
    streamed: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.reason)


def read_file(name: str, data: bytes, *, size: int = CHUNK) -> Iterator[ReadFile]:
    """Read one uploaded or scanned file; a ZIP archive yields one ReadFile per member.

    An archive refused as a whole (too many members, a name like "../x", a zip bomb)
    yields one refused ReadFile under the archive's name; a member found to lie about
    its size part-way yields a refused ReadFile under the archive's name after the
    members read before it (the caller that wants all or nothing stops on it).
    """
    if problem := file_size_problem(len(data)):
        yield ReadFile(name, reason=problem)
        return
    from . import datapackage  # it builds ReadFiles: imported here, not at module level

    if datapackage.is_datapackage(data):
        # Our data package export is one dataset, not a folder of files to read one by one.
        yield datapackage.read_package(name, data)
        return
    if archive.is_zip(data) or PurePosixPath(name).suffix.lower() == ".zip":
        yield from _read_archive(name, data, size=size)
        return
    yield read_text_file(name, data, size=size)


def read_text_file(
    name: str, data: bytes, *, size: int = CHUNK, header_charset: str | None = None
) -> ReadFile:
    """One file that is not an archive: decoded, its format chosen, parsing begun."""
    try:
        formats_for(name)  # by extension first: "image.png" is not "binary text"
        decoded = decode_bytes(data, header_charset=header_charset)
        fmt = format_for(name, decoded.text)
        chunks = _chunks(fmt, decoded.text, name=name, size=size)
    except (ImportRefused, DecodingError) as error:
        return ReadFile(name, reason=str(error))
    return ReadFile(
        name, format=fmt.name, encoding=decoded.encoding, how=decoded.how, chunks=chunks
    )


def read_url(url: str) -> ReadFile:
    """Fetch a page (fetch.py's rules) and read it as HTML, its source_url the final URL
    after redirects (a text/plain answer is read as plain text, with that URL too)."""
    try:
        page = fetch_page(url)
        decoded = decode_bytes(page.data, header_charset=page.charset)
        if page.content_type == "text/plain" and not html.sniff(decoded.text):
            result = plaintext.parse(decoded.text, name=PurePosixPath(page.url).name)
            for record in result.records:
                record.source_url = page.url
            fmt_name = plaintext.NAME
        else:
            result = html.parse(decoded.text, name=page.url, url=page.url)
            fmt_name = html.NAME
    except (FetchRefused, ImportRefused, DecodingError) as error:
        return ReadFile(url, reason=str(error))
    return ReadFile(
        page.url, format=fmt_name, encoding=decoded.encoding, how=decoded.how, chunks=[result]
    )


def _chunks(fmt: ImportFormat, text: str, *, name: str, size: int) -> Iterable[ParseResult]:
    """Lazily when the format can, else all at once (parsed here, so that a refusal comes
    before the caller opens its transaction)."""
    if fmt.parse_chunks is not None:
        return fmt.parse_chunks(text, name=name, size=size)
    return [fmt.parse(text, name=name)]


def _read_archive(name: str, data: bytes, *, size: int) -> Iterator[ReadFile]:
    try:
        for member in archive.iter_members(data):
            member_name = f"{name}/{member.name}"
            suffix = PurePosixPath(member.name).suffix.lower()
            if archive.is_zip(member.data) or suffix == ".zip":
                yield ReadFile(
                    member_name,
                    reason="Skipped: archives inside archives are not opened.",
                    skipped=True,
                )
                continue
            try:
                formats_for(member.name)
            except ImportRefused as error:
                yield ReadFile(member_name, reason=f"Skipped: {error}", skipped=True)
                continue
            yield read_text_file(member_name, member.data, size=size)
    except ImportRefused as error:
        yield ReadFile(name, reason=str(error))
