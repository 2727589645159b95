"""Articles matching a search, ranked, with highlighted snippets.

One entry point, `search(articles, text)`, over two implementations: PostgreSQL full-text
search (`postgresql`) and SQLite FTS5 (`sqlite`), which share `sql`. The indexes and their sync
are made by migrations 0007_article_search and 0016_search_backlog
(a bulk import queues its articles for the index: search_index.py).

What a search means, on both databases alike:
- `query`: the search box's text parsed into terms (canonical form, whole words,
  phrases, exclusions, "or", substrings for scripts written without spaces).
- `matching`: the articles matching a query, ranked (title first, then author/publisher,
  then the body).
- Snippets are built here from the database's marked text: every character of the
  article is escaped; the only markup is our own <mark>.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet, Value
from django.db.models.functions import Greatest, StrIndex, Substr

from .. import search_index
from ..models import Article
from .marks import _START, render_marked
from .matching import _backend, matching
from .postgresql import CONFIG
from .query import MAX_QUERY_LENGTH, MAX_TERMS, Query, Term, parse, shorten
from .sql import TRIGRAM_MIN
from .sqlite import FTS_TABLE, TRIGRAM_TABLE

__all__ = [
    "CONFIG",
    "FTS_TABLE",
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "SNIPPET_WINDOW",
    "TRIGRAM_MIN",
    "TRIGRAM_TABLE",
    "Query",
    "SearchResults",
    "Term",
    "attach_snippets",
    "matching",
    "parse",
    "render_marked",
    "search",
    "shorten",
]

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


# --- the one entry point -----------------------------------------------------------------


class SearchResults(Sequence):
    """What a Paginator pages through: the matching articles, best first; a slice comes
    with its snippets (one more query per page, whatever its size)."""

    ordered = True

    def __init__(self, articles: QuerySet[Article], query: Query):
        self.query = query
        # A bulk import's articles join the index shortly after it (search_index.py).
        self.pending = search_index.catch_up_small_backlog() if not query.empty else 0
        self.queryset = matching(articles, query, pending=self.pending)

    @property
    def note(self) -> str:
        if self.query.empty:
            return "Nothing to search for: type a word, a name or characters."
        notes = []
        if self.query.shortened:
            notes.append(f"The search was shortened to its first {MAX_QUERY_LENGTH} characters.")
        if self.pending:
            notes.append(
                f"{self.pending:,} article{'s' if self.pending != 1 else ''} imported a moment "
                "ago {} still being added to the search index and {} not in these results "
                "yet.".format(*(("are", "are") if self.pending != 1 else ("is", "is")))
            )
        return " ".join(notes)

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            rows = list(self.queryset[index])
            attach_snippets(rows, self.query)
            return rows
        return self[index : index + 1][0]

    def __iter__(self):
        return iter(self[0 : self.count()])


def search(articles: QuerySet[Article], text: str) -> SearchResults:
    """The articles among `articles` that match the search box's `text`, best first, with
    highlighted snippets."""
    return SearchResults(articles, parse(text))
