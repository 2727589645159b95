"""Import files into the database: the one place the command and the import page call.

Each file is one transaction: a refused file stores nothing, the next file still imports.
Articles are identified by their text (Article.content_hash), so importing the same text
again is a no-op reported as "already present" (an article already here is left exactly
as it is, spans included: an import never merges into reviewed work). Writes are bulk
(articles, then spans, then their citations and links, then their history): a handful
of queries per thousand articles, none per row.

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
FALLBACK_USERNAME), and the original name is kept in the article's import metadata
under "reassigned_spans". We never write it into the note: that is the reviewer's text.
A verdict given by someone with no account here is kept without its author (verdict_by
is empty) and the name is kept under "unattributed_verdicts".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

import orjson
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

from .. import search_index
from ..history import current_origin, snapshot_annotation
from ..models import (
    Annotation,
    Article,
    Evidence,
    HistoryEvent,
    Label,
    Rating,
    RatingScale,
    Relation,
)
from ..models.article import body_hash
from ..offsets import quote_selector
from ..services.sources import source_records_by_url
from ..weburl import canonical_url
from . import bulk_copy, foreign_keys, revising
from .base import ArticleRecord, ImportRefused, ParseResult
from .checks import record_problem
from .limits import file_size_problem
from .page_cache import larger_page_cache
from .reading import ReadFile, read_file
from .refs import ArticleRef, Refs, RefusedLines
from .speakers import speakers_for

logger = logging.getLogger(__name__)

FALLBACK_USERNAME = "imported-annotations"

# Keeps `content_hash IN (...)` under SQLite's bound-parameter limit.
_LOOKUP_CHUNK = 900
# Rows per INSERT statement (see "writing" below); 50 rows of any table we fill stay
# far under SQLite's bound-parameter limit.
_ROWS_PER_INSERT = 50
# Records parsed, checked and written per round (articles with their spans, sources and
# history): bounds what a large file holds in memory at once; a handful of queries per
# round, never per row. The lookup's size, so that a round looks its texts up in one query.
_CHUNK = _LOOKUP_CHUNK
# A chunk of this many new articles is indexed for search after its transaction, in the
# background, rather than row by row as it is inserted (search_index.py): for a bulk
# file, half the import's time on PostgreSQL. Fewer are indexed at once, as before.
DEFER_SEARCH_INDEX_FROM = 100
REPEAT_OF_REFUSED = "The same text as an earlier line of this file, which was refused."


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
            store_read(streamed, user=user, on_chunk=on_chunk, commit_each_chunk=commit_each_chunk)
        ]
    try:
        data = path.read_bytes()
    except OSError as error:
        return [FileResult(name=name, reason=f"The file cannot be read: {error.strerror}.")]
    return import_data(
        name=name, data=data, user=user, on_chunk=on_chunk, commit_each_chunk=commit_each_chunk
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
) -> list[FileResult]:
    """One uploaded or scanned file: one result, or one per member of a ZIP archive."""
    return [
        store_read(read, user=user, on_chunk=on_chunk, commit_each_chunk=commit_each_chunk)
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
) -> FileResult:
    """Store one file already read (importers.reading): one transaction, so a file that
    is refused part-way stores nothing.

    `commit_each_chunk` (the worker's jobs): a transaction per chunk instead, so that the
    progress written between chunks is seen by the page while a large file imports (on
    SQLite one open write transaction would hide it, and block its writes). A file that
    fails part-way then keeps the chunks before, and its report says so."""
    if read.refused:
        return FileResult(name=read.name, reason=read.reason, skipped=read.skipped)
    provenance = {
        "source_file": read.name,
        "encoding": read.encoding,
        "imported_by": user.get_username() if _is_person(user) else "",
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
    chunks = _starting_with(first, chunks) if first is not None else iter(())
    del first  # memory: a chunk is held only while it is stored
    with (
        larger_page_cache(connection),
        foreign_keys.checked_per_transaction(connection, bulk=bulk) as keys,
    ):
        store = _store_in_steps if commit_each_chunk else _store_at_once
        return store(chunks, result, provenance=provenance, user=user, on_chunk=on_chunk, keys=keys)


def _starting_with(first: ParseResult, rest: Iterator[ParseResult]) -> Iterator[ParseResult]:
    yield first
    del first
    yield from rest


def _store_at_once(chunks, result: FileResult, *, provenance, user, on_chunk, keys):
    try:
        with transaction.atomic():
            keys.begin()
            store = _FileStore(result, provenance=provenance, user=user)
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


def _store_in_steps(chunks, result: FileResult, *, provenance, user, on_chunk, keys):
    store = _FileStore(result, provenance=provenance, user=user)
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


class _FileStore:
    """Stores one file's records a chunk at a time, inside the file's transaction.

    Keeps what must span chunks: the labels and accounts looked up so far. A text that
    appears twice in one file is stored once and its repeats are reported as already
    present: a later chunk finds it in the database (inside the file's transaction), a
    repeat in the same chunk is given the ref its first line was stored as. Nothing is
    kept per article but its id (refs.Refs), so memory is flat in the file's size.
    """

    def __init__(self, result: FileResult, *, provenance: dict, user):
        self.result = result
        self.provenance = provenance
        self.user = user
        self.labels: dict[str, int] = {}  # slug -> id, of the labels that exist
        self.verdict_labels: set[str] = set()  # the slugs of those that take a verdict
        self.ratings = _Ratings()
        self.authors = _Annotators(importer=user)

    def add(self, chunk: ParseResult) -> None:
        self.result.lines += len(chunk.records) + len(chunk.refused)
        if chunk.position is not None:
            self.result.bytes_read = chunk.position
        self.result.refused_lines.extend(chunk.refused)
        self._look_up_labels(chunk.records)
        self.ratings.look_up(chunk.records)
        valid: list[ArticleRecord] = []
        for record in chunk.records:
            problem = record_problem(
                record,
                label_slugs=self.labels,
                verdict_labels=self.verdict_labels,
                ratings=self.ratings.ids,
            )
            if problem:
                self.result.refused_lines.append((record.line, problem))
            else:
                valid.append(record)
        new, repeats = self._new(valid)
        new, found = self._revise_same_urls(new)
        if new:
            found.update(zip(new, self._create(new), strict=True))
        for digest, record in repeats:
            if digest in found:
                self.result.already_present.append(found[digest])
            else:  # its first line was refused: so is the repeat, for the same reason
                self.result.refused_lines.append((record.line, REPEAT_OF_REFUSED))

    def _create(self, new: dict[str, ArticleRecord]) -> list[ArticleRef]:
        self.result.spans += sum(len(record.spans) for record in new.values())
        self.authors.look_up(new.values())
        # Many articles at once: the search index catches up after (search_index.py).
        defer = len(new) >= DEFER_SEARCH_INDEX_FROM
        with search_index.deferred() if defer else nullcontext():
            refs = _create_articles(
                new,
                provenance=self.provenance,
                authors=self.authors,
                labels=self.labels,
                ratings=self.ratings.ids,
                actor=self.user,
            )
        if defer:
            search_index.schedule_catch_up()
        self.result.created.extend(refs)
        return refs

    def finish(self) -> None:
        self.result.refused_lines.sort(key=lambda item: item[0] or 0)

    def _revise_same_urls(
        self, new: dict[str, ArticleRecord]
    ) -> tuple[dict[str, ArticleRecord], dict[str, ArticleRef]]:
        """Records whose canonical source URL is an article's here, with another text,
        become a new revision of it (revising.revise); returned: the others, to create,
        and the revised articles' refs by the records' hashes.

        Two records of one file with the same URL: the first is created and the second
        revises it (the file said the text changed)."""
        revised: dict[str, ArticleRef] = {}
        canonical = {
            digest: _canonical_url(record.source_url)
            for digest, record in new.items()
            if record.source_url
        }
        if not canonical:
            return new, revised
        existing = _articles_by_canonical_url(list(set(canonical.values()) - {""}))
        if not existing:
            return new, revised
        remaining: dict[str, ArticleRecord] = {}
        for digest, record in new.items():
            article_id = existing.get(canonical.get(digest, ""))
            if article_id is None:
                remaining[digest] = record
                continue
            outcome = revising.revise(article_id, record, actor=self.user)
            if outcome.problem:
                self.result.refused_lines.append((record.line, outcome.problem))
            else:
                ref = ArticleRef(article_id, record.title, _revision_note(outcome, record))
                self.result.revised.append(ref)
                revised[digest] = ref
        return remaining, revised

    def _look_up_labels(self, records: list[ArticleRecord]) -> None:
        wanted = {span.label for record in records for span in record.spans} - self.labels.keys()
        if wanted:
            rows = Label.objects.filter(slug__in=wanted).values_list("slug", "pk", "takes_verdict")
            for slug, pk, takes_verdict in rows:
                self.labels[slug] = pk
                if takes_verdict:
                    self.verdict_labels.add(slug)

    def _new(self, valid: list[ArticleRecord]) -> tuple[dict, list]:
        """The records to store, by content hash, and those repeating one of them (with
        its hash); the others (stored before, by this file too) are reported as present."""
        digests = [body_hash(r.body) for r in valid]
        existing = _existing_articles(digests)
        new: dict[str, ArticleRecord] = {}
        repeats: list[tuple[str, ArticleRecord]] = []
        for record, digest in zip(valid, digests, strict=True):
            if digest in existing:
                self.result.already_present.append(existing[digest])
            elif digest in new:
                repeats.append((digest, record))
            else:
                new[digest] = record
        return new, repeats


def _revision_note(outcome: revising.Revised, record: ArticleRecord) -> str:
    """What a revision did, and, when the file gave spans for the new text, that they
    were not imported: the article's own spans are kept and re-anchored, never replaced
    or doubled by a file's (an export of it re-imported after the text changed)."""
    note = outcome.summary
    if record.spans:
        count = len(record.spans)
        spans = f"{count} span{'s' if count != 1 else ''}"
        note += (
            f" The file's {spans} for it {'were' if count != 1 else 'was'} not imported: "
            "the article keeps its own spans, re-anchored on the new text."
        )
    return note.strip()


class _Ratings:
    """The verdicts a file names, by (scale name, slug), looked up a chunk at a time.

    A verdict without a scale is on the default scale; its record is given that name
    here, before it is checked, so the check and the write see the same pair."""

    def __init__(self):
        self.ids: dict[tuple[str, str], int] = {}
        self._looked_up: set[tuple[str, str]] = set()
        self._default: str | None = None
        self._default_known = False

    def default_scale(self) -> str:
        if not self._default_known:
            self._default = (
                RatingScale.objects.filter(is_default=True).values_list("name", flat=True).first()
            )
            self._default_known = True
        return self._default or ""

    def look_up(self, records: list[ArticleRecord]) -> None:
        wanted = set()
        for record in records:
            for span in record.spans:
                verdict = span.verdict
                if verdict is None or not verdict.slug:
                    continue
                if not verdict.scale:
                    verdict.scale = self.default_scale()
                wanted.add((verdict.scale, verdict.slug))
        wanted -= self._looked_up
        if not wanted:
            return
        rows = Rating.objects.filter(
            scale__name__in={scale for scale, _ in wanted}, slug__in={slug for _, slug in wanted}
        ).values_list("scale__name", "slug", "pk")
        self.ids.update(((scale, slug), pk) for scale, slug, pk in rows)
        self._looked_up |= wanted


def _existing_articles(digests: list[str]) -> dict[str, ArticleRef]:
    found = {}
    for i in range(0, len(digests), _LOOKUP_CHUNK):
        rows = Article.objects.filter(content_hash__in=digests[i : i + _LOOKUP_CHUNK])
        for digest, pk, title in rows.values_list("content_hash", "pk", "title"):
            found[digest] = ArticleRef(pk, title)
    return found


# A record's canonical URL is wanted twice (to find its earlier revision, then to store
# it); the function is pure, so the second time is a look-up. Bounded: a chunk's worth.
_canonical_url = lru_cache(maxsize=2048)(canonical_url)


def _articles_by_canonical_url(urls: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(urls), _LOOKUP_CHUNK):
        rows = Article.objects.filter(canonical_url__in=urls[i : i + _LOOKUP_CHUNK])
        # The oldest article of a URL is the one a new text revises.
        for url, pk in rows.order_by("pk").values_list("canonical_url", "pk"):
            found.setdefault(url, pk)
    return found


# --- writing -----------------------------------------------------------------------------
#
# Articles, spans and history go in through plain INSERT statements, with values already in
# the database's form. bulk_create would build a model instance per row and run every value
# through its field's conversions, which for 30,000 spans took most of the import (seconds,
# against a few hundred milliseconds for the INSERTs themselves). The column lists name
# every concrete field (a test holds them to the models), and the values are what those
# fields would store: the same connection.ops adapters, auto_now(_add) fields set to now.
#
# Rows go in _ROWS_PER_INSERT to a statement, the statement run once per group through
# executemany (SQLite loops in C; psycopg pipelines). Measured on 30,000 spans: one row a
# statement costs PostgreSQL a parse and plan per row (2x slower), and thousands of rows a
# statement make psycopg's client-side binding re-parse a huge statement each time (3x
# slower); 20 to 75 rows were equally fast, on SQLite too.
#
# executemany does not return the new ids, so they are read back (one query per chunk):
# the articles by their unique content hash, the spans by article.
#
# Sources keep bulk_create: a third as many rows, and their instances serve the history
# snapshots.

_ARTICLE_COLUMNS = (
    "title",
    "body",
    "author",
    "published_at",
    "source_url",
    "publisher",
    "content_hash",
    "status",
    "assignee_id",
    "import_metadata",
    "imported_at",
    "updated_at",
    "canonical_url",
)
_ANNOTATION_COLUMNS = (
    "article_id",
    "label_id",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "speaker_id",
    "note",
    "author_id",
    "created_at",
    "updated_at",
    "version",
    "verdict_id",
    "verdict_explanation",
    "verdict_by_id",
    "verdict_at",
    "layer",
    "needs_attention",
    "anchored_in_id",
)
_HISTORY_COLUMNS = (
    "kind",
    "object_id",
    "annotation_id_ref",
    "article_id",
    "action",
    "actor_id",
    "at",
    "before",
    "after",
    "origin",
)


def _create_articles(
    new: dict[str, ArticleRecord], *, provenance, authors, labels, ratings, actor
) -> list[ArticleRef]:
    """Insert the articles, their spans, the spans' citations and links, and the history."""
    now = timezone.now()  # for the auto_now(_add) fields, as bulk_create would set them
    ops = connection.ops
    metadata_encoder = Article._meta.get_field("import_metadata").encoder
    stamp = ops.adapt_datetimefield_value(now)
    rows = [
        (
            record.title,
            record.body,
            record.author,
            ops.adapt_datetimefield_value(record.published_at),
            record.source_url,
            record.publisher,
            digest,  # Article.save() would set it from the body
            # An article that arrives with spans is being reviewed, as annotation_create does.
            record.status
            or (Article.Status.IN_REVIEW if record.spans else Article.Status.NEW).value,
            None,  # assignee
            ops.adapt_json_value(_metadata(record, provenance, authors), metadata_encoder),
            stamp,  # imported_at
            stamp,  # updated_at
            _canonical_url(record.source_url) if record.source_url else "",
        )
        for digest, record in new.items()
    ]
    _insert(Article, _ARTICLE_COLUMNS, rows)
    stored = _existing_articles(list(new))
    refs = [stored[digest] for digest in new]
    pending = [
        (ref.id, record.body, span)
        for ref, record in zip(refs, new.values(), strict=True)
        for span in record.spans
    ]
    if pending:
        _create_spans(
            pending, authors=authors, labels=labels, ratings=ratings, actor=actor, now=now
        )
    return refs


def _metadata(record: ArticleRecord, provenance: dict, authors: _Annotators) -> dict:
    metadata = {**provenance, **record.metadata}
    if record.line is not None:
        metadata["line"] = record.line
    reassigned = [
        {
            "span": index,
            "start": span.start,
            "end": span.end,
            "label": span.label,
            "annotator": span.annotator,
            "attributed_to": authors.fallback.get_username(),
        }
        for index, span in enumerate(record.spans, start=1)
        if span.annotator not in authors.known
    ]
    if reassigned:
        metadata["reassigned_spans"] = reassigned
    unattributed = [
        {
            "span": index,
            "start": span.start,
            "end": span.end,
            "label": span.label,
            "verdict_by": span.verdict.by,
        }
        for index, span in enumerate(record.spans, start=1)
        if span.verdict is not None and span.verdict.by and span.verdict.by not in authors.known
    ]
    if unattributed:
        metadata["unattributed_verdicts"] = unattributed
    return metadata


@dataclass(slots=True)
class _NewAnnotation:
    """An annotation on its way in: its column values, under the names an Annotation has,
    so that history.snapshot_annotation describes it for the history as it would the model
    (30,000 Annotation instances cost more to build than to insert)."""

    article_id: int
    label_id: int
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    speaker: object  # a Speaker or None
    note: str
    author_id: int
    created_at: datetime
    pk: int | None = None
    version: int = 1
    verdict_id: int | None = None
    verdict_explanation: str = ""
    verdict_by_id: int | None = None
    verdict_at: datetime | None = None
    layer: str = Annotation.Layer.REVIEWER.value

    @property
    def speaker_id(self) -> int | None:
        return self.speaker.pk if self.speaker is not None else None


def _create_spans(pending, *, authors, labels, ratings, actor, now: datetime) -> None:
    annotations: list[_NewAnnotation] = []
    speakers = speakers_for((span for _, _, span in pending), actor=actor)
    records = source_records_by_url(
        (source for _, _, span in pending for source in span.sources), actor=actor
    )
    first_of_article = 0  # where the current article's spans start in `annotations`
    wanted_links = []  # (position of the span, position of the span it points at, type)
    for position, (article_id, body, span) in enumerate(pending):
        if position and article_id != pending[position - 1][0]:
            first_of_article = position
        selector = quote_selector(body, span.start, span.end)
        verdict = span.verdict
        annotation = _NewAnnotation(
            article_id=article_id,
            label_id=labels[span.label],
            start=span.start,
            end=span.end,
            quote=selector.exact,
            prefix=selector.prefix,
            suffix=selector.suffix,
            speaker=speakers.get(span.speaker),
            note=span.note,
            author_id=authors.user_for(span.annotator).pk,
            # The exported creation time; a span without one is created now.
            created_at=span.created_at if span.created_at is not None else now,
        )
        if verdict is not None:
            if verdict.slug:
                annotation.verdict_id = ratings[(verdict.scale, verdict.slug)]
            annotation.verdict_explanation = verdict.explanation
            given_by = authors.known.get(verdict.by) if verdict.by else None
            annotation.verdict_by_id = given_by.pk if given_by is not None else None
            annotation.verdict_at = verdict.at
        annotations.append(annotation)
        for link in span.relations:
            wanted_links.append((position, first_of_article + link.to, link.type))
    _insert_annotations(annotations, now=now)

    citations = [
        [
            Evidence(
                annotation_id=annotation.pk,
                source=records[record.url],
                stance=record.stance,
                quoted_passage=record.quoted_passage,
                # The export does not say who added a source; the span's author is the best guess.
                created_by_id=annotation.author_id,
            )
            for record in _one_per_url(span.sources, records)
        ]
        for annotation, (_, _, span) in zip(annotations, pending, strict=True)
    ]
    Evidence.objects.bulk_create([c for group in citations for c in group], batch_size=2000)
    links = Relation.objects.bulk_create(
        [
            Relation(
                from_span_id=annotations[origin].pk,
                to_span_id=annotations[target].pk,
                type=kind,
                # Who linked them is not exported either; the span's author is the best guess.
                created_by_id=annotations[origin].author_id,
            )
            for origin, target, kind in wanted_links
        ],
        batch_size=2000,
    )
    links_of: dict[int, list[Relation]] = {}
    for link in links:  # in id order, as the services snapshot them
        links_of.setdefault(link.from_span_id, []).append(link)
        links_of.setdefault(link.to_span_id, []).append(link)
    _record_history(annotations, citations, links_of, actor=actor, now=now)


def _one_per_url(cited, records) -> list:
    """A span cites a URL once: records naming the same stored URL become one citation,
    the first's stance with every passage kept (a differing stance written into its
    passage), as the data migration merged such twins."""
    kept: dict[int, object] = {}
    for record in cited:
        stored = records[record.url]
        first = kept.get(stored.pk)
        if first is None:
            kept[stored.pk] = record
            continue
        extra = record.quoted_passage
        if record.stance != first.stance:
            extra = f"[{record.stance}] {extra}".strip()
        if extra and extra not in first.quoted_passage:
            kept[stored.pk] = replace(
                first, quoted_passage="\n\n".join(p for p in (first.quoted_passage, extra) if p)
            )
    return list(kept.values())


def _insert_annotations(annotations: list[_NewAnnotation], *, now: datetime) -> None:
    """Insert the spans and give each its id."""
    adapt = _memoised(connection.ops.adapt_datetimefield_value)
    updated_at = adapt(now)
    rows = [
        (
            a.article_id,
            a.label_id,
            a.start,
            a.end,
            a.quote,
            a.prefix,
            a.suffix,
            a.speaker_id,
            a.note,
            a.author_id,
            adapt(a.created_at),
            updated_at,
            a.version,
            a.verdict_id,
            a.verdict_explanation,
            a.verdict_by_id,
            adapt(a.verdict_at) if a.verdict_at else None,
            a.layer,
            False,  # needs_attention: an imported span is placed on the text it came with
            None,  # anchored_in
        )
        for a in annotations
    ]
    _insert(Annotation, _ANNOTATION_COLUMNS, rows)
    ids = _annotation_ids(list(dict.fromkeys(a.article_id for a in annotations)))
    for annotation, pk in zip(annotations, ids, strict=True):
        annotation.pk = pk


def _annotation_ids(article_ids: list[int]) -> list[int]:
    """The ids of the spans just inserted on these articles, in the order they were inserted.

    The articles were created in this transaction, so every span on them is ours; and ids
    only grow (a PostgreSQL sequence, SQLite's AUTOINCREMENT), so id order is insert order.
    """
    ids: list[int] = []
    for i in range(0, len(article_ids), _LOOKUP_CHUNK):
        spans = Annotation.objects.filter(article_id__in=article_ids[i : i + _LOOKUP_CHUNK])
        ids.extend(spans.order_by("pk").values_list("pk", flat=True))
    return ids


def _record_history(annotations, sources, links_of, *, actor, now: datetime) -> None:
    """Imported spans are creations too: the history says who brought them in.

    One event per span, its sources and links (both ways) inside the snapshot (as a
    restore records it), so the history holds everything without an event per source.
    """
    ops = connection.ops
    actor_id = actor.pk if _is_person(actor) else None
    at = ops.adapt_datetimefield_value(now)
    to_json = _json_adapter(HistoryEvent._meta.get_field("after"))
    kind, action = HistoryEvent.Kind.ANNOTATION.value, HistoryEvent.Action.CREATE.value
    origin = current_origin() or "import"
    rows = [
        (
            kind,
            a.pk,  # object_id
            a.pk,  # annotation_id_ref
            a.article_id,
            action,
            actor_id,
            at,
            None,  # before: SQL NULL, as bulk_create stores None
            to_json(snapshot_annotation(a, sources=group, relations=links_of.get(a.pk, []))),
            origin,
        )
        for a, group in zip(annotations, sources, strict=True)
    ]
    _insert(HistoryEvent, _HISTORY_COLUMNS, rows)


def _json_adapter(json_field) -> Callable[[object], object]:
    """The form of a value for this JSONField that _insert writes, as
    connection.ops.adapt_json_value gives it. Where that is plain JSON text (SQLite, and
    PostgreSQL's COPY, whose text form of a jsonb value is its JSON text), orjson writes it:
    the same value as json.dumps, 7x faster (a bulk import writes a snapshot per span)."""
    ops, encoder = connection.ops, json_field.encoder
    plain = bulk_copy.available(connection) or (
        type(ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
    )
    if not plain:
        return lambda value: ops.adapt_json_value(value, encoder)
    if encoder is not None:  # a field's own encoder decides how its values are written
        return encoder().encode
    return _json_text


def _json_text(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # What orjson refuses and json writes: an int beyond 64 bits, a lone surrogate.
        return json.dumps(value)


def _memoised(adapt: Callable) -> Callable:
    """`adapt` remembered per value: the spans of a file share a few creation times."""
    seen: dict = {}

    def adapted(value):
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = adapt(value)
            return result

    return adapted


def _insert(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT `rows` (values ready for the database, in `columns` order) into `model`'s
    table, in order: one statement of _ROWS_PER_INSERT rows run for each full group in a
    single executemany call, and one statement for the rest."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(column) for column in columns)
    one_row = f"({', '.join(['%s'] * len(columns))})"

    def statement(count: int) -> str:
        return f"INSERT INTO {table} ({names}) VALUES {', '.join([one_row] * count)}"

    def values(group: Sequence[tuple]) -> list:
        return [value for row in group for value in row]

    if not rows:
        return
    if bulk_copy.available(connection):
        bulk_copy.copy_rows(connection, table, names, rows)
        return
    full = len(rows) - len(rows) % _ROWS_PER_INSERT
    with connection.cursor() as cursor:
        if full:
            groups = (rows[i : i + _ROWS_PER_INSERT] for i in range(0, full, _ROWS_PER_INSERT))
            cursor.executemany(statement(_ROWS_PER_INSERT), [values(g) for g in groups])
        if full < len(rows):
            cursor.execute(statement(len(rows) - full), values(rows[full:]))


# --- who annotated ---------------------------------------------------------------------------


class _Annotators:
    """Who each imported span is attributed to: its annotator when that account exists,
    otherwise the importer (or the fallback account, created only when first needed).
    The accounts of those who gave verdicts are looked up with them."""

    def __init__(self, importer):
        self.known: dict = {}  # username -> user, of the names looked up so far
        self.importer = importer
        self._looked_up: set[str] = set()

    @cached_property
    def fallback(self):
        return self.importer if _is_person(self.importer) else _fallback_user()

    def look_up(self, records: Iterable[ArticleRecord]) -> None:
        """Find the accounts of these records' annotators (those not looked up before)."""
        names = set()
        for record in records:
            for span in record.spans:
                names.add(span.annotator)
                if span.verdict is not None:
                    names.add(span.verdict.by)
        names.discard("")
        names -= self._looked_up
        if not names:
            return
        User = get_user_model()
        users = User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names})
        self.known.update((u.get_username(), u) for u in users)
        self._looked_up |= names

    def user_for(self, username: str):
        return self.known.get(username) or self.fallback


def _fallback_user():
    """An inactive account that holds spans whose annotator has no account here."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        **{User.USERNAME_FIELD: FALLBACK_USERNAME}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _is_person(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)
