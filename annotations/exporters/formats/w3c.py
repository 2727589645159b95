"""W3C Web Annotation (JSON-LD): one AnnotationCollection with an embedded page of items.

Each span is an Annotation (motivation `tagging`) whose target is the article with two
selectors: a TextPositionSelector and a TextQuoteSelector (exact, and up to 32 code
points of prefix/suffix). The model counts TextPositionSelector positions in "characters"
(its test-suite schemas only ask for non-negative integers; which unit was meant was
W3C web-annotation issue #206); ours are Unicode code points (Python `str` indices), never
UTF-16 code units, and the collection's label says so. The quote selector lets a consumer
check or re-anchor every span whatever unit it assumes.

Bodies: the label (a `tagging` TextualBody, value = label slug), the note
(`commenting`), the speaker (`describing`, labelled "speaker") and each source
(`linking`: a SpecificResource on the source URL, with a TextQuoteSelector for the
quoted passage). Ids are links to this site when the export knows its address, else
`urn:factcheck:` names. `total` is left out: the collection is streamed, not counted.
Strings are escaped for a <script> element (`<`, `>`, `&` as \\u003c..., formats/_jsonld.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ...offsets import quote_selector
from ..base import CODE_POINTS, ExportFormat, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._jsonld import dumps

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'

_STANCE = {
    "supports": "Supports the annotated text.",
    "refutes": "Refutes the annotated text.",
    "context": "Gives context to the annotated text.",
}


def annotation_record(article: ExportArticle, span: ExportSpan, options: ExportOptions) -> dict:
    context = quote_selector(article.text, span.start, span.end)
    quote = {"type": "TextQuoteSelector", "exact": context.exact}
    if context.prefix:
        quote["prefix"] = context.prefix
    if context.suffix:
        quote["suffix"] = context.suffix
    body: list[dict] = [{"type": "TextualBody", "purpose": "tagging", "value": span.label}]
    if span.note:
        body.append({"type": "TextualBody", "purpose": "commenting", "value": span.note})
    if span.speaker:
        body.append(
            {
                "type": "TextualBody",
                "purpose": "describing",
                "label": "speaker",
                "value": span.speaker,
            }
        )
    for source in span.sources:
        link = {"type": "SpecificResource", "purpose": "linking", "source": source.url}
        if source.title:
            link["label"] = source.title
        if source.quoted_passage:
            link["selector"] = {"type": "TextQuoteSelector", "exact": source.quoted_passage}
        link["dcterms:description"] = _STANCE.get(source.stance, source.stance)
        if source.publisher:
            link["dcterms:publisher"] = source.publisher
        body.append(link)
    return {
        "id": options.annotation_iri(span.id),
        "type": "Annotation",
        "motivation": "tagging",
        "created": span.created_at,
        "creator": {"type": "Person", "nickname": span.annotator},
        "body": body,
        "target": {
            "type": "SpecificResource",
            "source": options.article_iri(article.id),
            "selector": [
                {"type": "TextPositionSelector", "start": span.start, "end": span.end},
                quote,
            ],
        },
    }


def render(articles: Iterable[ExportArticle], options: ExportOptions) -> Iterator[str]:
    collection = options.export_iri()
    head = dumps(
        {
            "@context": CONTEXT,
            "id": collection,
            "type": "AnnotationCollection",
            "label": (
                "Factcheck annotations; TextPositionSelector offsets count Unicode code points"
            ),
            "first": {"id": f"{collection}#page-1", "type": "AnnotationPage", "startIndex": 0},
        }
    )
    # Streamed by hand: "first" is the last key, so dropping the closing "}}" leaves the
    # page open for its items array, which is closed after the last one.
    yield head[:-2] + ',"items":[\n'
    separator = ""
    for article in articles:
        for span in article.spans:
            yield separator + dumps(annotation_record(article, span, options))
            separator = ",\n"
    yield "\n]}}\n"


FORMAT = ExportFormat(
    name="w3c",
    label="W3C Web Annotation",
    description="JSON-LD annotations with text position and quote selectors, for annotation tools.",
    extension="w3c.jsonld",
    media_type=MEDIA_TYPE,
    offset_unit=CODE_POINTS,
    render=render,
    order=30,
)
