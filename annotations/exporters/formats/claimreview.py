"""schema.org ClaimReview (JSON-LD): one ClaimReview per span, in one `@graph`.

The mapping, since ClaimReview was made for published verdicts and we record claims with
evidence:
- claimReviewed: the span's text; itemReviewed: a Claim whose `author` is the span's
  speaker and whose `appearance` is the news article (headline, author, date, publisher,
  original URL).
- author: the reviewer who marked the span; dateCreated: when; reviewBody: their note;
  keywords: the label ("Claim", "Denial", ...).
- citation: the sources as CreativeWorks (url, name, publisher, the quoted passage as
  `text`, and the stance, "supports"/"refutes"/"context", as `keywords`). The day a
  source was read is left out: schema.org has no property for it.
- No reviewRating: we have no verdicts and do not invent them.
- No offsets: schema.org has no place for them; the quote is the anchor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..base import ExportFormat, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._json import dumps

CONTEXT = "https://schema.org"


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


def claim_review(
    article: ExportArticle, span: ExportSpan, options: ExportOptions, appearance: dict
) -> dict:
    claim: dict = {"@type": "Claim", "appearance": appearance}
    if span.speaker:
        claim["author"] = {"@type": "Person", "name": span.speaker}
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
    if span.note:
        review["reviewBody"] = span.note
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
    for article in articles:
        appearance = _appearance(article)  # shared by the article's spans
        for span in article.spans:
            yield separator + dumps(claim_review(article, span, options, appearance))
            separator = ",\n"
    yield "\n]}\n"


FORMAT = ExportFormat(
    name="claimreview",
    label="schema.org ClaimReview",
    description=(
        "One ClaimReview per span (claim, speaker, article, sources) as JSON-LD; "
        "quotes, no offsets."
    ),
    extension="claimreview.jsonld",
    media_type="application/ld+json",
    offset_unit="none (quotes only)",
    render=render,
    order=40,
)
