"""The import's writes: new articles with their spans, the spans' citations and links,
and their history, in a handful of statements per chunk of articles (none per row), and
the look-ups of what is already stored (by content hash, by canonical source URL).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from django.db import connection
from django.utils import timezone

from ..history import current_origin, snapshot_arrival
from ..models import Annotation, Article, Evidence, HistoryEvent, Relation
from ..offsets import quote_selector
from ..services.sources import source_records_by_url
from ..weburl import canonical_url
from .accounts import Annotators, is_person
from .base import ArticleRecord
from .bulk_insert import insert_rows, insert_rows_with_ids, json_adapter, memoised
from .refs import ArticleRef
from .speakers import speakers_for

# Keeps `content_hash IN (...)` under SQLite's bound-parameter limit.
LOOKUP_CHUNK = 900


def existing_articles(digests: list[str]) -> dict[str, ArticleRef]:
    found = {}
    for i in range(0, len(digests), LOOKUP_CHUNK):
        rows = Article.objects.filter(content_hash__in=digests[i : i + LOOKUP_CHUNK])
        for digest, pk, title in rows.values_list("content_hash", "pk", "title"):
            found[digest] = ArticleRef(pk, title)
    return found


# A record's canonical URL is wanted twice (to find its earlier revision, then to store
# it); the function is pure, so the second time is a look-up. Bounded: a chunk's worth.
canonical_url_of = lru_cache(maxsize=2048)(canonical_url)


def articles_by_canonical_url(urls: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(urls), LOOKUP_CHUNK):
        rows = Article.objects.filter(canonical_url__in=urls[i : i + LOOKUP_CHUNK])
        # The oldest article of a URL is the one a new text revises.
        for url, pk in rows.order_by("pk").values_list("canonical_url", "pk"):
            found.setdefault(url, pk)
    return found


# Articles, spans and history go in through plain INSERT statements (bulk_insert.py), with
# values already in the database's form. bulk_create would build a model instance per row
# and run every value through its field's conversions, which for 30,000 spans took most of
# the import (seconds, against a few hundred milliseconds for the INSERTs themselves). The
# column lists name every concrete field (a test holds them to the models), and the values
# are what those fields would store: the same connection.ops adapters, auto_now(_add)
# fields set to now.
#
# The new ids are known without reading the rows back (bulk_insert.insert_rows_with_ids).
#
# Links keep bulk_create: a file has few.

ARTICLE_COLUMNS = (
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
ANNOTATION_COLUMNS = (
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
EVIDENCE_COLUMNS = (
    "annotation_id",
    "source_id",
    "stance",
    "quoted_passage",
    "created_by_id",
    "created_at",
    "version",
)
HISTORY_COLUMNS = (
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


def create_articles(
    new: dict[str, ArticleRecord], *, provenance, authors, labels, ratings, actor
) -> list[ArticleRef]:
    """Insert the articles, their spans, the spans' citations and links, and an event for
    each article's arrival (_record_arrivals)."""
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
            canonical_url_of(record.source_url) if record.source_url else "",
        )
        for digest, record in new.items()
    ]
    ids = insert_rows_with_ids(Article, ARTICLE_COLUMNS, rows)
    refs = [ArticleRef(pk, record.title) for pk, record in zip(ids, new.values(), strict=True)]
    pending = [
        (ref.id, record.body, span)
        for ref, record in zip(refs, new.values(), strict=True)
        for span in record.spans
    ]
    if pending:
        _create_spans(
            pending, authors=authors, labels=labels, ratings=ratings, actor=actor, now=now
        )
    _record_arrivals(refs, new, rows, actor=actor, now=now)
    return refs


def _metadata(record: ArticleRecord, provenance: dict, authors: Annotators) -> dict:
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

    created_at = connection.ops.adapt_datetimefield_value(now)
    citations = [
        (
            annotation.pk,
            records[record.url].pk,
            record.stance,
            record.quoted_passage,
            # The export does not say who added a source; the span's author is the best guess.
            annotation.author_id,
            created_at,
            1,  # version
        )
        for annotation, (_, _, span) in zip(annotations, pending, strict=True)
        for record in _one_per_url(span.sources, records)
    ]
    insert_rows(Evidence, EVIDENCE_COLUMNS, citations)
    Relation.objects.bulk_create(
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
    adapt = memoised(connection.ops.adapt_datetimefield_value)
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
    ids = insert_rows_with_ids(Annotation, ANNOTATION_COLUMNS, rows)
    for annotation, pk in zip(annotations, ids, strict=True):
        annotation.pk = pk


def _record_arrivals(refs, new: dict[str, ArticleRecord], rows, *, actor, now) -> None:
    """One event per new article: it arrived by import, with so many spans.

    Its spans get no event of their own. A snapshot per span was a quarter of a bulk
    import's time (10,000 articles with 100,000 spans: 6.4 s with them, 4.7 s without, on
    SQLite; 9.9 s and 7.5 s on PostgreSQL), and says nothing the span does not: until its
    first change the span is as it arrived, and that change's event keeps the state it
    left as `before` (history.annotation_version_snapshot). The span's history page shows
    this event as its creation (history_selectors.span_timeline).
    """
    ops = connection.ops
    actor_id = actor.pk if is_person(actor) else None
    at = ops.adapt_datetimefield_value(now)
    to_json = json_adapter(HistoryEvent._meta.get_field("after"))
    kind, action = HistoryEvent.Kind.ARTICLE.value, HistoryEvent.Action.CREATE.value
    origin = current_origin() or "import"
    status_column = ARTICLE_COLUMNS.index("status")
    events = []
    for ref, (digest, record), row in zip(refs, new.items(), rows, strict=True):
        arrived = SimpleNamespace(
            pk=ref.id,
            title=record.title,
            author=record.author,
            publisher=record.publisher,
            published_at=record.published_at,
            source_url=record.source_url,
            status=row[status_column],
            assignee_id=None,
            content_hash=digest,
        )
        after = snapshot_arrival(arrived, spans=len(record.spans))
        # before: SQL NULL, as bulk_create stores None
        events.append(
            (kind, ref.id, None, ref.id, action, actor_id, at, None, to_json(after), origin)
        )
    insert_rows(HistoryEvent, HISTORY_COLUMNS, events)
