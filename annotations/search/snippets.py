"""The body around the matches, for each article on a page of results.

Snippets are built here from the database's marked text: every character of the
article is escaped; the only markup is our own <mark>.
"""

from __future__ import annotations

from django.db.models import Value
from django.db.models.functions import Greatest, StrIndex, Substr

from ..models import Article
from .marks import _START, render_marked
from .query import Query
from .ranking import _backend

SNIPPET_WINDOW = 220  # characters of body shown around a substring match


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
        annotations["window"] = Substr("body", Greatest(position - 80, 1), SNIPPET_WINDOW)
    annotations["opening"] = Substr("body", 1, SNIPPET_WINDOW)
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
            body = ("…" if start > 1 else "") + row["window"] + "…"
        elif not body:
            body = row["opening"] + "…"
        article.snippet = render_marked(body, substrings)
