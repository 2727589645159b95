"""W3C Web Annotation (JSON-LD): one AnnotationCollection with an embedded page of items.

Each span is an Annotation (motivation `tagging`) whose target is the article with two
selectors: a TextPositionSelector and a TextQuoteSelector (exact, and up to 32 code
points of prefix/suffix). The model counts TextPositionSelector positions in "characters"
(its test-suite schemas only ask for non-negative integers; which unit was meant was
W3C web-annotation issue #206); ours are Unicode code points (Python `str` indices), never
UTF-16 code units, and the collection's label says so. The quote selector lets a consumer
check or re-anchor every span whatever unit it assumes.

The text: the first annotation of each article gives its target's source as the article
itself, an External Web Resource of type `Text` (dctypes:Text) with `format` text/plain,
its title as `label` and its whole text as `value` (rdf:value), so the file alone is
enough to import the articles again (importers/w3c.py). The article's later annotations
name that source by its id only: in JSON-LD that is the same node, and the text is written
once, not once per span. (The test suite forbids `TextualBody` as a target or a target's
source, hence `Text`.)

Bodies: the label (a `tagging` TextualBody, value = label slug), the note
(`commenting`), the speaker (`describing`, labelled "speaker") and each source
(`linking`: a SpecificResource on the source URL, with a TextQuoteSelector for the
quoted passage). Ids are links to this site when the export knows its address, else
`urn:factcheck:` names. `total` is left out: the collection is streamed, not counted.
Strings are escaped for a <script> element (`<`, `>`, `&` as \\u003c..., formats/_jsonld.py).

The records are written as text, not dicts handed to json: the same bytes (keys in the
same order, each string by json's own `encode_basestring`, compact separators) in about
half the time, the per-article parts made once and one <script> escape per article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring

from ...offsets import CONTEXT_WIDTH
from ..base import CODE_POINTS, ExportFormat, ExportOptions
from ..query import ExportArticle, ExportSpan
from ._json import dumps as _plain_dumps
from ._jsonld import dumps, script_safe

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
TEXT_FORMAT = "text/plain"

_STANCE = {
    "supports": "Supports the annotated text.",
    "refutes": "Refutes the annotated text.",
    "context": "Gives context to the annotated text.",
}
_STANCE_JSON = {stance: encode_basestring(text) for stance, text in _STANCE.items()}


def _json(value) -> str:
    """A value json would write: strings the fast way, anything else (None) by json."""
    return encode_basestring(value) if value.__class__ is str else _plain_dumps(value)


def source_resource(article: ExportArticle, options: ExportOptions) -> dict:
    """The article as its annotations' target source: an External Web Resource that
    carries its title and its text (the text last: it is the long part)."""
    resource = {"id": options.article_iri(article.id), "type": "Text", "format": TEXT_FORMAT}
    if article.title:
        resource["label"] = article.title
    resource["value"] = article.text
    return resource


class _Writer:
    """The JSON text of one article's annotations; the per-article parts made once."""

    __slots__ = ("annotation_iri", "article", "options", "text")

    def __init__(self, article: ExportArticle, options: ExportOptions):
        self.article, self.options, self.text = article, options, article.text
        self.annotation_iri = options.annotation_iri

    def record(self, span: ExportSpan, source: str) -> str:
        """One Annotation; `source` is its target's source, as JSON."""
        text, start, end = self.text, span.start, span.end
        parts = [
            '{"id":',
            encode_basestring(self.annotation_iri(span.id)),
            ',"type":"Annotation","motivation":"tagging","created":',
            _json(span.created_at),
            ',"creator":{"type":"Person","nickname":',
            _json(span.annotator),
            '},"body":[{"type":"TextualBody","purpose":"tagging","value":',
            encode_basestring(span.label),
            "}",
        ]
        if span.note:
            parts.append(',{"type":"TextualBody","purpose":"commenting","value":')
            parts.append(encode_basestring(span.note))
            parts.append("}")
        if span.speaker:
            parts.append(',{"type":"TextualBody","purpose":"describing","label":"speaker","value":')
            parts.append(encode_basestring(span.speaker))
            parts.append("}")
        for cited in span.sources:
            parts.append(',{"type":"SpecificResource","purpose":"linking","source":')
            parts.append(encode_basestring(cited.url))
            if cited.title:
                parts.append(',"label":')
                parts.append(encode_basestring(cited.title))
            if cited.quoted_passage:
                parts.append(',"selector":{"type":"TextQuoteSelector","exact":')
                parts.append(encode_basestring(cited.quoted_passage))
                parts.append("}")
            parts.append(',"dcterms:description":')
            stance = _STANCE_JSON.get(cited.stance)
            parts.append(stance if stance is not None else _json(cited.stance))
            if cited.publisher:
                parts.append(',"dcterms:publisher":')
                parts.append(encode_basestring(cited.publisher))
            parts.append("}")
        parts.append('],"target":{"type":"SpecificResource","source":')
        parts.append(source)
        parts.append(',"selector":[{"type":"TextPositionSelector","start":')
        parts.append(f'{start:d},"end":{end:d}}},{{"type":"TextQuoteSelector","exact":')
        # span.text is text[start:end] (checked by the query before a span is yielded).
        parts.append(encode_basestring(span.text))
        prefix = text[max(0, start - CONTEXT_WIDTH) : start]
        if prefix:
            parts.append(',"prefix":')
            parts.append(encode_basestring(prefix))
        suffix = text[end : end + CONTEXT_WIDTH]
        if suffix:
            parts.append(',"suffix":')
            parts.append(encode_basestring(suffix))
        parts.append("}]}}")
        return "".join(parts)

    def records(self, spans: list[ExportSpan]) -> str:
        """The article's annotations joined by ",\\n": the first carries the article's
        text, the others name it by its id."""
        article, options = self.article, self.options
        records = [self.record(spans[0], _plain_dumps(source_resource(article, options)))]
        source_id = encode_basestring(options.article_iri(article.id))
        for span in spans[1:]:
            records.append(self.record(span, source_id))
        return ",\n".join(records)


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
        if article.spans:
            # One escape for the article's records: the separators between them hold
            # nothing that needs it.
            yield separator + script_safe(_Writer(article, options).records(article.spans))
            separator = ",\n"
    yield "\n]}}\n"


FORMAT = ExportFormat(
    name="w3c",
    label="W3C Web Annotation",
    description=(
        "JSON-LD annotations with text position and quote selectors and each article's "
        "text, for annotation tools; imports back."
    ),
    extension="w3c.jsonld",
    media_type=MEDIA_TYPE,
    offset_unit=CODE_POINTS,
    render=render,
    order=30,
    # Links between spans are not in this format: skip reading them.
    uses_relations=False,
)
