"""Articles matching a search, ranked, with highlighted snippets.

One entry point, `search(articles, text)`, over two implementations: PostgreSQL full-text
search and SQLite FTS5. The indexes and their sync are made by migrations
0007_article_search and 0016_search_backlog (a bulk import queues its articles for the
index: search_index.py, a module of its own). What a search means is the same on both
databases; each module holds one step:

- `query`: the search box's text parsed into terms, pure functions (Term, Query, parse,
  shorten, MAX_QUERY_LENGTH, MAX_TERMS): canonical form, whole words, "phrases", -not,
  "or", substrings for scripts written without spaces and for emoji.
- `sql`: the SQL both backends share (a fragment over the article table, LIKE patterns,
  a condition on each text column, TRIGRAM_MIN).
- `postgresql`: the tsvector, websearch_to_tsquery, ts_rank, ts_headline and pg_trgm
  backend (CONFIG).
- `sqlite`: the FTS5 backend: the word table ranked with bm25 and its snippet(), the
  trigram table for substrings (FTS_TABLE, TRIGRAM_TABLE).
- `ranking`: the articles matching a query on the connected database, ranked: title
  first, then author/publisher, then the body (matching).
- `marks`: the private-use characters the databases wrap matches in, and the safe HTML
  they become: every character escaped, the only markup our own <mark> (render_marked).
- `snippets`: the body around the matches for a page of articles, in one query
  (attach_snippets, SNIPPET_WINDOW).
- `results`: the entry point, search, and the SearchResults a Paginator pages through.

Each name is read where it is defined: patch the submodule (`query.MAX_TERMS`,
`snippets.SNIPPET_WINDOW`, `ranking._backend`), not the copy re-exported here.
"""

from .marks import render_marked
from .postgresql import CONFIG
from .query import MAX_QUERY_LENGTH, MAX_TERMS, Query, Term, parse, shorten
from .ranking import matching
from .results import SearchResults, search
from .snippets import SNIPPET_WINDOW, attach_snippets
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
