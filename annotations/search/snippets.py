"""The body around the matches, for each article on a page of results.

Snippets are built here from the database's marked text: every character of the
article is escaped; the only markup is our own <mark>.
"""

from __future__ import annotations

from django.db.models import Value
from django.db.models.functions import Greatest, StrIndex, Substr

from ..models import Article
from .marks import _START, cluster_start, extends_cluster, render_marked
from .query import Query
from .ranking import _backend

SNIPPET_WINDOW = 220  # characters of body shown around a substring match
# Read a little more than shown, so the window can end at a grapheme cluster's end.
_SLACK = 16


def _whole_clusters(text: str, *, cut_before: bool, limit: int = SNIPPET_WINDOW) -> str:
    """A window of the body, trimmed so that neither end cuts a grapheme cluster: the
    marks whose base character is before the window (`cut_before`) are dropped, and it
    ends after the last whole cluster within `limit` characters."""
    start = 0
    while cut_before and start < len(text) and extends_cluster(text[start]):
        start += 1
    end = min(len(text), start + limit)
    if end < len(text):
        end = cluster_start(text, end) or end
    return text[start:end]


# --- snippets ----------------------------------------------------------------------------


def attach_snippets(articles: list[Article], query: Query) -> None:
    """Set `snippet` (safe HTML: the body around the matches) on each article, in one
    query."""
    if not articles or query.empty:
        return
    words, substrings = query.positive("words"), query.positive("substring")
    annotations = {}
    if words:
        annotations["body_marked"] = _backend().marked(words)
    if substrings:
        position = StrIndex("body", Value(substrings[0]))
        annotations["position"] = position
        window = SNIPPET_WINDOW + _SLACK
        annotations["window"] = Substr("body", Greatest(position - 80, 1), window)
    annotations["opening"] = Substr("body", 1, SNIPPET_WINDOW + _SLACK)
    rows = {
        row["pk"]: row
        for row in Article.objects.filter(pk__in=[a.pk for a in articles])
        .annotate(**annotations)
        .values("pk", *annotations)
    }
    for article in articles:
        row = rows.get(article.pk)
        if row is None:
            continue
        body = row.get("body_marked")
        if not (body and _START in body) and row.get("position"):
            start = max(row["position"] - 80, 1)
            window = _whole_clusters(row["window"], cut_before=start > 1)
            body = ("…" if start > 1 else "") + window + "…"
        elif not body:
            body = _whole_clusters(row["opening"], cut_before=False) + "…"
        article.snippet = render_marked(body, substrings)
