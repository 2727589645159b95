"""The reading pane's HTML: the body, escaped, with a <mark> per span fragment.

Spans may overlap, and HTML elements may not, so the text is cut into segments
(offsets.span_segments) and each segment is wrapped in one nested <mark> per span that
covers it. Nothing but the body's own characters becomes text: the label badge is a
data attribute drawn by CSS, so the pane's textContent equals the body exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .offsets import span_segments


def _open_tags(annotation) -> tuple[str, str]:
    """The <mark> that opens a span's first fragment, and the one for its other fragments.

    Only the first carries the letter badge and the focus stop. Built once per span, not
    once per fragment: overlaps cut a span into several.
    """
    label = annotation.label
    common = (
        f'<mark class="hl" data-annotation-id="{annotation.pk}" '
        f'data-label="{escape(label.slug)}" title="{escape(label.name)}"'
    )
    return (
        f'{common} data-badge="{escape(label.badge)}" data-first tabindex="0">',
        f"{common}>",
    )


def highlighted_body(body: str, annotations: Iterable) -> SafeString:
    tags = {a.pk: (a, _open_tags(a)) for a in annotations}
    segments = span_segments(len(body), ((pk, a.start, a.end) for pk, (a, _) in tags.items()))
    opened: set = set()
    parts: list[str] = []
    for segment in segments:
        text = escape(body[segment.start : segment.end], quote=False)
        if not segment.span_ids:
            parts.append(text)
            continue
        for span_id in segment.span_ids:
            first, rest = tags[span_id][1]
            if span_id in opened:
                parts.append(rest)
            else:
                parts.append(first)
                opened.add(span_id)
        parts.append(text)
        parts.append("</mark>" * len(segment.span_ids))
    return mark_safe("".join(parts))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def span_list_items(annotations: Iterable, url_prefix: str) -> SafeString:
    """The sidebar's list of spans, one <li> each.

    Built here rather than in the template: the list can hold a thousand spans and the
    template engine costs tens of milliseconds for that many rows.
    """
    items = []
    prefix = escape(url_prefix)
    for a in annotations:
        # <bdi>: a right-to-left name or an unterminated direction mark in user text stays
        # inside its own box instead of reversing what follows it.
        meta = [escape(a.label.name)]
        if a.speaker:
            meta.append(f"<bdi>{escape(a.speaker)}</bdi>")
        count = a.source_count
        if count:
            meta.append(f"{count} source{'s' if count != 1 else ''}")
        if a.author:
            meta.append(f"by <bdi>{escape(a.author)}</bdi>")
        items.append(
            f'<li><a class="span-item" data-label="{escape(a.label.slug)}" data-span-id="{a.pk}" '
            f'href="{prefix}{a.pk}/"><span class="swatch" aria-hidden="true"></span>'
            f'<bdi class="span-quote" dir="auto">{escape(_truncate(a.quote, 90))}</bdi>'
            f'<span class="span-meta small muted">{" · ".join(meta)}</span></a></li>'
        )
    return mark_safe("".join(items))
