"""schema.org ClaimReview (JSON-LD), ready to publish: one review per rated claim.

Each review is a standalone JSON-LD object with its own `"@context": "https://schema.org"`,
so any one of them can be pasted into a page's `<script type="application/ld+json">`
as it is. The file is a JSON array of them; the `claimreview-jsonl` format
(`export_dataset --format claimreview --jsonl`) writes the same objects one a line.

Only spans whose verdict has a rating are reviewed: a review without a rating fails
Google's required fields, so a span without one (no verdict, an explanation written
before a rating was chosen, a label that takes no verdict) is left out and counted in
`options.notes.without_verdict`, which the page and the command report.

The mapping (Google's ClaimReview structured data: required claimReviewed, reviewRating,
url, author; recommended itemReviewed, datePublished):
- claimReviewed: the span's text.
- reviewRating: a Rating with the verdict's name as `alternateName`, and for a verdict on
  the scale (value 1 and up) its `ratingValue` with the scale's `bestRating` and
  `worstRating` (query.rating_scale_bounds: its highest and lowest values). An
  off-scale verdict ("unproven", value 0) has no number in that range: the name alone.
- url: the public page of the review, settings.FACTCHECK_REVIEW_URL_TEMPLATE with
  `{span_id}` filled in.
- author: the organisation, settings.FACTCHECK_ORGANISATION_NAME and _URL.
- datePublished: the day the verdict was given (verdict_at, in the site's time zone).
- reviewBody: the verdict's public explanation. The reviewer's note is internal and
  never published; neither are reviewers' names.
- itemReviewed: a Claim whose `author` is the speaker (a Person with `jobTitle` and
  `url`, or an Organization, as the speaker's kind says), `datePublished` the
  article's, and `appearance` the news article (url = its source URL, headline, author,
  publisher).
- citation: the sources as CreativeWorks (url, name, publisher, the quoted passage as
  `text`, the stance, "supports"/"refutes"/"context", as `keywords`).
- No offsets: schema.org has no place for them; the quote is the anchor.

Every string is escaped for a <script> element (formats/_jsonld.py): `</script>` in a
quote or an explanation comes out as `\\u003c/script\\u003e`, which JSON reads back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from ..base import ExportFormat, ExportOptions
from ..query import ExportArticle, ExportFilters, ExportSpan, matching_spans, rating_scale_bounds
from ._jsonld import dumps

CONTEXT = "https://schema.org"
MEDIA_TYPE = "application/ld+json"
_SPEAKER_TYPES = {"organization": "Organization"}  # any other kind is a Person


class _ScaleBounds:
    """Each rating scale's (best, worst) values, read once, when the first verdict needs them."""

    def __init__(self):
        self._bounds: dict[str, tuple[int, int]] | None = None

    def __call__(self, scale: str | None) -> tuple[int, int] | None:
        if self._bounds is None:
            self._bounds = rating_scale_bounds()
        return self._bounds.get(scale)


def is_reviewable(span: ExportSpan) -> bool:
    """A span becomes a ClaimReview only with a rated verdict (Google requires a rating)."""
    return span.verdict is not None and span.verdict.slug is not None


def _day(iso: str) -> str:
    """An ISO 8601 instant as the day it was in the site's time zone."""
    return timezone.localtime(datetime.fromisoformat(iso)).date().isoformat()


def organisation() -> dict:
    found = {"@type": "Organization", "name": settings.FACTCHECK_ORGANISATION_NAME}
    if settings.FACTCHECK_ORGANISATION_URL:
        found["url"] = settings.FACTCHECK_ORGANISATION_URL
    return found


def review_url(span_id: int) -> str:
    # A plain replace, not str.format: a template with other braces ("{id}", a literal
    # "{") must not raise in the middle of a streamed download.
    return settings.FACTCHECK_REVIEW_URL_TEMPLATE.replace("{span_id}", str(span_id))


def appearance(article: ExportArticle) -> dict:
    work: dict = {"@type": "NewsArticle", "headline": article.title}
    if article.source_url:
        work["url"] = article.source_url
    if article.author:
        work["author"] = {"@type": "Person", "name": article.author}
    if article.published_at:
        work["datePublished"] = article.published_at.isoformat()
    if article.publisher:
        work["publisher"] = {"@type": "Organization", "name": article.publisher}
    return work


def _speaker(span: ExportSpan) -> dict:
    kind = _SPEAKER_TYPES.get(span.speaker_kind, "Person")
    speaker: dict = {"@type": kind, "name": span.speaker}
    if span.speaker_role and kind == "Person":  # jobTitle is a Person's property
        speaker["jobTitle"] = span.speaker_role
    if span.speaker_url:
        speaker["url"] = span.speaker_url
    return speaker


def _rating(span: ExportSpan, bounds) -> dict:
    verdict = span.verdict
    rating: dict = {"@type": "Rating", "alternateName": verdict.name}
    scale = bounds(verdict.scale) if verdict.value else None
    if scale is not None:
        rating["ratingValue"] = verdict.value
        rating["bestRating"], rating["worstRating"] = scale
    return rating


def _citation(source) -> dict:
    work: dict = {"@type": "CreativeWork", "url": source.url, "keywords": source.stance}
    if source.title:
        work["name"] = source.title
    if source.publisher:
        work["publisher"] = {"@type": "Organization", "name": source.publisher}
    if source.quoted_passage:
        work["text"] = source.quoted_passage
    return work


def claim_review(
    article: ExportArticle, span: ExportSpan, *, where: dict, author: dict, bounds
) -> dict:
    """The ClaimReview of one rated span (check is_reviewable first)."""
    claim: dict = {"@type": "Claim"}
    if span.speaker:
        claim["author"] = _speaker(span)
    if article.published_at:
        claim["datePublished"] = article.published_at.isoformat()
    claim["appearance"] = where
    review: dict = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": review_url(span.id),
        "claimReviewed": span.text,
        "reviewRating": _rating(span, bounds),
        "author": author,
        "itemReviewed": claim,
    }
    if span.verdict.at:
        review["datePublished"] = _day(span.verdict.at)
    if span.verdict.explanation:
        review["reviewBody"] = span.verdict.explanation
    if span.sources:
        review["citation"] = [_citation(source) for source in span.sources]
    return review


def reviews(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    """Each rated span's ClaimReview as script-safe JSON text; the others are counted."""
    bounds = _ScaleBounds()
    author = organisation()
    for article in articles:
        where = None  # shared by the article's reviews, built for the first one
        for span in article.spans:
            if not is_reviewable(span):
                options.notes.without_verdict += 1
                continue
            if where is None:
                where = appearance(article)
            yield dumps(claim_review(article, span, where=where, author=author, bounds=bounds))


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    """A JSON array, one review a line; `[]` when nothing is rated."""
    opening = "[\n"
    for review in reviews(articles, options):
        yield opening + review
        opening = ",\n"
    yield "[]\n" if opening == "[\n" else "\n]\n"


def render_lines(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    """One review a line (JSON Lines); an empty file when nothing is rated."""
    for review in reviews(articles, options):
        yield review + "\n"


def preview(filters: ExportFilters, viewer=None) -> list[str]:
    """The page's warning: how many matching spans (that the viewer's export holds) have
    no rating, in one count."""
    unrated = matching_spans(filters, viewer).filter(verdict__isnull=True).count()
    if not unrated:
        return []
    return [
        f"{unrated:,} span{'s' if unrated != 1 else ''} without a verdict will be left out "
        "(a ClaimReview needs a rating)."
    ]


FORMAT = ExportFormat(
    name="claimreview",
    label="schema.org ClaimReview",
    description=(
        "One ClaimReview per rated claim (verdict, speaker, article, sources) as JSON-LD "
        "to publish; claims without a verdict are left out."
    ),
    extension="claimreview.jsonld",
    media_type=MEDIA_TYPE,
    offset_unit="none (quotes only)",
    render=render,
    order=40,
    uses_relations=False,
    preview=preview,
)
