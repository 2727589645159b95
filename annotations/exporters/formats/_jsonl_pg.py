"""The native JSONL written by PostgreSQL: one query builds every line, COPY streams them.

The Python path (query.export_articles -> jsonl.article_record -> json) spends most of
an export turning rows into objects, objects into dicts and dicts into JSON. Here
PostgreSQL builds each article's line itself and `COPY ... TO STDOUT` streams the lines
as they are made (one row an article, so memory stays flat), which is close to the floor
of a `COPY (SELECT json_build_object(...))` of the same rows.

The lines are the Python path's byte for byte (tests/test_export_fast_path.py):
- Not json_build_object: it writes `"key" : value` with spaces. Each line is concatenated
  from the keys, in the order of jsonl.article_record/span_record, and each value's
  `to_json(...)`. PostgreSQL escapes a string like Python's json with
  ensure_ascii=False: `"` and `\\`, \\b \\f \\n \\r \\t, other control characters as
  lower-case \\u00XX, everything else (non-ASCII included) as is.
- Times are formatted like datetime.isoformat() in UTC: microseconds only when not
  zero, all six digits ("…:05.120000+00:00"; to_json would write ".12").
- U+0085, U+2028 and U+2029 are escaped afterwards in Python by _json.escape_line_breaks,
  as json_line does.

Which articles and spans: the SQL of the same Django querysets the Python path runs
(query.matching_articles and query.span_rows: the filters, the layer, the collection and
the placed-spans manager have one owner), compiled with `sql_with_params()` and wrapped
here. A span whose stored quote no longer matches the text at its offsets is left out
and counted, and a link is written only to a span of the same line, as in query/spans.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.db import connections

from ...models import Evidence, Relation, Source
from ..query import ExportFilters, ExportStats, iso_utc_sql, matching_articles, span_rows
from ._json import escape_line_breaks

_ARTICLE_COLUMNS = (
    "id",
    "title",
    "body",
    "author",
    "published_at",
    "source_url",
    "publisher",
    "status",
)
# The span query's columns, named for the SQL below (the query's own names repeat: "name").
_SPAN_COLUMNS = {
    "id": "id",
    "article_id": "article_id",
    "start": "start",
    "end": "end",
    "quote": "quote",
    "label__slug": "label",
    "speaker__name": "speaker",
    "speaker__kind": "speaker_kind",
    "speaker__role": "speaker_role",
    "speaker__url": "speaker_url",
    "note": "note",
    "author__username": "annotator",
    "created_at": "created_at",
    "verdict__scale__name": "scale",
    "verdict__slug": "slug",
    "verdict__name": "rating",
    "verdict__value": "value",
    "verdict_explanation": "explanation",
    "verdict_by__username": "verdict_by",
    "verdict_at": "verdict_at",
}


def _string(sql: str) -> str:
    """A text column as a JSON string, or null."""
    return f"COALESCE(to_json({sql})::text, 'null')"


def _time(sql: str) -> str:
    """A timestamptz as datetime.isoformat() of it in UTC, quoted, or null."""
    return f"""COALESCE('"' || {iso_utc_sql(sql)} || '"', 'null')"""


def _day(sql: str) -> str:
    """A date as date.isoformat(), quoted, or null."""
    day = f"to_char({sql}, 'YYYY-MM-DD')"
    return f"CASE WHEN {sql} IS NULL THEN 'null' ELSE '\"' || {day} || '\"' END"


def _object(*pairs: tuple[str, str]) -> str:
    """A JSON object from (key, SQL giving the value's JSON text) pairs, in that order."""
    parts = []
    for n, (key, value) in enumerate(pairs):
        parts.append(f"'{'{' if n == 0 else ','}\"{key}\":' || {value}")
    return " || ".join(parts) + " || '}'"


# An article's text, cut once into pieces of this many code points (see _sql).
PIECE = 128


def _quote_matches(span: str) -> str:
    """Python's `end <= len(body) and body[start:end] == quote`, in code points.

    substr() of a whole article walks its UTF-8 from the start, tens of microseconds a
    span on a long text; on the pieces (b.pieces) that cover the span it walks only them.
    """
    first, last = f"{span}.start / {PIECE} + 1", f'({span}."end" - 1) / {PIECE} + 1'
    return (
        f"({span}.\"end\" <= b.length AND substr(array_to_string(b.pieces[{first}:{last}], ''), "
        f'{span}.start %% {PIECE} + 1, {span}."end" - {span}.start) = {span}.quote)'
    )


def _sql(filters: ExportFilters, connection) -> tuple[str, list]:
    quote = connection.ops.quote_name
    articles_sql, articles_params = (
        matching_articles(filters).order_by().values_list(*_ARTICLE_COLUMNS).query.sql_with_params()
    )
    spans_sql, spans_params = (
        span_rows(filters).order_by().values_list(*_SPAN_COLUMNS).query.sql_with_params()
    )
    span_names = ", ".join(f'"{name}"' for name in _SPAN_COLUMNS.values())
    spans_of_article = f"({spans_sql}) AS s2({span_names}) WHERE s2.article_id = a.id"
    evidence, source, relation = (quote(m._meta.db_table) for m in (Evidence, Source, Relation))

    sources = (
        "SELECT string_agg("
        + _object(
            ("url", _string("src.url")),
            ("title", _string("src.title")),
            ("publisher", _string("src.publisher")),
            ("stance", _string("e.stance")),
            ("quoted_passage", _string("e.quoted_passage")),
            ("accessed_on", _day("src.accessed_on")),
        )
        + f", ',' ORDER BY e.id) FROM {evidence} e JOIN {source} src ON src.id = e.source_id "
        "WHERE e.annotation_id = sp.id"
    )
    relations = (
        "SELECT string_agg("
        + _object(("to", "r.to_span_id::text"), ("type", _string("r.type")))
        + f", ',' ORDER BY r.id) FROM {relation} r WHERE r.from_span_id = sp.id "
        # Only to a span of this line: one of the article's spans that is exported.
        "AND r.to_span_id IN (SELECT id FROM sp WHERE sp.matches)"
    )
    has_verdict = (
        "sp.slug IS NOT NULL OR COALESCE(sp.explanation, '') <> '' "
        "OR sp.verdict_by IS NOT NULL OR sp.verdict_at IS NOT NULL"
    )
    verdict = _object(
        ("scale", _string("sp.scale")),
        ("slug", _string("sp.slug")),
        ("name", _string("sp.rating")),
        ("value", "COALESCE(sp.value::text, 'null')"),
        ("explanation", _string("sp.explanation")),
        ("by", _string("sp.verdict_by")),
        ("at", _time("sp.verdict_at")),
    )
    speaker_details = _object(
        ("kind", _string("sp.speaker_kind")),
        ("role", _string("sp.speaker_role")),
        ("url", _string("sp.speaker_url")),
    )
    span = _object(
        ("id", "sp.id::text"),
        ("start", "sp.start::text"),
        ("end", 'sp."end"::text'),
        ("label", _string("sp.label")),
        ("text", _string("sp.quote")),
        ("speaker", _string("COALESCE(sp.speaker, '')")),
        (
            "speaker_details",
            f"CASE WHEN COALESCE(sp.speaker, '') = '' THEN 'null' ELSE {speaker_details} END",
        ),
        ("note", _string("sp.note")),
        ("annotator", _string("sp.annotator")),
        ("created_at", _time("sp.created_at")),
        ("verdict", f"CASE WHEN {has_verdict} THEN {verdict} ELSE 'null' END"),
        ("sources", f"'[' || COALESCE(({sources}), '') || ']'"),
        ("relations", f"'[' || COALESCE(({relations}), '') || ']'"),
    )
    line = _object(
        ("id", "a.id::text"),
        ("title", _string("a.title")),
        ("text", _string("a.body")),
        ("author", _string("a.author")),
        ("published_at", _time("a.published_at")),
        ("source_url", _string("a.source_url")),
        ("publisher", _string("a.publisher")),
        ("status", _string("a.status")),
        ("offset_unit", "'\"python_code_point\"'"),
        ("spans", "'[' || COALESCE(j.spans, '') || ']'"),
    )
    article_names = ", ".join(f'"{name}"' for name in _ARTICLE_COLUMNS)
    sql = (
        f"SELECT {line}, COALESCE(j.exported, 0), COALESCE(j.skipped, 0) "
        f"FROM ({articles_sql}) AS a({article_names}) "
        # The text once per article, cut into pieces of PIECE code points, and its
        # length (a long text is stored compressed: each substr() or char_length() of
        # the column would decompress it again). OFFSET 0 keeps it from being inlined.
        "CROSS JOIN LATERAL (SELECT pieces, COALESCE((cardinality(pieces) - 1) * "
        f"{PIECE} + char_length(pieces[cardinality(pieces)]), 0) AS length FROM (SELECT "
        f"ARRAY(SELECT m[1] FROM regexp_matches(a.body, '.{{1,{PIECE}}}', 'gs') AS m) "
        "AS pieces) AS cut OFFSET 0) AS b "
        # The article's spans, each marked whether its quote still matches (the CTE is
        # read twice: for the line, and for the links, which point at exported spans).
        "LEFT JOIN LATERAL ("
        f"WITH sp AS MATERIALIZED (SELECT s2.*, {_quote_matches('s2')} AS matches "
        f"FROM {spans_of_article}) "
        f"SELECT string_agg({span}, ',' ORDER BY sp.start, sp.\"end\" DESC, sp.id) "
        "FILTER (WHERE sp.matches) AS spans, "
        "COUNT(*) FILTER (WHERE sp.matches) AS exported, "
        "COUNT(*) FILTER (WHERE NOT sp.matches) AS skipped "
        "FROM sp) AS j ON true ORDER BY a.id"
    )
    # Placeholders in text order: the articles', then the spans'.
    return sql, [*articles_params, *spans_params]


def json_lines(filters: ExportFilters, stats: ExportStats, using: str) -> Iterator[str]:
    """Each matching article's JSONL line, streamed from PostgreSQL."""
    connection = connections[using]
    sql, params = _sql(filters, connection)
    connection.ensure_connection()
    started = time.monotonic()
    # Text COPY: one row a line. JSON has no raw tab or newline (they are escaped), so a
    # tab only separates the columns and the only escape COPY adds is a doubled backslash.
    # psycopg's own cursor: its errors go through Django's wrapper, as bulk_copy's do.
    with (
        connection.wrap_database_errors,
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy,
    ):
        for row in copy:
            line, exported, skipped = bytes(row).rsplit(b"\t", 2)
            stats.articles += 1
            stats.spans += int(exported)
            stats.skipped_spans += int(skipped)
            yield escape_line_breaks(line.replace(b"\\\\", b"\\").decode()) + "\n"
    if connection.queries_logged:
        # psycopg's own cursor bypasses Django's logging: record the COPY as the one
        # query it is (django_assert_num_queries, the debug toolbar).
        connection.queries_log.append(
            {"sql": f"COPY ({sql}) TO STDOUT", "time": f"{time.monotonic() - started:.3f}"}
        )
