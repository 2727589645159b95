"""A saved (or fetched) web page: its article text and what the page says about it.

The text comes from trafilatura (2.x), which finds the article among the page's furniture
(navigation, scripts, styles, ads, cookie banners, related links, comments) and keeps
inline tags' words in place. We use it rather than readability-lxml because it is the
more actively kept of the two (releases through 2026, an evaluation suite on news
pages), reads JSON-LD and meta tags itself, and drops comments and related-link boxes
that readability keeps.

What it gets wrong on our test pages, and what we do about it (tests/test_import_html.py):
- `<br><br>` (a paragraph break written as two line breaks) comes out as one line break,
  the same as a single `<br>`. We replace such runs with a mark before extraction and
  start a new paragraph where it comes back.
- Its text output separates paragraphs and line breaks alike by one "\n"; we read its
  XML output instead and join paragraphs with a blank line, as the other formats do.
- The page's `<h1>` headline is the first line of its text; we drop it when it is the
  title.
- Its publication date (htmldate's) is a day without the time; `article:published_time`
  and JSON-LD `datePublished` carry the time, so we read those first ourselves.
- On a page with no article (a login form) it returns the menu and form labels ("Home
  Log in Register Email Password") rather than nothing; we refuse a page unless one of
  its lines has at least MIN_PARAGRAPH_WORDS words.
- On a page whose article is shorter than about 250 characters it falls back to the
  whole page's text, menu included, as one block (seen on a two-paragraph Chinese page).
  Real articles are longer; we do not work around it.
- Left to search the whole page, htmldate took a footer's "© 2024" for the date (1
  January 2024); we ask it for dates the page states as its own only.
- It joins several authors with "; "; we take JSON-LD's authors when there are any, and
  write several as "A, B".

Order for each field: JSON-LD (NewsArticle and its kin), then `og:`/`article:` meta,
then what trafilatura found, then the page's `<title>`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from django.utils import timezone
from lxml import etree
from lxml import html as lxml_html

from ..offsets import canonical_text, is_blank
from . import limits
from .base import ArticleRecord, ImportFormat, ImportRefused, ParseResult
from .checks import url_problem
from .times import range_problem

NAME = "html"

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenews",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
}
# Two or more line breaks in a row, with only white space between: a paragraph break.
_DOUBLE_BREAK = re.compile(r"(?:<br\s*/?>\s*){2,}", re.IGNORECASE)
# Put in their place before extraction (trafilatura merges adjacent breaks but keeps the
# text between them), and split on afterwards. A private-use character: no page's text
# uses it (one that did would see a paragraph break there).
_PARAGRAPH_MARK = "\ue000"
_BREAK_MARK = f"<br>{_PARAGRAPH_MARK}<br>"
# A page whose every line is shorter than this has menus and labels, not an article. In
# scripts written without spaces (Chinese, Thai...) a line counts by its letters.
MIN_PARAGRAPH_WORDS = 8
MIN_UNSPACED_LETTERS = 25
_SNIFF_CHARS = 4096
# How much of a canonical address passed over the metadata keeps: a source_url's length.
_MAX_IGNORED_URL = 2000
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_INSIDE = re.compile(r"<(?:html|head|body)\b[^>]*>", re.IGNORECASE)


def sniff(text: str) -> bool:
    """Looks like a web page: opens with a doctype or <html>/<head>/<body>, or opens with
    a tag (a `<meta charset>` line, say) and has one of those near the top. Plain text
    that quotes "<body>" further in is still plain text."""
    head = text[:_SNIFF_CHARS]
    if _HTML_START.match(head):
        return True
    return head.lstrip().startswith("<") and bool(_HTML_INSIDE.search(head))


def parse(text: str, *, name: str = "", url: str = "") -> ParseResult:
    """The page's article. `url`: where it was fetched from (the final URL after redirects),
    which is then its source_url; a saved page's is the canonical URL it declares."""
    page = _page_tree(text)
    meta = _meta(page)
    found = _extract(_DOUBLE_BREAK.sub(_BREAK_MARK, text), url=url)
    title = _first(
        meta.get("headline"), meta.get("og:title"), _attr(found, "title"), meta.get("<title>")
    )
    paragraphs = _paragraphs(found)
    if paragraphs and title and _fold(paragraphs[0]) == _fold(title):
        paragraphs = paragraphs[1:]  # the page's <h1>, which is the title
    body = "\n\n".join(paragraphs)
    if not _has_prose(paragraphs):
        raise ImportRefused(
            "The page has no article text: only navigation, forms or other page furniture "
            "were found. Save the article's own page and import that."
        )
    canonical, ignored = _page_address(meta)
    import trafilatura  # imported when a page is read: commands that read none start faster

    metadata = {"format": NAME, "extractor": f"trafilatura {trafilatura.__version__}"}
    if ignored:
        metadata["ignored_canonical_urls"] = ignored
    for key, value in (
        ("canonical_url", canonical),
        ("language", meta.get("lang") or _attr(found, "language")),
        ("description", meta.get("description") or _attr(found, "description")),
    ):
        if value:
            metadata[key] = _one_line(value)
    if url:
        metadata["fetched_from"] = url
    record = ArticleRecord(
        title=_one_line(title or ""),
        body=body,
        author=_one_line(meta.get("authors") or meta.get("author") or _authors(found)),
        published_at=_published(meta, found),
        source_url=url or canonical,
        publisher=_one_line(
            _first(meta.get("publisher"), meta.get("og:site_name"), _attr(found, "sitename"))
        ),
        metadata=metadata,
    )
    return ParseResult([record])


# --- the article's text ----------------------------------------------------------------


def _extract(text: str, *, url: str):
    """trafilatura's reading of the page, with its metadata when it can.

    On some broken markup htmldate fails an assertion inside lxml (dropping an element
    that has no parent, found by fuzzing); the text is then extracted without
    trafilatura's metadata, which the page's own JSON-LD and meta tags stand in for."""
    options = {
        "url": url or None,
        "include_comments": False,
        "include_tables": True,
        "include_formatting": False,
        "include_links": False,
        "output_format": "python",
    }
    import trafilatura  # see above: only when a page is read

    try:
        return trafilatura.bare_extraction(
            text,
            with_metadata=True,
            # Without this, htmldate guesses from any year on the page: a login page's
            # "© 2024" became 1 January 2024. Only dates the page states as its own.
            date_extraction_params={"extensive_search": False, "original_date": True},
            **options,
        )
    except (AssertionError, ValueError, TypeError, etree.LxmlError):
        pass
    try:
        return trafilatura.bare_extraction(text, with_metadata=False, **options)
    except (AssertionError, ValueError, TypeError, etree.LxmlError):
        raise ImportRefused("The page's HTML is too broken to find an article in.") from None


def _paragraphs(found) -> list[str]:
    """Each block trafilatura kept (paragraph, heading, list item, quote, table row) as a
    paragraph, split again where the page had `<br><br>`."""
    if found is None or getattr(found, "body", None) is None:
        return []
    paragraphs: list[str] = []
    for block in found.body:
        if not isinstance(block.tag, str):
            continue
        if block.tag == "list":
            pieces = [_block_text(item) for item in block.iter("item")]
        elif block.tag == "table":
            pieces = [
                "\t".join(_block_text(cell) for cell in row.iter("cell"))
                for row in block.iter("row")
            ]
        else:
            pieces = [_block_text(block)]
        for piece in pieces:
            for paragraph in piece.replace(_PARAGRAPH_MARK, "\n\n").split("\n\n"):
                paragraph = canonical_text(paragraph).strip()
                if not is_blank(paragraph):
                    paragraphs.append(paragraph)
    return paragraphs


def _block_text(element) -> str:
    """An element's words, its <lb/> as line breaks; white space runs made one space, as
    a browser shows them."""
    parts: list[str] = []

    def walk(node) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    lines = "".join(parts).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines).strip()


def _has_prose(paragraphs: list[str]) -> bool:
    """Is there a line of running text, not only menu entries and form labels?"""
    return any(
        len(line.split()) >= MIN_PARAGRAPH_WORDS
        or len(limits.UNSPACED_LETTER.findall(line)) >= MIN_UNSPACED_LETTERS
        for paragraph in paragraphs
        for line in paragraph.split("\n")
    )


# --- what the page says about it --------------------------------------------------------


def _page_address(meta: dict[str, str]) -> tuple[str, list[dict]]:
    """The first address the page gives itself (JSON-LD, canonical link, og:url) that the
    import takes as a web address (checks.url_problem: the rule for every URL), and those
    passed over, each with why. A bad one ("javascript:", a port past 65535, a relative
    path) is ignored rather than refusing the page: it is what the page says about
    itself, not the article, whose text is still good; a saved page without an address
    imports as well. The passed-over ones are kept in the metadata, not dropped silently."""
    ignored = []
    for value in (meta.get("url"), meta.get("canonical"), meta.get("og:url")):
        if not value:
            continue
        if not (problem := url_problem(value)):
            return value, ignored
        ignored.append({"url": _one_line(value)[:_MAX_IGNORED_URL], "reason": problem})
    return "", ignored


def _page_tree(text: str):
    try:
        # lxml refuses a str that still declares its encoding; it was decoded already.
        return lxml_html.document_fromstring(_XML_DECLARATION.sub("", text))
    except (etree.ParserError, ValueError):
        return None


def _meta(page) -> dict[str, str]:
    """The article's metadata as the page states it: JSON-LD first, then meta tags."""
    if page is None:
        return {}
    found: dict[str, str] = {}
    for script in page.xpath('//script[@type="application/ld+json"]'):
        for item in _json_ld_items(script.text_content()):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
                continue
            _set(found, "headline", item.get("headline") or item.get("name"))
            _set(found, "published", item.get("datePublished"))
            _set(found, "authors", _names(item.get("author")))
            _set(found, "publisher", _names(item.get("publisher")))
            _set(found, "url", _url(item.get("mainEntityOfPage")) or _url(item.get("url")))
            _set(found, "description", item.get("description"))
    for element in page.xpath("//meta[@content]"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        if key in {"og:title", "og:url", "og:site_name", "author", "article:author"}:
            _set(found, "author" if key == "article:author" else key, element.get("content"))
        elif key in {"article:published_time", "og:article:published_time", "date"}:
            _set(found, "published_meta", element.get("content"))
        elif key in {"description", "og:description"}:
            _set(found, "description", element.get("content"))
    for element in page.xpath('//link[@href][contains(concat(" ", @rel, " "), " canonical ")]'):
        _set(found, "canonical", element.get("href"))
    titles = page.xpath("//title")
    if titles:
        _set(found, "<title>", titles[0].text_content())
    _set(found, "lang", page.get("lang"))
    return found


def _json_ld_items(source: str) -> list[dict]:
    if limits.json_depth_exceeded(source):
        return []  # measured first: json.loads would recurse once per level
    try:
        data = json.loads(source)
    except ValueError:
        return []  # a page's broken JSON-LD is not the article's problem
    items = data if isinstance(data, list) else [data]
    flat: list[dict] = []
    for item in items:
        if isinstance(item, dict):
            graph = item.get("@graph")
            if isinstance(graph, list):
                flat.extend(node for node in graph if isinstance(node, dict))
            flat.append(item)
    return flat


def _names(value) -> str:
    """JSON-LD people or organisations ("x", {"name": x} or a list of them) as "A, B"."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return ", ".join(dict.fromkeys(names))


def _url(value) -> str:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return value if isinstance(value, str) else ""


def _set(found: dict, key: str, value) -> None:
    if isinstance(value, str) and not is_blank(value) and key not in found:
        found[key] = value.strip()


def _authors(found) -> str:
    author = _attr(found, "author")
    return ", ".join(part.strip() for part in author.split(";") if part.strip())


def _published(meta: dict, found) -> datetime | None:
    for value in (meta.get("published"), meta.get("published_meta"), _attr(found, "date")):
        if value and (when := _datetime(value)) is not None:
            return when
    return None


def _datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    # A page's date is a hint: one that cannot be kept is passed over like one unread.
    return None if range_problem(parsed) else parsed


def _attr(found, name: str) -> str:
    value = getattr(found, name, None) if found is not None else None
    return value if isinstance(value, str) else ""


def _first(*values) -> str:
    return next((value for value in values if value), "")


def _one_line(value: str) -> str:
    return " ".join(canonical_text(value).split())


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


FORMAT = ImportFormat(
    name=NAME,
    label="Web page (.html)",
    description=(
        "A saved news page: the article's text without menus, ads or comments, with its "
        "title, author, date and address from the page."
    ),
    extensions=(".html", ".htm", ".xhtml", ".txt"),
    parse=parse,
    sniff=sniff,
)
