"""Import files into the database: the one place the command and the import page call.

Each file is one transaction: a refused file stores nothing, the next file still imports.
Articles are identified by their text (Article.content_hash), so importing the same text
again is a no-op reported as "already present" (an article already here is left exactly
as it is, spans included: an import never merges into reviewed work). Writes are bulk
(articles, then spans, then their citations and links, then their history): a handful
of queries per thousand articles, none per row.

This module reads files and keeps their results; the storing is in file_store.py (one
file's records, chunk by chunk), rows.py (the writes and look-ups), bulk_insert.py (rows
into a table) and accounts.py (whom spans are attributed to).

What a span refers to is found by name, as the export names it:
- its label by slug and its verdict by (rating scale name, slug): an unknown one refuses
  the line, as does a verdict on a label that takes none;
- its speaker by name (importers/speakers.py): a new one is created with the file's
  details, one already here is used as it is;
- each cited source by its URL (services.sources.source_records_by_url): a URL already
  here is cited as it is stored. A span cites a URL once: a file naming it twice on one
  span (say with and without "www." in capitals) gives one citation with both passages,
  a differing stance written into the second as "[refutes] ...", as the data migration
  merged such twins;
- each link by the span it points at in the same line.

Unknown annotators: a span whose annotator has no account here is attributed to the
person importing (or, from the command line without --user, to the inactive account
accounts.FALLBACK_USERNAME), and the original name is kept in the article's import metadata
under "reassigned_spans". We never write it into the note: that is the reviewer's text.
A verdict given by someone with no account here is kept without its author (verdict_by
is empty) and the name is kept under "unattributed_verdicts".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import DataError, IntegrityError, connection, transaction

from . import foreign_keys
from .accounts import is_person
from .base import ImportRefused, ParseResult
from .file_store import DEFER_SEARCH_INDEX_FROM, FileStore
from .limits import file_size_problem
from .page_cache import larger_page_cache
from .reading import ReadFile, read_file
from .refs import Refs, RefusedLines
from .rows import LOOKUP_CHUNK

logger = logging.getLogger(__name__)

# Records parsed, checked and written per round (articles with their spans, sources and
# history): bounds what a large file holds in memory at once; a handful of queries per
# round, never per row. The lookup's size, so that a round looks its texts up in one query.
_CHUNK = LOOKUP_CHUNK


@dataclass(slots=True)
class FileResult:
    """What happened to one file. `reason` is set when the file as a whole was refused."""

    name: str
    format: str = ""
    created: Refs = field(default_factory=Refs)
    already_present: Refs = field(default_factory=Refs)
    # Same canonical source URL as an article here, with a changed text: a new revision.
    revised: Refs = field(default_factory=Refs)
    refused_lines: RefusedLines = field(default_factory=RefusedLines)
    reason: str = ""
    encoding: str = ""  # the codec the file was read with ("utf-8", "cp1252", ...)
    how: str = ""  # how that was decided (decoding.DecodedText.how)
    skipped: bool = False  # an archive member of a kind we do not import
    lines: int = 0  # records read so far (refused ones included), for progress
    spans: int = 0  # spans stored with the created articles
    bytes_read: int = 0  # of a streamed file, so far (ParseResult.position), for progress

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.reason:
            return "refused"
        if self.created:
            return "created"
        return "revised" if self.revised else "already present"

    @property
    def refused_count(self) -> int:
        """Refused articles: each bad line, or the file itself when it yields none (a
        skipped archive member is reported, not counted)."""
        if self.skipped:
            return 0
        return self.refused_lines.total or (1 if self.reason else 0)

    @property
    def has_problems(self) -> bool:
        """Anything refused: what an all-or-nothing import stops on."""
        return bool(self.refused_count)


class ImportTotals(NamedTuple):
    """Counted in articles; a file refused as a whole counts as one refused."""

    created: int
    already_present: int
    refused: int


def totals(results: Iterable[FileResult]) -> ImportTotals:
    created = present = refused = 0
    for result in results:
        created += len(result.created)
        present += len(result.already_present)
        refused += result.refused_count
    return ImportTotals(created, present, refused)


def imported_article_ids(results: Iterable[FileResult]) -> list[int]:
    """The ids of every article the files hold, created, revised or already present."""
    ids = (i for r in results for i in (*r.created.ids, *r.revised.ids, *r.already_present.ids))
    return list(dict.fromkeys(ids))


# Called after each chunk a file stores, with the file's result so far (for progress).
ChunkCallback = Callable[[FileResult], None]


# --- files and folders -------------------------------------------------------------------


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and files inside folders named (recursively, sorted).

    Hidden files and folders are skipped (.DS_Store, .git). Raises FileNotFoundError for
    a path that does not exist, before anything is imported.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                sorted(
                    p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path))
                )
            )
        else:
            raise FileNotFoundError(f"No such file or folder: {raw}")
    # A file named twice ("seeds/ seeds/a.txt") is imported once.
    seen: set[Path] = set()
    return [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


def import_paths(paths: Iterable[str | Path], *, user=None) -> Iterator[FileResult]:
    """Import every file under `paths`, yielding each file's result as soon as it is done
    (an archive yields one result per member)."""
    for path in collect_files(paths):
        yield from import_path_results(path, user=user)


def import_path(path: Path, *, user=None) -> FileResult:
    """One file on disk, as one result (an archive's members merged: import_path_results
    gives them one by one)."""
    return merged(str(path), import_path_results(path, user=user))


def import_path_results(
    path: Path,
    *,
    user=None,
    on_chunk: ChunkCallback | None = None,
    name: str = "",
    commit_each_chunk: bool = False,
    scale_id: int | None = None,
) -> list[FileResult]:
    """One file on disk: its size checked before it is read; a JSONL file is streamed
    line by line, so memory does not grow with the file (importers/streaming.py).
    `name`: what to call it (an upload's own name, where the worker stored it elsewhere)."""
    from .streaming import open_streamed

    name = name or str(path)

    try:
        size = path.stat().st_size
    except OSError as error:
        return [FileResult(name=name, reason=f"The file cannot be read: {error.strerror}.")]
    if problem := file_size_problem(size):
        return [FileResult(name=name, reason=problem)]
    streamed = open_streamed(path, name=name)
    if streamed is not None:
        return [
            store_read(
                streamed,
                user=user,
                on_chunk=on_chunk,
                commit_each_chunk=commit_each_chunk,
                scale_id=scale_id,
            )
        ]
    try:
        data = path.read_bytes()
    except OSError as error:
        return [FileResult(name=name, reason=f"The file cannot be read: {error.strerror}.")]
    return import_data(
        name=name,
        data=data,
        user=user,
        on_chunk=on_chunk,
        commit_each_chunk=commit_each_chunk,
        scale_id=scale_id,
    )


# --- one file ------------------------------------------------------------------------------


def import_file(*, name: str, data: bytes, user=None) -> FileResult:
    """Decode, parse and store one file (an archive's members merged into one result).
    Never raises for bad input: see the result."""
    return merged(name, import_data(name=name, data=data, user=user))


def import_data(
    *,
    name: str,
    data: bytes,
    user=None,
    on_chunk: ChunkCallback | None = None,
    commit_each_chunk: bool = False,
    scale_id: int | None = None,
) -> list[FileResult]:
    """One uploaded or scanned file: one result, or one per member of a ZIP archive."""
    return [
        store_read(
            read,
            user=user,
            on_chunk=on_chunk,
            commit_each_chunk=commit_each_chunk,
            scale_id=scale_id,
        )
        for read in read_file(name, data, size=_CHUNK)
    ]


def merged(name: str, results: list[FileResult]) -> FileResult:
    """Several results (an archive's members) as one, for the callers that want one."""
    if len(results) == 1:
        return results[0]
    whole = FileResult(name=name, format="zip")
    for part in results:
        whole.created.extend(part.created)
        whole.already_present.extend(part.already_present)
        whole.revised.extend(part.revised)
        whole.refused_lines.merge(part.refused_lines, prefix=f"{part.name}: ")
        whole.lines += part.lines
        whole.spans += part.spans
    refused = [part for part in results if part.reason and not part.skipped]
    if refused and not (whole.created or whole.already_present or whole.revised):
        whole.reason = "; ".join(f"{part.name}: {part.reason}" for part in refused)
    return whole


def store_read(
    read: ReadFile,
    *,
    user=None,
    on_chunk: ChunkCallback | None = None,
    commit_each_chunk: bool = False,
    scale_id: int | None = None,
) -> FileResult:
    """Store one file already read (importers.reading): one transaction, so a file that
    is refused part-way stores nothing.

    `scale_id`: the rating scale the new articles will use (the collection's they are
    imported into; None: the default scale). A span's verdict of another scale refuses
    its line (permissions.rating_refusal).

    `commit_each_chunk` (the worker's jobs): a transaction per chunk instead, so that the
    progress written between chunks is seen by the page while a large file imports (on
    SQLite one open write transaction would hide it, and block its writes). A file read
    whole is parsed to its end before its first chunk commits, so a broken one still
    stores nothing; one the database refuses part-way (another import storing the same
    articles at that moment) keeps the chunks before, and its report says so."""
    if read.refused:
        return FileResult(name=read.name, reason=read.reason, skipped=read.skipped)
    provenance = {
        "source_file": read.name,
        "encoding": read.encoding,
        "imported_by": user.get_username() if is_person(user) else "",
    }
    result = FileResult(name=read.name, format=read.format, encoding=read.encoding, how=read.how)
    # The first chunk is parsed before any transaction opens: its size says whether the
    # file is a bulk one, whose foreign keys are checked once per transaction.
    chunks = iter(read.chunks)
    try:
        first = next(chunks, None)
    except ImportRefused as error:  # refused in its first lines: nothing was stored
        if commit_each_chunk:
            result.reason = f"{str(error).rstrip('.')}; nothing of it was stored."
            return result
        return _refused_after_all(result, str(error))
    bulk = first is not None and len(first.records) >= DEFER_SEARCH_INDEX_FROM
    if commit_each_chunk and first is not None and not read.streamed:
        # Committed chunk by chunk, a file that breaks part-way (a JSON array never
        # closed) would keep its first chunks. One read whole is in memory already, so
        # it is parsed to its end first: broken, it stores nothing, as in one
        # transaction. Its records cost a few times its text, which the file limit
        # bounds; a streamed JSONL file refuses bad lines one by one, never part-way.
        try:
            rest = list(chunks)
        except ImportRefused as error:
            result.reason = f"{str(error).rstrip('.')}; nothing of it was stored."
            return result
        chunks = iter(rest)
    chunks = _starting_with(first, chunks) if first is not None else iter(())
    del first  # memory: a chunk is held only while it is stored
    with (
        larger_page_cache(connection),
        foreign_keys.checked_per_transaction(connection, bulk=bulk) as keys,
    ):
        store = _store_in_steps if commit_each_chunk else _store_at_once
        return store(
            chunks,
            result,
            store=FileStore(result, provenance=provenance, user=user, scale_id=scale_id),
            on_chunk=on_chunk,
            keys=keys,
        )


def _starting_with(first: ParseResult, rest: Iterator[ParseResult]) -> Iterator[ParseResult]:
    yield first
    del first
    yield from rest


def _store_at_once(chunks, result: FileResult, *, store: FileStore, on_chunk, keys):
    try:
        with transaction.atomic():
            keys.begin()
            for chunk in chunks:
                store.add(chunk)
                if on_chunk is not None:
                    on_chunk(result)
            store.finish()
            keys.verify()
    except ImportRefused as error:
        # A format that parses as it goes refused the file part-way; nothing is kept.
        return _refused_after_all(result, str(error))
    except (IntegrityError, DataError) as error:
        # E.g. another import stored the same text a moment ago; the whole file rolled back.
        # The database's own message is logged, not shown: it can hold SQL and row values.
        logger.warning("Import of %s refused by the database: %s", result.name, error)
        return _refused_after_all(
            result,
            "The database refused the file (another import may have stored the same "
            "articles a moment ago); nothing of it was stored. Import it again.",
        )
    if not result.created and not result.already_present and not result.revised:
        result.reason = _nothing_imported(result)
    return result


def _store_in_steps(chunks, result: FileResult, *, store: FileStore, on_chunk, keys):
    try:
        for chunk in chunks:
            kept = (len(result.created), len(result.revised), len(result.already_present))
            try:
                with transaction.atomic():
                    keys.begin()
                    store.add(chunk)
                    keys.verify()
            except BaseException:
                # This chunk rolled back: what it seemed to store is not there.
                result.created.truncate(kept[0])
                result.revised.truncate(kept[1])
                result.already_present.truncate(kept[2])
                raise
            if on_chunk is not None:
                on_chunk(result)
        store.finish()
    except (ImportRefused, IntegrityError, DataError) as error:
        message = str(error).rstrip(".")
        if not isinstance(error, ImportRefused):
            logger.warning("Import of %s refused by the database: %s", result.name, error)
            message = (
                "The database refused part of the file (another import may have stored "
                "the same articles a moment ago)"
            )
        stored = len(result.created) + len(result.revised)
        result.reason = (
            f"{message}; the {stored} article{'s' if stored != 1 else ''} before it "
            "were stored, the rest of the file was not."
            if stored
            else f"{message}; nothing of it was stored."
        )
        return result
    if not result.created and not result.already_present and not result.revised:
        result.reason = _nothing_imported(result)
    return result


def _refused_after_all(result: FileResult, reason: str) -> FileResult:
    """The file rolled back: what it seemed to create is not there."""
    return FileResult(
        name=result.name,
        format=result.format,
        encoding=result.encoding,
        how=result.how,
        reason=reason,
        lines=result.lines,
    )


def _nothing_imported(result: FileResult) -> str:
    if result.refused_lines and all(line is None for line, _ in result.refused_lines):
        # A one-article file (plain or scraped text): the article's problem is the file's.
        reason = "; ".join(problem for _, problem in result.refused_lines)
        result.refused_lines.clear()
        return f"{reason[:1].upper()}{reason[1:]}."
    if result.refused_lines:
        return "No line could be imported."
    return "The file contains no articles."
