"""PostgreSQL full-text search (a stored tsvector with a GIN index,
`websearch_to_tsquery`, `ts_rank`, `ts_headline`, plus pg_trgm for substrings)."""

from __future__ import annotations

from django.db.models import F, Value

from .marks import _AMP, _LT, _START, _STOP
from .query import Term
from .sql import _SQL, TRIGRAM_MIN, _each_column, _like

CONFIG = "factcheck_search"  # PostgreSQL: 'simple' + unaccent (migration 0007)


_ALL_TEXT = "({t}.title || ' ' || {t}.author || ' ' || {t}.publisher || ' ' || {t}.body)"


class _PostgreSQL:
    @staticmethod
    def condition(term: Term) -> tuple[str, list]:
        if term.kind == "words":
            text = f'"{term.text}"' if " " in term.text else term.text
            return f"{{t}}.search_vector @@ websearch_to_tsquery('{CONFIG}', %s)", [text]
        if len(term.text) < TRIGRAM_MIN:  # no trigram to look up: a scan either way
            return _each_column("strpos({t}.%s, %%s) > 0", term.text)
        # LIKE, not ILIKE: these scripts have no case, and both use the trigram index.
        return f"{_ALL_TEXT} LIKE %s", [_like(term.text)]

    @staticmethod
    def word_rank(words: list[str]):
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField

        query = None
        for word in words:
            q = SearchQuery(
                f'"{word}"' if " " in word else word, config=CONFIG, search_type="websearch"
            )
            query = q if query is None else query | q
        vector = _SQL("{t}.search_vector", output_field=SearchVectorField())
        return SearchRank(vector, query), query

    @staticmethod
    def marked(words: list[str]):
        from django.contrib.postgres.search import SearchHeadline
        from django.db.models.functions import Replace

        _, query = _PostgreSQL.word_rank(words)
        body = F("body")
        for old, new in ((_START, ""), (_STOP, ""), (_LT, ""), (_AMP, ""), ("<", _LT), ("&", _AMP)):
            body = Replace(body, Value(old), Value(new))
        return SearchHeadline(
            body,
            query,
            config=CONFIG,
            start_sel=_START,
            stop_sel=_STOP,
            max_fragments=2,
            min_words=12,
            max_words=28,
            fragment_delimiter=" … ",
        )
