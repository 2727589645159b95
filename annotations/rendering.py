"""The reading pane's HTML: the body, escaped, with a <mark> per span fragment.

Spans may overlap, and HTML elements may not, so the text is cut into segments
(offsets.span_segments) and each segment is wrapped in one nested <mark> per span that
covers it. Nothing but the body's own characters becomes text: the label badge is a
data attribute drawn by CSS, so the pane's textContent equals the body exactly.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .offsets import span_segments


def _open_tags(annotation) -> tuple[str, str]:
    """The <mark> that opens a span's first fragment, and the one for its other fragments.

    Only the first carries the letter badge. Built once per span, not once per fragment:
    overlaps cut a span into several. No tabindex: a focusable mark would take the focus
    on mousedown and stop a drag from starting on it; the page makes a mark focusable only
    while j/k puts the keyboard on it.
    """
    label = annotation.label
    common = (
        f'<mark class="hl" data-annotation-id="{annotation.pk}" '
        f'data-label="{escape(label.slug)}" title="{escape(label.name)}"'
    )
    return (
        f'{common} data-badge="{escape(label.badge)}" data-first>',
        f"{common}>",
    )


def text_blocks(body: str) -> list[tuple[int, int]]:
    """The body cut after each line break: [start, end) of every line, "\n" included.

    The pane is drawn as one inline element per block, so a change redraws only the
    blocks a span touches (a paragraph), not a 5,000-span article.
    """
    blocks, start = [], 0
    while start < len(body):
        end = body.find("\n", start)
        end = len(body) if end < 0 else end + 1
        blocks.append((start, end))
        start = end
    return blocks or [(0, 0)]


def blocks_touching(blocks: list[tuple[int, int]], start: int, end: int) -> range:
    """Indexes of the blocks that [start, end) overlaps (at least the one at start)."""
    starts = [b[0] for b in blocks]
    first = max(0, bisect_right(starts, start) - 1)
    last = max(first, bisect_left(starts, end) - 1)
    return range(first, last + 1)


def _render_block(body: str, block: tuple[int, int], spans: list, tags: dict) -> str:
    block_start, block_end = block
    segments = span_segments(
        block_end - block_start, ((a.pk, a.start - block_start, a.end - block_start) for a in spans)
    )
    parts: list[str] = []
    opened: set = set()
    for segment in segments:
        text = escape(body[block_start + segment.start : block_start + segment.end], quote=False)
        if not segment.span_ids:
            parts.append(text)
            continue
        for span_id in segment.span_ids:
            annotation, (first, rest) = tags[span_id]
            # The badge and the focus stop go on a span's very first fragment only.
            is_first = span_id not in opened and annotation.start >= block_start
            parts.append(first if is_first else rest)
            opened.add(span_id)
        parts.append(text)
        parts.append("</mark>" * len(segment.span_ids))
    return "".join(parts)


def _block_html(index: int, block: tuple[int, int], inner: str, oob: bool) -> str:
    swap = ' hx-swap-oob="outerHTML"' if oob else ""
    return f'<span class="blk" id="b{index}" data-at="{block[0]}"{swap}>{inner}</span>'


def _spans_by_block(blocks, annotations) -> dict[int, list]:
    by_block: dict[int, list] = {}
    for annotation in annotations:
        for index in blocks_touching(blocks, annotation.start, annotation.end):
            by_block.setdefault(index, []).append(annotation)
    return by_block


def highlighted_body(body: str, annotations: Iterable) -> SafeString:
    """The whole reading pane: every block, with every span's marks."""
    annotations = list(annotations)
    tags = {a.pk: (a, _open_tags(a)) for a in annotations}
    blocks = text_blocks(body)
    by_block = _spans_by_block(blocks, annotations)
    return mark_safe(
        "".join(
            _block_html(i, block, _render_block(body, block, by_block.get(i, []), tags), False)
            for i, block in enumerate(blocks)
        )
    )


def highlighted_blocks(body: str, annotations: Iterable, ranges: Iterable) -> SafeString:
    """Only the blocks that the [start, end) `ranges` touch, as out-of-band swaps.

    `annotations` must hold every span that overlaps those blocks.
    """
    annotations = list(annotations)
    tags = {a.pk: (a, _open_tags(a)) for a in annotations}
    blocks = text_blocks(body)
    wanted = sorted({i for start, end in ranges for i in blocks_touching(blocks, start, end)})
    by_block = _spans_by_block(blocks, annotations)
    return mark_safe(
        "".join(
            _block_html(
                i, blocks[i], _render_block(body, blocks[i], by_block.get(i, []), tags), True
            )
            for i in wanted
        )
    )


def block_bounds(body: str, ranges: Iterable) -> tuple[int, int]:
    """[start, end) of the blocks the ranges touch: which spans a redraw needs."""
    blocks = text_blocks(body)
    wanted = [i for start, end in ranges for i in blocks_touching(blocks, start, end)]
    return blocks[min(wanted)][0], blocks[max(wanted)][1]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def verdict_chip(name: str, value: int) -> str:
    """A verdict's words, tinted by its place on the scale (never the tint alone)."""
    return f'<span class="verdict-chip" data-verdict="{value}">{escape(name)}</span>'


def span_list_items(annotations: Iterable, url_prefix: str) -> SafeString:
    """The sidebar's list of spans, one <li> each, a rated claim with its verdict chip.

    Built here rather than in the template: the list can hold a thousand spans and the
    template engine costs tens of milliseconds for that many rows.
    """
    items = []
    prefix = escape(url_prefix)
    for a in annotations:
        # <bdi>: a right-to-left name or an unterminated direction mark in user text stays
        # inside its own box instead of reversing what follows it.
        meta = [escape(a.label.name)]
        if a.verdict is not None:
            meta[0] += " " + verdict_chip(*a.verdict)
        if a.speaker:
            meta.append(f"<bdi>{escape(a.speaker)}</bdi>")
        count = a.source_count
        if count:
            meta.append(f"{count} source{'s' if count != 1 else ''}")
        if a.author:
            meta.append(f"by <bdi>{escape(a.author)}</bdi>")
        items.append(
            f'<li id="li-{a.pk}" data-s="{a.start}" data-e="{a.end}">'
            f'<a class="span-item" data-label="{escape(a.label.slug)}" data-span-id="{a.pk}" '
            f'href="{prefix}{a.pk}/"><span class="swatch" aria-hidden="true"></span>'
            f'<bdi class="span-quote" dir="auto">{escape(_truncate(a.quote, 90))}</bdi>'
            f'<span class="span-meta small muted">{" · ".join(meta)}</span></a></li>'
        )
    return mark_safe("".join(items))
