"""Articles matching a search, ranked, with highlighted snippets.

One entry point, `search(articles, text)`, over two implementations: PostgreSQL full-text
search (a stored tsvector with a GIN index, `websearch_to_tsquery`, `ts_rank`,
`ts_headline`, plus pg_trgm for substrings) and SQLite FTS5 (a unicode61 table ranked
with bm25, `highlight()`/`snippet()`, plus a trigram table). The indexes and their sync
are made by migrations 0007_article_search and 0016_search_backlog
(a bulk import queues its articles for the index: search_index.py).

What a search means, on both databases alike:
- The text is put in canonical form first (offsets.canonical_text: NFC), so "Renée"
  typed decomposed finds the NFC body. Case and accents are folded ("renee" finds it).
- Words (letters, digits, marks) must all occur, as whole words, in the title, author,
  publisher or body. `"two words"` is a phrase, `-word` excludes, `a or b` is either
  (websearch syntax; every other character only separates words, so nothing a person
  types is ever query syntax to the database).
- Runs of characters from scripts written without spaces (Chinese, Japanese, Korean,
  Thai, ...) and symbols such as emoji match as substrings: 東京 finds 東京都庁.
- Ranking: a match in the title counts most, then author/publisher, then the body.
- Snippets are built here from the database's marked text: every character of the
  article is escaped; the only markup is our own <mark>.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    F,
    FloatField,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Greatest, StrIndex, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import search_index
from .models import Article
from .offsets import canonical_text

MAX_QUERY_LENGTH = 200  # the view cuts there too; longer text is shortened, with a note
MAX_TERMS = 32  # each term is one index lookup
CONFIG = "factcheck_search"  # PostgreSQL: 'simple' + unaccent (migration 0007)
FTS_TABLE = "annotations_article_fts"
TRIGRAM_TABLE = "annotations_article_trigram"
TRIGRAM_MIN = 3  # FTS5's trigram index cannot match shorter substrings
SNIPPET_WINDOW = 220  # characters of body shown around a substring match
# Private-use characters the databases wrap matches in; the text is escaped afterwards
# and only these become <mark> tags.
_START, _STOP = "\ue000", "\ue001"
# ts_headline's parser drops what looks like an HTML tag or entity from its fragments;
# "<" and "&" travel as these instead and are put back (then escaped) here.
_LT, _AMP = "\ue002", "\ue003"

# Scripts written without spaces between words: searched as substrings.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x9FFF),  # CJK symbols, kana, Bopomofo, Hangul compatibility, CJK ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width katakana
    (0x20000, 0x323AF),  # CJK extensions B-H
)
_EMOJI_JOINERS = {"\u200d", "\ufe0f", "\u20e3"}


def _kind(ch: str) -> str:
    """'s' substring character, 'w' word character, '' separator."""
    code, category = ord(ch), unicodedata.category(ch)
    if any(low <= code <= high for low, high in _NO_SPACE_RANGES):
        return "s" if category[0] in "LMN" or category == "So" else ""
    if category == "So" or ch in _EMOJI_JOINERS or 0x1F3FB <= code <= 0x1F3FF:
        return "s"
    if category[0] in "LMN":
        return "w"
    return ""


# --- the query -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    kind: str  # "words" (a word or a quoted phrase: words separated by spaces) or "substring"
    text: str
    negated: bool = False


@dataclass(slots=True)
class Query:
    """A search, parsed: clauses all of which must hold; a clause is one term or
    alternatives joined by "or"; a negated term is a clause of its own."""

    text: str
    clauses: list[tuple[Term, ...]] = field(default_factory=list)
    shortened: bool = False

    @property
    def empty(self) -> bool:
        return not self.clauses

    def positive(self, kind: str) -> list[str]:
        return list(
            dict.fromkeys(
                t.text for c in self.clauses for t in c if t.kind == kind and not t.negated
            )
        )


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, without the word the cut would split."""
    if len(text) <= limit:
        return text
    end = limit
    if _kind(text[limit]) == "w":
        while end > 0 and _kind(text[end - 1]) == "w":
            end -= 1
    return text[: end or limit].strip()


def _runs(text: str) -> Iterator[tuple[str, str]]:
    """(kind, run) for each run of word or substring characters; separators as ('', ch)."""
    kind, start = None, 0
    for i, ch in enumerate(text):
        k = _kind(ch)
        if k != kind:
            if kind:
                yield kind, text[start:i]
            kind, start = k, i
        if not k:
            yield "", ch
            kind = None
    if kind:
        yield kind, text[start:]


def parse(raw: str) -> Query:
    """The terms of a search box's text (websearch syntax: "phrase", -not, or)."""
    text = canonical_text(raw).strip()
    query = Query(text=shorten(text, MAX_QUERY_LENGTH), shortened=len(text) > MAX_QUERY_LENGTH)
    terms: list[Term | str] = []  # terms and "or" markers
    negate = in_phrase = False
    phrase: list[str] = []
    previous = " "

    def close_phrase():
        nonlocal negate
        if phrase:
            terms.append(Term("words", " ".join(phrase), negate))
            phrase.clear()
            negate = False

    for kind, run in _runs(query.text):
        if kind == "":
            if run == '"':
                if in_phrase:
                    close_phrase()
                in_phrase = not in_phrase
                if in_phrase and previous != "-":
                    negate = False
            elif run == "-" and not in_phrase and _kind(previous) == "":
                negate = True
            elif not in_phrase and run != "-":
                negate = False
            previous = run
            continue
        if in_phrase and kind == "w":
            phrase.append(run)
        elif kind == "w" and run.casefold() == "or" and not negate and not in_phrase:
            terms.append("or")
        else:
            terms.append(Term("words" if kind == "w" else "substring", run, negate))
            negate = False
        previous = run[-1]
    close_phrase()

    clauses: list[list[Term]] = []
    joining = False
    for item in terms:
        if item == "or":
            # "or" joins the terms either side; at either end it is just the word.
            joining = bool(clauses) and not clauses[-1][-1].negated
            continue
        if joining and not item.negated:
            clauses[-1].append(item)
        else:
            clauses.append([item])
        joining = False
    if terms and terms[-1] == "or":
        clauses.append([Term("words", "or")])
    if terms and terms[0] == "or" and not (clauses and clauses[0][0].text == "or"):
        clauses.insert(0, [Term("words", "or")])
    if len(clauses) > MAX_TERMS:
        clauses, query.shortened = clauses[:MAX_TERMS], True
    query.clauses = [tuple(dict.fromkeys(c)) for c in dict.fromkeys(map(tuple, clauses))]
    return query


# --- SQL ---------------------------------------------------------------------------------


class _SQL(Expression):
    """A fragment of SQL over the article table: "{t}" stands for its quoted alias."""

    def __init__(self, template: str, params=(), output_field=None):
        super().__init__(output_field=output_field or BooleanField())
        self.template, self.params = template, tuple(params)

    def as_sql(self, compiler, connection):
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return self.template.replace("{t}", table), list(self.params)


def _all_of(parts: list[tuple[str, list]], joiner: str) -> tuple[str, list]:
    sql = f" {joiner} ".join(f"({p})" for p, _ in parts)
    return sql, [x for _, params in parts for x in params]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts5_string(text: str) -> str:
    """A term or phrase as an FTS5 string: quoted, so AND, NEAR(, *, ^ are plain words."""
    return '"' + text.replace('"', '""') + '"'


_ALL_TEXT = "({t}.title || ' ' || {t}.author || ' ' || {t}.publisher || ' ' || {t}.body)"


def _each_column(template: str, text: str) -> tuple[str, list]:
    sql = " OR ".join(template % column for column in ("title", "author", "publisher", "body"))
    return sql, [text] * 4


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


# --- snippets ----------------------------------------------------------------------------


def _mark_substrings(text: str, substrings: list[str]) -> str:
    if not substrings:
        return text
    pattern = re.compile("|".join(re.escape(s) for s in sorted(substrings, key=len, reverse=True)))
    return pattern.sub(lambda m: f"{_START}{m.group()}{_STOP}", text)


def render_marked(text: str, substrings: list[str] = ()) -> SafeString:
    """Escape `text` and turn the sentinels around matches into <mark> tags, always
    balanced and never nested (a body that contains a sentinel itself cannot break out)."""
    text = " ".join(_mark_substrings(text, list(substrings)).split())
    out, open_ = [], False
    for piece in re.split(f"([{_START}{_STOP}])", text):
        if piece == _START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == _STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(escape(piece.replace(_LT, "<").replace(_AMP, "&")))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text above was escaped


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
