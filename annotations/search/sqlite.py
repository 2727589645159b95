"""SQLite FTS5 (a unicode61 table ranked with bm25, `highlight()`/`snippet()`, plus a
trigram table)."""

from __future__ import annotations

from django.db.models import F, FloatField, QuerySet, TextField

from ..models import Article
from .marks import _START, _STOP
from .query import Query, Term
from .sql import _SQL, TRIGRAM_MIN, _each_column, _like

FTS_TABLE = "annotations_article_fts"
TRIGRAM_TABLE = "annotations_article_trigram"


def _fts5_string(text: str) -> str:
    """A term or phrase as an FTS5 string: quoted, so AND, NEAR(, *, ^ are plain words."""
    return '"' + text.replace('"', '""') + '"'


class _SQLite:
    @staticmethod
    def condition(term: Term) -> tuple[str, list]:
        if term.kind == "words":
            return (
                f"{{t}}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",
                [_fts5_string(term.text)],
            )
        if len(term.text) >= TRIGRAM_MIN:
            return (
                f"{{t}}.id IN (SELECT rowid FROM {TRIGRAM_TABLE} WHERE {TRIGRAM_TABLE} MATCH %s)",
                [_fts5_string(term.text)],
            )
        return _each_column("{t}.%s LIKE %%s ESCAPE '\\'", _like(term.text))

    @staticmethod
    def join(articles: QuerySet[Article], query: Query) -> tuple[QuerySet, list, F | None]:
        """Join the word index for the clauses that are all positive words: one MATCH
        reads each matching row once with its bm25 (a rank subquery per row would read
        a common word's whole posting list once per row). The other clauses are left."""
        joined = [c for c in query.clauses if all(t.kind == "words" and not t.negated for t in c)]
        if not joined:
            return articles, query.clauses, None
        match = " AND ".join(
            "(" + " OR ".join(_fts5_string(t.text) for t in c) + ")" for c in joined
        )
        articles = articles.extra(  # fixed SQL; the words are a parameter
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = annotations_article.id", f"{FTS_TABLE} MATCH %s"],
            params=[match],
        ).annotate(
            word_rank=_SQL(f"-bm25({FTS_TABLE}, 10.0, 4.0, 4.0, 1.0)", output_field=FloatField())
        )
        return articles, [c for c in query.clauses if c not in joined], F("word_rank")

    @staticmethod
    def _match(words: list[str]) -> str:
        return " OR ".join(_fts5_string(w) for w in words)

    @staticmethod
    def word_rank(words: list[str]):
        # bm25 is lower for better matches; weights: title, author, publisher, body.
        return _SQL(
            f"COALESCE((SELECT -bm25({FTS_TABLE}, 10.0, 4.0, 4.0, 1.0) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {{t}}.id), 0)",
            [_SQLite._match(words)],
            FloatField(),
        ), None

    @staticmethod
    def marked(words: list[str]):
        match = _SQLite._match(words)

        return _SQL(
            f"(SELECT snippet({FTS_TABLE}, 3, %s, %s, '…', 28) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {{t}}.id)",
            [_START, _STOP, match],
            TextField(),
        )
