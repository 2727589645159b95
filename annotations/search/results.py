"""The one entry point: `search(articles, text)` and the SearchResults a Paginator pages
through."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from .. import search_index
from ..models import Article
from .query import MAX_QUERY_LENGTH, Query, parse
from .ranking import matching
from .snippets import attach_snippets

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
