"""ZIP archives: their members, read in memory by name, never extracted to disk.

A member's name is only a name: it is never joined to a path, so "../../x" cannot write
anywhere. Such names are still refused by name, because an archive that holds them was
made to attack someone. Folders inside the archive are fine ("2024/march/a.html");
folder entries, hidden files (".DS_Store", "__MACOSX/") are passed over.

Limits (limits.zip_limits(), from settings): how many members, how many bytes they hold
decompressed in all, and how much larger than its compressed size one member may be.
The sizes an archive states are checked first, and each member is then read through a
capped stream, so an archive that lies about its sizes is stopped at the cap, not after
it filled memory.
"""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from . import limits
from .base import ImportRefused

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or an empty archive
_READ_BLOCK = 64 * 1024
# What a damaged archive makes zipfile and its decompressors raise, found by fuzzing
# (tests/test_import_zip.py): a negative seek, an unknown version, a broken stream.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    ValueError,
    NotImplementedError,
    OSError,
)
# Below this a member may compress as well as it likes (a page of repeated markup can
# shrink 200-fold); the ratio limit is for members that would fill memory.
_RATIO_FLOOR = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # as written in the archive, "/"-separated
    data: bytes


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def unsafe_name_problem(name: str) -> str | None:
    """Why a member's name is refused (absolute, or climbing out with ".."), or None."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return f"the archive member “{name}” has an absolute path"
    if ".." in PurePosixPath(normalised).parts:
        return f"the archive member “{name}” climbs out of the archive (“..”)"
    return None


def iter_members(data: bytes) -> Iterator[Member]:
    """Each file in the archive, in archive order, or ImportRefused for the whole archive.

    Every name and stated size is checked before the first member is read, so a bad
    archive is refused before anything of it is imported."""
    zip_limits = limits.zip_limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGED:
        raise ImportRefused("The file is not a ZIP archive that can be read.") from None
    with archive:
        entries = [info for info in archive.infolist() if not _skipped(info)]
        _check_listing(entries, zip_limits)
        total = 0
        for info in entries:
            budget = min(
                zip_limits.max_total_bytes - total,
                limits.max_file_bytes(),
                _allowed_size(info.compress_size, zip_limits),
            )
            content = _read_capped(archive, info, budget)
            total += len(content)
            yield Member(info.filename, content)


def _skipped(info: zipfile.ZipInfo) -> bool:
    """Folders and the hidden files that archivers add (macOS's __MACOSX/, .DS_Store)."""
    if info.is_dir():
        return True
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    return any((part.startswith(".") and part != "..") or part == "__MACOSX" for part in parts)


def _check_listing(entries: list[zipfile.ZipInfo], zip_limits: limits.ZipLimits) -> None:
    if len(entries) > zip_limits.max_members:
        raise ImportRefused(
            f"The archive holds {len(entries):,} files; at most {zip_limits.max_members:,} "
            "can be imported from one archive."
        )
    stated = 0
    for info in entries:
        if problem := unsafe_name_problem(info.filename):
            raise ImportRefused(f"The archive was refused: {problem}.")
        if info.flag_bits & 0x1:
            raise ImportRefused(f"The archive member “{info.filename}” is encrypted.")
        _check_ratio(info.filename, info.file_size, info.compress_size, zip_limits)
        if problem := limits.file_size_problem(info.file_size):
            raise ImportRefused(f"The archive member “{info.filename}”: {problem}")
        stated += info.file_size
    if stated > zip_limits.max_total_bytes:
        raise ImportRefused(_total_message(stated, zip_limits))


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, reading at most `budget` + 1 of them (the sizes in the archive
    can lie; the stream cannot)."""
    chunks, size = [], 0
    try:
        with archive.open(info) as stream:
            while block := stream.read(min(_READ_BLOCK, budget + 1 - size)):
                chunks.append(block)
                size += len(block)
                if size > budget:
                    raise ImportRefused(
                        f"The archive member “{info.filename}” decompresses to more than it "
                        "says (a “zip bomb”); the archive was refused."
                    )
    except _DAMAGED as error:
        raise ImportRefused(
            f"The archive member “{info.filename}” cannot be read ({error})."
        ) from None
    return b"".join(chunks)


def _allowed_size(compressed: int, zip_limits: limits.ZipLimits) -> int:
    return max(compressed * zip_limits.max_ratio, _RATIO_FLOOR)


def _check_ratio(name: str, size: int, compressed: int, zip_limits: limits.ZipLimits) -> None:
    if size > _allowed_size(compressed, zip_limits):
        raise ImportRefused(
            f"The archive member “{name}” would grow {size // max(compressed, 1):,} times "
            f"when decompressed (at most {zip_limits.max_ratio:,}): it looks like a “zip "
            "bomb”, so the archive was refused."
        )


def _total_message(total: int, zip_limits: limits.ZipLimits) -> str:
    return (
        f"The archive holds {limits.human_size(total)} once decompressed; at most "
        f"{limits.human_size(zip_limits.max_total_bytes)} can be imported from one archive."
    )
