"""The articles matching a parsed query, ranked, on whichever database is connected.

Ranking: a match in the title counts most, then author/publisher, then the body.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, FloatField, QuerySet, Value

from .. import search_index
from ..models import Article
from .postgresql import _PostgreSQL
from .query import Query
from .sql import _SQL
from .sqlite import _SQLite


def _all_of(parts: list[tuple[str, list]], joiner: str) -> tuple[str, list]:
    sql = f" {joiner} ".join(f"({p})" for p, _ in parts)
    return sql, [x for _, params in parts for x in params]


def _backend():
    return _PostgreSQL if connection.vendor == "postgresql" else _SQLite


def _substring_rank(term: str) -> _SQL:
    # A substring in the title counts as much as a word there; in the text, a little.
    function = (
        "strpos({t}.title, %s)" if connection.vendor == "postgresql" else ("instr({t}.title, %s)")
    )
    return _SQL(f"(CASE WHEN {function} > 0 THEN 1.0 ELSE 0.1 END)", [term], FloatField())


def matching(articles: QuerySet[Article], query: Query, *, pending: int = 0) -> QuerySet[Article]:
    """`articles` narrowed to those matching `query`, best first (annotated search_rank).
    `pending`: how many articles wait for the index (search_index.py); they are left out."""
    if query.empty:
        return articles.none()
    backend = _backend()
    clauses, rank = query.clauses, Value(0.0, output_field=FloatField())
    words = query.positive("words")
    joined_rank = None
    if backend is _SQLite and words:
        articles, clauses, joined_rank = _SQLite.join(articles, query)
    if words:
        rank = joined_rank or backend.word_rank(words)[0]
    parts = []
    for clause in clauses:
        sql, params = _all_of([backend.condition(t) for t in clause], "OR")
        parts.append((f"NOT ({sql})" if clause[0].negated else sql, params))
    if parts:
        articles = articles.filter(_SQL(*_all_of(parts, "AND")))
    if pending:
        # Articles still queued for the index would match some terms and not others.
        articles = articles.filter(_SQL(search_index.indexed_only_sql()))
    for term in query.positive("substring"):
        rank = rank + _substring_rank(term)
    return articles.annotate(search_rank=rank).order_by(
        F("search_rank").desc(), F("published_at").desc(nulls_last=True), "-id"
    )
