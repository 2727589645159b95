"""W3C Web Annotation (JSON-LD): annotations on texts, read back into spans.

Reads what the W3C export writes (exporters/formats/w3c.py): an AnnotationCollection
whose first page holds the items; a page, a bare array of annotations or one annotation
also do. Each Annotation is one span of the article its target's `source` names:
- where: the TextPositionSelector (code points), checked against the TextQuoteSelector's
  `exact`; with a quote only, the quote is found in the text (its prefix and suffix
  choosing between occurrences);
- its bodies: the `tagging` TextualBody is the label slug, `commenting` the note, a
  `describing` one labelled "speaker" the speaker, and each `linking` SpecificResource a
  cited source (URL, `label` as title, its TextQuoteSelector as the quoted passage, its
  `dcterms:description` as the stance, `dcterms:publisher`);
- `creator` (a nickname, name or string) is the annotator, `created` the span's time.

The text: an annotation only points at its article, so the file must carry the text for
an article to be created here: a target `source` given as an embedded resource,
{"id": ..., "type": "Text", "value": "the text", "label": "the title"}. Our export writes
it so in each article's first annotation and names the source by its id in the others
(the same JSON-LD node), so the annotations of one id share the text given once. A file
whose sources are links only (other tools' files, or our exports before they carried the
text) is refused as a whole, saying so: there is no text to anchor the spans in; an
article whose annotations are links only, in a file that gives other articles' texts, is
refused on its own.

The annotations of one source form one article; one that does not fit (a quote that is
not the text at its position, no label, ...) refuses that article, named by its number
and id, so no article is stored without some of its spans; the others still import.
"""

from __future__ import annotations

import json

from ..exporters.formats.w3c import _STANCE
from ..offsets import SpanError, canonical_text, check_span, find_quote, is_blank
from . import fields, limits, strict_json
from .base import (
    ArticleRecord,
    ImportFormat,
    ImportRefused,
    LineError,
    ParseResult,
    SourceRecord,
    SpanRecord,
)

NAME = "w3c"
VOCABULARIES = ("http://www.w3.org/ns/anno.jsonld", "https://www.w3.org/ns/anno.jsonld")
_STANCE_OF = {description: stance for stance, description in _STANCE.items()}
_HEAD = 4096


def sniff(text: str) -> bool:
    """A JSON(-LD) object or array that names the Web Annotation context near its start
    and says it holds an Annotation (or a collection or page of them)."""
    head = text.lstrip()[:_HEAD]
    if head[:1] not in ("{", "[") or '"@context"' not in head:
        return False
    if not any(vocabulary.split("//", 1)[1] in head for vocabulary in VOCABULARIES):
        return False
    return any(f'"{kind}"' in head for kind in ("Annotation", "AnnotationCollection"))


def parse(text: str, *, name: str = "") -> ParseResult:
    if limits.json_depth_exceeded(text):
        raise ImportRefused(
            f"The W3C file is nested more than {limits.MAX_JSON_DEPTH} levels deep."
        )
    try:
        data = strict_json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(
            f"The W3C annotation file is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})."
        ) from None
    except strict_json.ValueRefused as error:
        # One document: the value cannot be refused alone, so the file is, saying where.
        raise ImportRefused(f"The W3C annotation file cannot be imported: {error}.") from None
    items = annotation_items(data)
    groups: dict[str, list[tuple[int, dict]]] = {}
    texts: dict[str, dict] = {}
    # Sources whose id is given with two different texts: which one the spans' offsets
    # count in is unknown, so their article is refused rather than guessed.
    conflicting: set[str] = set()
    result = ParseResult(records=[])
    for number, item in enumerate(items, start=1):
        try:
            source = _target_source(item)
        except LineError as error:
            result.refused.append((number, f"annotation {number}{_id(item)}: {error}"))
            continue
        key = source if isinstance(source, str) else str(source.get("id") or f"#{number}")
        groups.setdefault(key, []).append((number, item))
        if isinstance(source, dict) and isinstance(source.get("value"), str):
            known = texts.setdefault(key, source)
            if known["value"] != source["value"]:
                conflicting.add(key)
    if groups and not texts:
        first = next(iter(groups))
        raise ImportRefused(
            "The W3C annotations point at their articles by link (e.g. “"
            f"{first}”) without the articles' text, so there is nothing to anchor their "
            "spans in: give each target's source as an embedded resource with its text "
            '({"id": ..., "value": "the text"}), or import the articles with the native '
            "JSONL export instead."
        )
    for key, members in groups.items():
        line = members[0][0]
        try:
            if key in conflicting:
                raise LineError(f"the source “{key}” is given with two different texts")
            record = _article(key, texts.get(key), members)
        except LineError as error:
            result.refused.append((line, str(error)))
        else:
            record.line = line
            result.records.append(record)
    return result


def annotation_items(data) -> list:
    """The annotations of a collection (its first page's items), a page, an array or one."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise ImportRefused("A W3C annotation file is a JSON object or array.")
    kinds = _types(data)
    if "Annotation" in kinds:
        return [data]
    if "AnnotationCollection" in kinds:
        page = data.get("first")
        if isinstance(page, dict):
            data = page
        elif "items" not in data:
            raise ImportRefused(
                "The AnnotationCollection embeds no page of items (its “first” is a link); "
                "download the page itself."
            )
    items = data.get("items")
    if not isinstance(items, list):
        raise ImportRefused("The W3C file holds no “items” list of annotations.")
    return items


def _article(key: str, source: dict | None, annotations: list[tuple[int, dict]]) -> ArticleRecord:
    if source is None:
        number, item = annotations[0]
        raise LineError(
            f"annotation {number}{_id(item)}: its target source “{key}” is a link without "
            "the article's text"
        )
    body = canonical_text(source["value"])
    if is_blank(body):
        raise LineError(f"the source “{key}” has an empty text")
    spans = []
    for number, item in annotations:
        try:
            spans.append(_span(item, body))
        except LineError as error:
            raise LineError(f"annotation {number}{_id(item)}: {error}") from None
    title = source.get("label") if isinstance(source.get("label"), str) else ""
    return ArticleRecord(
        title=" ".join(canonical_text(title).split()) or fields.first_line(body),
        body=body,
        metadata={"format": NAME, "original_id": fields.clean_value(key)},
        spans=spans,
    )


def _span(item: dict, body: str) -> SpanRecord:
    if "Annotation" not in _types(item):
        raise LineError("is not of type “Annotation”")
    start, end = _where(item, body)
    span = SpanRecord(start=start, end=end, label="")
    for part in _as_list(item.get("body")):
        if not isinstance(part, dict):
            continue
        purpose = part.get("purpose")
        value = part.get("value")
        if purpose == "tagging" and isinstance(value, str):
            if span.label:
                raise LineError("has more than one “tagging” body (one label a span)")
            span.label = canonical_text(value).strip()
        elif purpose == "commenting" and isinstance(value, str):
            span.note = canonical_text(value).strip()
        elif purpose == "describing" and part.get("label") == "speaker" and isinstance(value, str):
            span.speaker = " ".join(canonical_text(value).split())
        elif purpose == "linking":
            span.sources.append(_source(part))
    if not span.label:
        raise LineError("has no “tagging” body naming its label")
    creator = item.get("creator")
    if isinstance(creator, dict):
        creator = creator.get("nickname") or creator.get("name") or ""
    span.annotator = canonical_text(creator).strip() if isinstance(creator, str) else ""
    span.created_at = fields.datetime_field(item, "created")
    return span


def _where(item: dict, body: str) -> tuple[int, int]:
    """The span's [start, end): the position selector checked against the quote, or the
    quote found in the text."""
    position = quote = None
    for target in _as_list(item.get("target")):
        if not isinstance(target, dict):
            continue
        for selector in _as_list(target.get("selector")):
            if not isinstance(selector, dict):
                continue
            kind = selector.get("type")
            if kind == "TextPositionSelector" and position is None:
                position = selector
            elif kind == "TextQuoteSelector" and quote is None:
                quote = selector
    exact = quote.get("exact") if quote else None
    if exact is not None and not isinstance(exact, str):
        raise LineError("its TextQuoteSelector “exact” must be a string")
    exact = None if exact is None else canonical_text(exact)
    if position is not None:
        start, end = position.get("start"), position.get("end")
        try:
            check_span(body, start, end)
        except SpanError as error:
            raise LineError(f"TextPositionSelector [{start}, {end}): {error}") from None
        if exact is not None and body[start:end] != exact:
            raise LineError(
                f"its TextQuoteSelector “{_short(exact)}” is not the text at its "
                f"TextPositionSelector [{start}, {end}) (“{_short(body[start:end])}”)"
            )
        return start, end
    if exact:
        prefix, suffix = (quote.get(key) for key in ("prefix", "suffix"))
        found = find_quote(
            body,
            exact,
            prefix if isinstance(prefix, str) else "",
            suffix if isinstance(suffix, str) else "",
        )
        if found is None:
            raise LineError(f"its TextQuoteSelector “{_short(exact)}” is not in the text")
        return found
    raise LineError("has no TextPositionSelector nor TextQuoteSelector on its target")


def _source(part: dict) -> SourceRecord:
    url = part.get("source")
    if isinstance(url, dict):
        url = url.get("id")
    if not isinstance(url, str) or not url.strip():
        raise LineError("a “linking” body has no source URL")
    passage = ""
    selector = part.get("selector")
    if isinstance(selector, dict) and isinstance(selector.get("exact"), str):
        passage = canonical_text(selector["exact"]).strip()
    description = part.get("dcterms:description")
    stance = "context"
    if isinstance(description, str) and description:
        stance = _STANCE_OF.get(description, description)
    return SourceRecord(
        url=url.strip(),
        title=fields.text_field(part, "label"),
        publisher=fields.text_field(part, "dcterms:publisher"),
        stance=stance,
        quoted_passage=passage,
    )


def _target_source(item) -> str | dict:
    if not isinstance(item, dict):
        raise LineError("must be a JSON object")
    for target in _as_list(item.get("target")):
        source = target.get("source") if isinstance(target, dict) else target
        if isinstance(source, str) and source:
            return source
        if isinstance(source, dict) and (source.get("id") or isinstance(source.get("value"), str)):
            return source
    raise LineError("has no target source (the article it annotates)")


def _types(data: dict) -> set:
    kinds = data.get("type", data.get("@type"))
    return {k for k in _as_list(kinds) if isinstance(k, str)}


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _id(item) -> str:
    ident = item.get("id") if isinstance(item, dict) else None
    return f" ({ident})" if isinstance(ident, str | int) else ""


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


FORMAT = ImportFormat(
    name=NAME,
    label="W3C Web Annotation (.jsonld, .json)",
    description=(
        "Web Annotation JSON-LD whose targets carry their text: each annotation a span, "
        "placed by its position selector and checked against its quote."
    ),
    extensions=(".jsonld", ".json"),
    parse=parse,
    sniff=sniff,
)
