"""Row locks that the services take before they read what they are about to change.

`select_for_update` makes a concurrent writer of the same row wait on PostgreSQL; on
SQLite every write transaction already holds the database's write lock from its start
(settings: transaction_mode IMMEDIATE). A row that is gone raises Gone, so a write on a
deleted span or source is answered, never turned into an INSERT.
"""

from __future__ import annotations

from ..conflicts import Gone
from ..models import Annotation, Article, Evidence, Source

SPAN_GONE = "This span was deleted in the meantime; nothing was changed. Reload the page."


def locked_annotation(pk, *, missing: str = SPAN_GONE) -> Annotation:
    # OF self: a span's Meta.ordering goes through its article (joined for the sort), and
    # a bare FOR UPDATE would lock the article row too, after the span: a writer holding
    # the article and waiting for the span (a revision) would deadlock with it.
    # all_objects: a span a revision could not place can still be deleted (discarded).
    annotation = Annotation.all_objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if annotation is None:
        raise Gone(missing)
    return annotation


def locked_article(pk, *, fields: tuple[str, ...] = (), no_key: bool = False) -> Article:
    """`no_key`: FOR NO KEY UPDATE, which still excludes every other writer that locks
    the article, but not the KEY SHARE lock that a history row's foreign key takes on it:
    for a writer that goes on to lock one of its spans, whose holder (a delete, say)
    records its history while it waits."""
    query = Article.objects.select_for_update(no_key=no_key).filter(pk=pk)
    if fields:
        query = query.only(*fields)
    article = query.first()
    if article is None:
        raise Gone("This article was deleted in the meantime; nothing was changed.")
    return article


def locked_spans(*pks, missing: str = SPAN_GONE) -> list[Annotation]:
    """Several spans locked in id order (every writer taking two spans takes them in the
    same order, so two of them cannot deadlock), returned in the order asked."""
    found = {
        a.pk: a for a in Annotation.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }
    if any(pk not in found for pk in pks):
        raise Gone(missing)
    return [found[pk] for pk in pks]


def locked_source_record(pk) -> Source:
    record = Source.objects.select_for_update().filter(pk=pk).first()
    if record is None:
        raise Gone("This source was deleted in the meantime; nothing was changed.")
    return record


def locked_source(pk) -> tuple[Evidence, Annotation]:
    """A span's source (its Evidence link) and its span, both locked, the span first.

    Every writer locks a span before its sources (a span's delete removes its sources),
    so taking them in the same order here cannot deadlock with a delete.
    """
    for _ in range(3):
        annotation_id = (
            Evidence.objects.filter(pk=pk).values_list("annotation_id", flat=True).first()
        )
        if annotation_id is None:
            break
        annotation = locked_annotation(annotation_id)
        source = Evidence.objects.select_for_update().filter(pk=pk).select_related("source").first()
        if source is None:
            break
        if source.annotation_id == annotation.pk:
            return source, annotation
        # Moved to another span between the two reads: lock that one instead.
    raise Gone("This source was deleted in the meantime; nothing was changed. Reload the page.")
