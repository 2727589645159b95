"""Import files into the database: the one place the command and the import page call.

Each file is one transaction: a refused file stores nothing, the next file still imports.
Articles are identified by their text (Article.content_hash), so importing the same text
again is a no-op reported as "already present" (an article already here is left exactly
as it is, spans included: an import never merges into reviewed work). Writes are bulk
(articles, then spans, then sources, then their history): a handful of queries per
thousand articles, none per row.

Unknown annotators: a span whose annotator has no account here is attributed to the
person importing (or, from the command line without --user, to the inactive account
FALLBACK_USERNAME), and the original name is kept in the article's import metadata
under "reassigned_spans". We never write it into the note: that is the reviewer's text.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, connection, transaction

from ..models import Annotation, Article, HistoryEvent, Label, Source
from ..models.article import body_hash
from ..offsets import quote_selector
from ..services import snapshot_annotation, snapshot_source
from . import format_for, formats_for
from .base import ArticleRecord, ImportRefused, ParseResult, SpanRecord
from .checks import record_problem
from .decoding import DecodingError, decode_bytes

FALLBACK_USERNAME = "imported-annotations"

# Keeps `content_hash IN (...)` under SQLite's bound-parameter limit.
_LOOKUP_CHUNK = 900
# Articles written per round of bulk inserts (with their spans, sources and history):
# bounds the model objects held in memory; a handful of queries per round, never per row.
_WRITE_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class ArticleRef:
    id: int
    title: str


@dataclass(slots=True)
class FileResult:
    """What happened to one file. `reason` is set when the file as a whole was refused."""

    name: str
    format: str = ""
    created: list[ArticleRef] = field(default_factory=list)
    already_present: list[ArticleRef] = field(default_factory=list)
    refused_lines: list[tuple[int, str]] = field(default_factory=list)
    reason: str = ""

    @property
    def status(self) -> str:
        if self.reason:
            return "refused"
        return "created" if self.created else "already present"

    @property
    def refused_count(self) -> int:
        """Refused articles: each bad line, or the file itself when it yields none."""
        return len(self.refused_lines) or (1 if self.reason else 0)


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
    """Import every file under `paths`, yielding each file's result as soon as it is done."""
    for path in collect_files(paths):
        yield import_path(path, user=user)


def import_path(path: Path, *, user=None) -> FileResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        return FileResult(name=str(path), reason=f"The file cannot be read: {error.strerror}.")
    return import_file(name=str(path), data=data, user=user)


# --- one file ------------------------------------------------------------------------------


def import_file(*, name: str, data: bytes, user=None) -> FileResult:
    """Decode, parse and store one file. Never raises for bad input: see the result."""
    try:
        formats_for(name)  # refuse by extension before decoding: "image.png" is not "binary text"
        decoded = decode_bytes(data)
        fmt = format_for(name, decoded.text)
        parsed = fmt.parse(decoded.text, name=name)
    except (ImportRefused, DecodingError) as error:
        return FileResult(name=name, reason=str(error))

    provenance = {
        "source_file": name,
        "encoding": decoded.encoding,
        "imported_by": user.get_username() if _is_person(user) else "",
    }
    result = FileResult(name=name, format=fmt.name)
    try:
        with transaction.atomic():
            _store(parsed, result, provenance=provenance, user=user)
    except (IntegrityError, DataError) as error:
        # E.g. another import stored the same text a moment ago; the whole file rolled back.
        return FileResult(
            name=name,
            format=fmt.name,
            reason=f"The database refused the file ({error}); nothing was stored.",
        )
    if not result.created and not result.already_present:
        result.reason = _nothing_imported(result)
    return result


def _nothing_imported(result: FileResult) -> str:
    if result.refused_lines and all(line is None for line, _ in result.refused_lines):
        # A one-article file (plain or scraped text): the article's problem is the file's.
        reason = "; ".join(problem for _, problem in result.refused_lines)
        result.refused_lines.clear()
        return f"{reason[:1].upper()}{reason[1:]}."
    if result.refused_lines:
        return "No line could be imported."
    return "The file contains no articles."


def _store(parsed: ParseResult, result: FileResult, *, provenance: dict, user) -> None:
    result.refused_lines.extend(parsed.refused)
    labels = Label.objects.in_bulk(
        {span.label for record in parsed.records for span in record.spans}, field_name="slug"
    )
    valid: list[ArticleRecord] = []
    for record in parsed.records:
        problem = record_problem(record, label_slugs=labels)
        if problem:
            result.refused_lines.append((record.line, problem))
        else:
            valid.append(record)
    result.refused_lines.sort(key=lambda item: item[0] or 0)

    digests = [body_hash(r.body) for r in valid]
    existing = _existing_articles(digests)
    new: dict[str, ArticleRecord] = {}
    repeats: list[str] = []  # a text that appears twice in one file is stored once
    for record, digest in zip(valid, digests, strict=True):
        if digest in existing:
            result.already_present.append(existing[digest])
        elif digest in new:
            repeats.append(digest)
        else:
            new[digest] = record
    if not new:
        return

    authors = _annotators(new.values(), user=user)
    created: dict[str, ArticleRef] = {}
    for chunk in itertools.batched(new.items(), _WRITE_CHUNK):
        articles = _create_articles(
            dict(chunk), provenance=provenance, authors=authors, labels=labels, actor=user
        )
        created.update((digest, ArticleRef(a.pk, a.title)) for digest, a in articles.items())
    result.created.extend(created.values())
    result.already_present.extend(created[digest] for digest in repeats)


def _existing_articles(digests: list[str]) -> dict[str, ArticleRef]:
    found = {}
    for i in range(0, len(digests), _LOOKUP_CHUNK):
        rows = Article.objects.filter(content_hash__in=digests[i : i + _LOOKUP_CHUNK])
        for digest, pk, title in rows.values_list("content_hash", "pk", "title"):
            found[digest] = ArticleRef(pk, title)
    return found


def _create_articles(
    new: dict[str, ArticleRecord], *, provenance, authors, labels, actor
) -> dict[str, Article]:
    """Bulk-insert the articles, their spans, the spans' sources and the history records."""
    articles: dict[str, Article] = {}
    pending_spans: list[tuple[Article, SpanRecord]] = []
    for digest, record in new.items():
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
        article = Article(
            title=record.title,
            body=record.body,
            author=record.author,
            published_at=record.published_at,
            source_url=record.source_url,
            publisher=record.publisher,
            content_hash=digest,  # bulk_create skips Article.save(), which would set it
            # An article that arrives with spans is being reviewed, as annotation_create does.
            status=record.status
            or (Article.Status.IN_REVIEW if record.spans else Article.Status.NEW),
            import_metadata=metadata,
        )
        articles[digest] = article
        pending_spans.extend((article, span) for span in record.spans)
    Article.objects.bulk_create(articles.values(), batch_size=500)
    if pending_spans:
        _create_spans(pending_spans, authors=authors, labels=labels, actor=actor)
    return articles


def _create_spans(pending, *, authors, labels, actor) -> None:
    annotations, sources_of, with_time = [], [], []
    for article, span in pending:
        selector = quote_selector(article.body, span.start, span.end)
        # Ids rather than instances: cheaper to build and to check, 30,000 times over.
        annotation = Annotation(
            article_id=article.pk,
            label_id=labels[span.label].pk,
            start=span.start,
            end=span.end,
            quote=selector.exact,
            prefix=selector.prefix,
            suffix=selector.suffix,
            speaker=span.speaker,
            note=span.note,
            author_id=authors.user_for(span.annotator).pk,
        )
        annotations.append(annotation)
        sources_of.append(span.sources)
        if span.created_at is not None:
            with_time.append((annotation, span.created_at))
    Annotation.objects.bulk_create(annotations, batch_size=2000)
    _restore_created_at(with_time)

    sources = [
        [
            Source(
                annotation_id=annotation.pk,
                url=record.url,
                title=record.title,
                publisher=record.publisher,
                stance=record.stance,
                quoted_passage=record.quoted_passage,
                accessed_on=record.accessed_on,
                # The export does not say who added a source; the span's author is the best guess.
                created_by_id=annotation.author_id,
            )
            for record in records
        ]
        for annotation, records in zip(annotations, sources_of, strict=True)
    ]
    Source.objects.bulk_create([s for group in sources for s in group], batch_size=2000)
    _record_history(annotations, sources, actor=actor)


def _restore_created_at(with_time) -> None:
    """auto_now_add stamps every insert with now; put the exported creation times back.

    One executemany rather than bulk_update: bulk_update's CASE WHEN expression takes
    seconds to build for 10,000 rows, while executemany runs in one call (SQLite loops in
    C; psycopg 3 pipelines the statements).
    """
    if not with_time:
        return
    ops = connection.ops
    table = ops.quote_name(Annotation._meta.db_table)
    sql = (
        f"UPDATE {table} SET {ops.quote_name('created_at')} = %s WHERE {ops.quote_name('id')} = %s"
    )
    rows = []
    for annotation, created_at in with_time:
        annotation.created_at = created_at
        rows.append((ops.adapt_datetimefield_value(created_at), annotation.pk))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _record_history(annotations, sources, *, actor) -> None:
    """Imported spans are creations too: the history says who brought them in.

    One event per span, its sources inside the snapshot (as a restore records it), so the
    history holds everything without an event per source.
    """
    actor = actor if _is_person(actor) else None
    HistoryEvent.objects.bulk_create(
        (
            HistoryEvent(
                kind=HistoryEvent.Kind.ANNOTATION,
                object_id=a.pk,
                annotation_id_ref=a.pk,
                article_id=a.article_id,
                action=HistoryEvent.Action.CREATE,
                actor=actor,
                after={
                    **snapshot_annotation(a, with_sources=False),
                    "sources": [snapshot_source(s) for s in group],
                },
            )
            for a, group in zip(annotations, sources, strict=True)
        ),
        batch_size=2000,
    )


# --- who annotated ---------------------------------------------------------------------------


class _Annotators:
    """Who each imported span is attributed to: its annotator when that account exists,
    otherwise the importer (or the fallback account, created only when first needed)."""

    def __init__(self, known: dict, importer):
        self.known = known  # username -> user
        self.importer = importer

    @cached_property
    def fallback(self):
        return self.importer if _is_person(self.importer) else _fallback_user()

    def user_for(self, username: str):
        return self.known.get(username) or self.fallback


def _annotators(records: Iterable[ArticleRecord], *, user) -> _Annotators:
    names = {span.annotator for record in records for span in record.spans if span.annotator}
    User = get_user_model()
    known = {
        u.get_username(): u for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names})
    }
    return _Annotators(known, importer=user)


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
