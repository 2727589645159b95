"""Does a parsed record fit our models? Checked before anything is written.

Field limits come from the models themselves, so PostgreSQL never has to refuse a value
half-way through a bulk insert (SQLite would silently store it).

These run once per record of a file that may hold thousands, so what does not change from
one record to the next (choices, field limits, the verdict on a URL seen before) is worked
out once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from functools import cache, lru_cache

from django.core.exceptions import ValidationError

from ..models import Article, Evidence, Relation, Source, Speaker
from ..models.source import http_url
from ..offsets import is_blank
from ..weburl import MAX_PORT, port_problem
from .base import ArticleRecord, SpanRecord
from .limits import long_run_problem

# `Status.values` rebuilds its list on every access.
_STATUSES = frozenset(Article.Status.values)
_STATUS_LIST = ", ".join(Article.Status.values)
_STANCES = frozenset(Evidence.Stance.values)
_STANCE_LIST = ", ".join(Evidence.Stance.values)
_KINDS = frozenset(Speaker.Kind.values)
_KIND_LIST = ", ".join(Speaker.Kind.values)
_RELATION_TYPES = frozenset(Relation.Type.values)
_RELATION_TYPE_LIST = ", ".join(Relation.Type.values)


def record_problem(
    record: ArticleRecord,
    *,
    label_slugs: Collection[str],
    verdict_labels: Collection[str] = (),
    ratings: Mapping[tuple[str, str], int] | None = None,
    rating_refusal: Callable[[int], str | None] | None = None,
) -> str | None:
    """Why this record cannot be stored, or None. `label_slugs`: the labels that exist;
    `verdict_labels`: those whose spans take a verdict; `ratings`: the verdicts that
    exist, by (scale name, slug); `rating_refusal`: why a span of the new article may not
    be given the rating of that id (permissions.rating_refusal), or None. A verdict's
    empty scale is the default's, filled in before this is called."""
    if is_blank(record.title):
        return "the article has no title"
    if is_blank(record.body):
        return "the article has no text"
    if problem := long_run_problem(record.body):
        return problem
    for field in ("title", "author", "publisher", "source_url"):
        problem = _too_long(Article, field, getattr(record, field))
        if problem:
            return problem
    if record.source_url and (problem := url_problem(record.source_url)):
        return f"source_url: {problem}"
    if record.status and record.status not in _STATUSES:
        return f"unknown status “{record.status}” (use one of: {_STATUS_LIST})"
    for index, span in enumerate(record.spans, start=1):
        if span.label not in label_slugs:
            return f"span {index}: unknown label “{span.label}” (add it in the admin first)"
        if problem := _too_long(Speaker, "name", span.speaker):
            return f"span {index}: {problem}"
        if problem := _speaker_problem(span) or _verdict_problem(
            span, verdict_labels, ratings, rating_refusal
        ):
            return f"span {index}: {problem}"
        for number, link in enumerate(span.relations, start=1):
            if link.type not in _RELATION_TYPES:
                return (
                    f"span {index}, relation {number}: unknown type “{link.type}” "
                    f"(use one of: {_RELATION_TYPE_LIST})"
                )
        for number, source in enumerate(span.sources, start=1):
            where = f"span {index}, source {number}"
            if problem := url_problem(source.url) or _too_long(Source, "url", source.url):
                return f"{where}: {problem}"
            if source.stance not in _STANCES:
                return f"{where}: unknown stance “{source.stance}” (use one of: {_STANCE_LIST})"
            for field in ("title", "publisher"):
                if problem := _too_long(Source, field, getattr(source, field)):
                    return f"{where}: {problem}"
    return None


def _speaker_problem(span: SpanRecord) -> str | None:
    details = span.speaker_details
    if details is None:
        return None
    if details.kind and details.kind not in _KINDS:
        return f"unknown speaker kind “{details.kind}” (use one of: {_KIND_LIST})"
    if problem := _too_long(Speaker, "role", details.role):
        return f"speaker {problem}"
    if details.url and (
        problem := url_problem(details.url) or _too_long(Speaker, "url", details.url)
    ):
        return f"speaker url: {problem}"
    return None


def _verdict_problem(
    span: SpanRecord,
    verdict_labels: Collection[str],
    ratings: Mapping | None,
    rating_refusal: Callable[[int], str | None] | None = None,
) -> str | None:
    verdict = span.verdict
    if verdict is None or not verdict.slug:
        return None
    if not verdict.scale:
        return f"the verdict “{verdict.slug}” names no scale, and there is no default scale"
    key = (verdict.scale, verdict.slug)
    if key not in (ratings or {}):
        return (
            f"unknown verdict “{verdict.slug}” on the rating scale “{verdict.scale}” "
            "(add it in the admin first)"
        )
    if span.label not in verdict_labels:
        return (
            f"a “{span.label}” span carries no verdict: only spans whose label takes a "
            "verdict (claims) are rated"
        )
    if rating_refusal is not None and (refusal := rating_refusal(ratings[key])):
        return refusal
    return None


def _too_long(model, field: str, value: str) -> str | None:
    limit = _max_length(model, field)
    if limit is not None and len(value) > limit:
        return f"“{field}” is {len(value):,} characters long (at most {limit:,})"
    return None


@cache
def _max_length(model, field: str) -> int | None:
    return model._meta.get_field(field).max_length


# URLValidator costs tens of microseconds a call, and an export cites the same few URLs
# (a site's address, a source quoted by many spans) over and over. The verdict depends on
# the string alone; the bound keeps a file of all-different URLs from growing the cache.
# A plain web address: http(s), a host of ASCII labels under an alphabetic top-level
# domain, an optional port (at most MAX_PORT), then printable ASCII. Every such URL is
# one http_url accepts and canonical_url reads (tests/test_import_plain_urls.py checks
# it, by hypothesis); it is matched in a tenth of URLValidator's time, which was 0.1 s of
# the bench's 10,000 article addresses. Any other URL is for url_problem to judge.
_PLAIN_URL = re.compile(
    r"https?://((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
    r"(?::([0-9]{1,5}))?(?:[/?#][!-~]*)?",
    re.IGNORECASE,
)
_MAX_URL_LENGTH = getattr(http_url, "max_length", 2048)
_MAX_HOST_LENGTH = 253  # as URLValidator's


def plain_url(url: str) -> bool:
    """Is `url` a plain web address (_PLAIN_URL), which http_url would accept?"""
    if len(url) > _MAX_URL_LENGTH:
        return False
    match = _PLAIN_URL.fullmatch(url)
    return (
        match is not None
        and len(match[1]) <= _MAX_HOST_LENGTH
        and (match[2] is None or int(match[2]) <= MAX_PORT)
    )


@lru_cache(maxsize=4096)
def url_problem(url: str) -> str | None:
    """Why the import does not take `url` as a web address (a record's source_url, a
    cited source's, a speaker's, a page's canonical link), or None. URLValidator takes
    a port past 65535, which canonical_url then cannot read: refused here, by name."""
    if plain_url(url):
        return None
    if problem := port_problem(url):
        return problem
    try:
        http_url(url)
    except ValidationError as error:
        return f"{error.messages[0]} (got {url[:80]!r})"
    return None
