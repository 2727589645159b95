"""Citing sources on spans, editing what a span says about them, and the shared records.

A source (models.Source: URL, title, publisher, accessed date) is stored once per
canonical URL and cited by any number of spans; each citation (models.Evidence) carries
its own stance and quoted passage. A citation is written only while its span is locked:
one added to a span that is being deleted waits for the delete and is then refused
(Gone), instead of pointing at a span that no longer exists.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import history, offsets, permissions
from ..conflicts import Conflict
from ..models import Evidence, HistoryEvent, Source
from ..models.source import http_url
from ..weburl import canonical_url, complete_url, port_problem
from ._locks import locked_annotation, locked_source, locked_source_record

# What the shared record holds; a span's citation holds the rest.
RECORD_FIELDS = ("title", "publisher", "accessed_on")
LINK_FIELDS = ("stance", "quoted_passage")
_NOT_ADDED = "This span was deleted in the meantime; the source was not added."
_URL_MAX = Source._meta.get_field("url").max_length


def clean_url(url: str) -> str:
    """The stored form of a typed URL ("www.x.org/a" → "https://www.x.org/a"), or a
    ValidationError saying what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the URL of the source.")
    if any(ch.isspace() for ch in url):
        raise ValidationError("Enter an http:// or https:// URL without spaces.")
    try:
        url = canonical_url(url, keep_fragment=True)
    except ValueError:  # urllib cannot read it: "http://[", a port out of range
        # The port rule is weburl.port_problem's, as for an import's URLs.
        if problem := port_problem(complete_url(url)):
            raise ValidationError(f"{problem[:1].upper()}{problem[1:]}.") from None
        raise ValidationError(
            "This is not a web address we can read: check the host and the port."
        ) from None
    if len(url) > _URL_MAX:
        raise ValidationError(f"The URL is {len(url)} characters long; the limit is {_URL_MAX}.")
    http_url(url)
    return url


def _field_error(field: str, clean, value):
    """clean(value), its ValidationError attached to `field` (forms show it there)."""
    try:
        return clean(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _text(value: str, field: str) -> str:
    value = offsets.canonical_text(value or "").strip()
    limit = Source._meta.get_field(field).max_length
    if limit and len(value) > limit:
        raise ValidationError(
            {field: f"The {field} is {len(value)} characters long; the limit is {limit}."}
        )
    return value


def source_record_for(
    url: str, *, actor, title: str = "", publisher: str = "", accessed_on: date | None = None
) -> tuple[Source, bool]:
    """The stored record of this URL, created when it is new; (record, created).

    An existing record is reused as it is: its blank fields are filled from what was
    typed, but what someone else wrote is never overwritten from here.
    """
    try:
        url = clean_url(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from None
    title, publisher = _text(title, "title"), _text(publisher, "publisher")
    record = Source.objects.filter(url=url).first()
    if record is None:
        try:
            with transaction.atomic():
                record = Source.objects.create(
                    url=url,
                    title=title,
                    publisher=publisher,
                    accessed_on=accessed_on or timezone.localdate(),
                    created_by=actor if actor is not None and actor.is_authenticated else None,
                )
        except IntegrityError:
            # Someone stored the same URL at the same moment: use theirs.
            record = Source.objects.get(url=url)
        else:
            history.record(
                kind=HistoryEvent.Kind.SOURCE_RECORD,
                obj_id=record.pk,
                annotation_id=None,
                article_id=None,
                action=HistoryEvent.Action.CREATE,
                actor=actor,
                after=history.snapshot_source_record(record),
            )
            return record, True
    blanks = {
        f: v
        for f, v in (("title", title), ("publisher", publisher), ("accessed_on", accessed_on))
        if v and not getattr(record, f)
    }
    if blanks:
        Source.objects.filter(pk=record.pk).update(**blanks)
        for field, value in blanks.items():
            setattr(record, field, value)
    return record, False


def _refuse_twin(annotation_id: int, record: Source, *, exclude: int | None = None) -> None:
    twins = Evidence.objects.filter(annotation_id=annotation_id, source=record)
    if exclude is not None:
        twins = twins.exclude(pk=exclude)
    if twins.exists():
        raise ValidationError(
            f"This span already cites {record.url}; nothing was added. Edit that source instead."
        )


@transaction.atomic
def source_create(
    *,
    annotation,
    actor,
    url: str,
    stance: str = Evidence.Stance.CONTEXT,
    title: str = "",
    publisher: str = "",
    quoted_passage: str = "",
    accessed_on: date | None = None,
) -> Evidence:
    """Cite a source on a span: the URL's stored record (created if new) with a stance."""
    span = locked_annotation(annotation.pk, missing=_NOT_ADDED)
    if not permissions.can_add_source(actor, span):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    if stance not in Evidence.Stance.values:
        choices = ", ".join(Evidence.Stance.values)
        raise ValidationError({"stance": f"“{stance}” is not a stance; use one of {choices}."})
    record, _ = source_record_for(
        url, actor=actor, title=title, publisher=publisher, accessed_on=accessed_on
    )
    _refuse_twin(span.pk, record)
    link = Evidence.objects.create(
        annotation=span,
        source=record,
        stance=stance,
        quoted_passage=offsets.canonical_text(quoted_passage or "").strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    history.record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=link.pk,
        annotation_id=span.pk,
        article_id=span.article_id,
        action=HistoryEvent.Action.CREATE,
        actor=actor,
        after=history.snapshot_source(link),
    )
    return link


_UNCHANGED = object()


@transaction.atomic
def source_update(
    *,
    source: Evidence,
    actor,
    expected_version: int | None = None,
    url=_UNCHANGED,
    stance=_UNCHANGED,
    quoted_passage=_UNCHANGED,
    title=_UNCHANGED,
    publisher=_UNCHANGED,
    accessed_on=_UNCHANGED,
    annotation=_UNCHANGED,
) -> Evidence:
    """Edit a span's source in place and record before and after.

    Stance and passage belong to this span's citation. A new URL cites another record
    (the URL's, created if new). Title, publisher and accessed date are the shared
    record's: changing them changes them for every span that cites it, so it takes
    permissions.can_change_source_record. `annotation` moves the citation to another
    span (the actor must be allowed to change both). A stale version is a Conflict.
    """
    stored, span = locked_source(source.pk)
    if not permissions.can_change_source(actor, span):
        raise PermissionDenied("Only the span's author or an editor can change its sources.")
    if expected_version is not None and expected_version != stored.version:
        raise Conflict(
            "Someone else changed this source while you were editing it; reload to see "
            "their version, then make your change again."
        )
    target = span
    if annotation is not _UNCHANGED and annotation.pk != stored.annotation_id:
        target = locked_annotation(annotation.pk, missing="The span to move it to was deleted.")
        if not permissions.can_change_source(actor, target):
            raise PermissionDenied("You cannot move a source to a span you cannot change.")
    before = history.snapshot_source(stored)
    changed = []
    if target is not span:
        stored.annotation = target
        changed.append("annotation")
    if url is not _UNCHANGED and _field_error("url", clean_url, url) != stored.source.url:
        stored.source, _ = source_record_for(url, actor=actor)
        changed.append("source")
    if stance is not _UNCHANGED and stance != stored.stance:
        if stance not in Evidence.Stance.values:
            raise ValidationError({"stance": f"“{stance}” is not a stance."})
        stored.stance = stance
        changed.append("stance")
    if quoted_passage is not _UNCHANGED:
        passage = offsets.canonical_text(quoted_passage or "").strip()
        if passage != stored.quoted_passage:
            stored.quoted_passage = passage
            changed.append("quoted_passage")
    if "source" in changed or "annotation" in changed:
        _refuse_twin(stored.annotation_id, stored.source, exclude=stored.pk)
    record_changes = {
        f: v
        for f, v in (("title", title), ("publisher", publisher), ("accessed_on", accessed_on))
        if v is not _UNCHANGED
    }
    if record_changes:
        stored.source = source_record_update(record=stored.source, actor=actor, **record_changes)
    if not changed:
        return stored
    stored.version += 1
    stored.save(update_fields=[*changed, "version"])
    history.record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=stored.pk,
        annotation_id=target.pk,
        article_id=target.article_id,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=history.snapshot_source(stored),
    )
    return stored


@transaction.atomic
def source_record_update(*, record: Source, actor, expected_version: int | None = None, **fields):
    """Change a shared record's title, publisher or accessed date (every citing span sees
    it); returns the stored record."""
    stored = locked_source_record(record.pk)
    wanted = {}
    for field, value in fields.items():
        if field not in RECORD_FIELDS:
            raise ValueError(f"{field} is not a field of a source record")
        wanted[field] = value if field == "accessed_on" else _text(value, field)
    changes = {f: v for f, v in wanted.items() if getattr(stored, f) != v}
    if not changes:
        return stored
    if not permissions.can_change_source_record(actor, stored):
        raise PermissionDenied(
            "This source is shared with other spans; only an editor or whoever added it "
            "can change its title, publisher or date."
        )
    if expected_version is not None and expected_version != stored.version:
        raise Conflict("Someone else changed this source; reload to see their version.")
    before = history.snapshot_source_record(stored)
    for field, value in changes.items():
        setattr(stored, field, value)
    stored.version += 1
    stored.save(update_fields=[*changes, "version"])
    history.record(
        kind=HistoryEvent.Kind.SOURCE_RECORD,
        obj_id=stored.pk,
        annotation_id=None,
        article_id=None,
        action=HistoryEvent.Action.UPDATE,
        actor=actor,
        before=before,
        after=history.snapshot_source_record(stored),
    )
    return stored


@transaction.atomic
def source_delete(*, source: Evidence, actor) -> None:
    """Remove a span's citation; the shared record stays for the other spans (and for
    a restore)."""
    stored, span = locked_source(source.pk)
    if not permissions.can_delete_source(actor, span):
        raise PermissionDenied("Only the span's author or an editor can remove its sources.")
    before = history.snapshot_source(stored)
    Evidence.objects.filter(pk=stored.pk).delete()
    history.record(
        kind=HistoryEvent.Kind.SOURCE,
        obj_id=stored.pk,
        annotation_id=span.pk,
        article_id=span.article_id,
        action=HistoryEvent.Action.DELETE,
        actor=actor,
        before=before,
    )


__all__ = [
    "ValidationError",
    "clean_url",
    "source_create",
    "source_delete",
    "source_record_for",
    "source_record_update",
    "source_update",
]


def source_records_by_url(records, *, actor) -> dict[str, Source]:
    """Many cited sources at once (an import): {URL as given: its stored record}, the new
    ones created in bulk from the first record naming them. `records` have url, title,
    publisher and accessed_on; a URL that does not clean is left out (checked before)."""
    wanted: dict[str, object] = {}
    given_to_url: dict[str, str] = {}
    refused: set[str] = set()
    for record in records:
        # An import cites the same few pages many times: each URL as given is cleaned once.
        if record.url in given_to_url or record.url in refused:
            continue
        try:
            url = clean_url(record.url)
        except ValidationError:
            refused.add(record.url)
            continue
        given_to_url[record.url] = url
        wanted.setdefault(url, record)
    if not wanted:
        return {}
    found = {}
    urls = list(wanted)
    for i in range(0, len(urls), 500):
        found.update((s.url, s) for s in Source.objects.filter(url__in=urls[i : i + 500]))
    missing = [
        Source(
            url=url,
            title=offsets.canonical_text(r.title or "").strip(),
            publisher=offsets.canonical_text(r.publisher or "").strip(),
            accessed_on=r.accessed_on,
            created_by_id=history.actor_id_of(actor),
        )
        for url, r in wanted.items()
        if url not in found
    ]
    if missing:
        Source.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
        new_urls = [s.url for s in missing]
        for i in range(0, len(new_urls), 500):
            found.update((s.url, s) for s in Source.objects.filter(url__in=new_urls[i : i + 500]))
    return {given: found[url] for given, url in given_to_url.items() if url in found}
