"""schema.org ClaimReview (JSON-LD): one ClaimReview per span, in one `@graph`.

The mapping, since ClaimReview was made for published verdicts and we record claims with
evidence:
- claimReviewed: the span's text; itemReviewed: a Claim whose `author` is the span's
  speaker (a Person or an Organization, as the speaker's kind says) and whose
  `appearance` is the news article (headline, author, date, publisher, original URL).
- author: the reviewer who marked the span; dateCreated: when; keywords: the label
  ("Claim", "Denial", ...).
- reviewRating and reviewBody, for a span with a verdict: the rating's name as
  `alternateName`, and for a verdict on the scale (value 1 and up) its `ratingValue`
  with the scale's `bestRating` and `worstRating` (its highest and lowest values; an
  off-scale verdict such as "unproven", value 0, has no number in that range, so it gets
  the name alone); reviewBody is the verdict's public explanation. The reviewer's note
  is internal and never published here.
- citation: the sources as CreativeWorks (url, name, publisher, the quoted passage as
  `text`, and the stance, "supports"/"refutes"/"context", as `keywords`). The day a
  source was read is left out: schema.org has no property for it.
- Spans without a verdict have no reviewRating and no reviewBody: we do not invent them.
- No offsets: schema.org has no place for them; the quote is the anchor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..base import ExportFormat, ExportOptions
from ..query import ExportArticle, ExportSpan, rating_scale_bounds
from ._json import dumps

CONTEXT = "https://schema.org"
_SPEAKER_TYPES = {"organization": "Organization"}  # any other kind is a Person


def _appearance(article: ExportArticle) -> dict:
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


class _ScaleBounds:
    """Each rating scale's (best, worst) values, read once, when the first verdict needs them."""

    def __init__(self):
        self._bounds: dict[str, tuple[int, int]] | None = None

    def __call__(self, scale: str) -> tuple[int, int] | None:
        if self._bounds is None:
            self._bounds = rating_scale_bounds()
        return self._bounds.get(scale)


def _rating(span: ExportSpan, bounds) -> dict | None:
    verdict = span.verdict
    if verdict is None or verdict.slug is None:
        return None
    rating: dict = {"@type": "Rating", "alternateName": verdict.name}
    scale = bounds(verdict.scale) if verdict.value else None
    if scale is not None:
        rating["ratingValue"] = verdict.value
        rating["bestRating"], rating["worstRating"] = scale
    return rating


def claim_review(
    article: ExportArticle,
    span: ExportSpan,
    options: ExportOptions,
    appearance: dict,
    bounds=None,
) -> dict:
    claim: dict = {"@type": "Claim", "appearance": appearance}
    if span.speaker:
        speaker_type = _SPEAKER_TYPES.get(span.speaker_kind, "Person")
        claim["author"] = {"@type": speaker_type, "name": span.speaker}
    review: dict = {
        "@type": "ClaimReview",
        "@id": options.annotation_iri(span.id),
        "claimReviewed": span.text,
        "itemReviewed": claim,
        "author": {"@type": "Person", "name": span.annotator},
        "dateCreated": span.created_at,
        "keywords": span.label_name,
    }
    if options.base_url:
        review["url"] = review["@id"]
    rating = _rating(span, bounds or _ScaleBounds())
    if rating is not None:
        review["reviewRating"] = rating
        if span.verdict.explanation:
            review["reviewBody"] = span.verdict.explanation
    citations = []
    for source in span.sources:
        work: dict = {"@type": "CreativeWork", "url": source.url, "keywords": source.stance}
        if source.title:
            work["name"] = source.title
        if source.publisher:
            work["publisher"] = {"@type": "Organization", "name": source.publisher}
        if source.quoted_passage:
            work["text"] = source.quoted_passage
        citations.append(work)
    if citations:
        review["citation"] = citations
    return review


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    yield f'{{"@context":"{CONTEXT}","@graph":[\n'
    separator = ""
    bounds = _ScaleBounds()
    for article in articles:
        appearance = _appearance(article)  # shared by the article's spans
        for span in article.spans:
            yield separator + dumps(claim_review(article, span, options, appearance, bounds))
            separator = ",\n"
    yield "\n]}\n"


FORMAT = ExportFormat(
    name="claimreview",
    label="schema.org ClaimReview",
    description=(
        "One ClaimReview per span (claim, speaker, article, verdict, sources) as JSON-LD; "
        "quotes, no offsets."
    ),
    extension="claimreview.jsonld",
    media_type="application/ld+json",
    offset_unit="none (quotes only)",
    render=render,
    order=40,
)
