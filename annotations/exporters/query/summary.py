"""Counts an export page shows or a format needs, in one query each."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Max, Min

from ...models import Label, Rating
from .filters import ExportFilters, matching_articles, matching_spans


def export_summary(filters: ExportFilters, *, viewer=None, using: str = DEFAULT_DB_ALIAS) -> dict:
    """What an export with these filters would contain, in one query: for `viewer`, what
    their export contains (the spans they may see; see filters.py).

    The matching spans are read once (a CTE): grouped by label id (the labels' names
    joined to the few groups, not to every span, which would sort the whole table) and,
    when a span filter chooses the articles, their distinct articles counted from the
    same rows; otherwise the article count is the articles' own (one with no span is
    exported too). Both counts come from the filters that `export_articles` uses.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    spans_sql, spans_params = (
        matching_spans(filters, viewer)
        .order_by()
        .values("label_id", "article_id")
        .query.sql_with_params()
    )
    if filters.selects_spans:
        articles_sql, articles_params = "SELECT COUNT(DISTINCT article_id) FROM s", ()
    else:
        sql, articles_params = (
            matching_articles(filters, viewer).order_by().values("pk").query.sql_with_params()
        )
        articles_sql = f"SELECT COUNT(*) FROM ({sql}) a"
    label = Label._meta
    columns = ", ".join(
        f"l.{quote(label.get_field(name).column)}" for name in ("slug", "name", "colour", "order")
    )
    sql = (
        f"WITH s AS ({spans_sql}) "
        f"SELECT {columns}, g.n FROM (SELECT label_id, COUNT(*) AS n FROM s GROUP BY label_id) g "
        f"JOIN {quote(label.db_table)} l ON l.{quote(label.pk.column)} = g.label_id "
        f"UNION ALL SELECT NULL, NULL, NULL, NULL, ({articles_sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*spans_params, *articles_params))
        rows = cursor.fetchall()
    articles = next(n for slug, *_, n in rows if slug is None)
    by_label = [
        {"label__slug": slug, "label__name": name, "label__colour": colour, "spans": n}
        for slug, name, colour, order, n in sorted(
            (row for row in rows if row[0] is not None), key=lambda row: (row[3], row[1])
        )
    ]
    return {
        "articles": articles,
        "spans": sum(row["spans"] for row in by_label),
        "by_label": by_label,
    }


def rating_scale_bounds() -> dict[str, tuple[int, int]]:
    """Each rating scale's (best, worst) ordinal values, by scale name, in one query.
    Value 0 is off the scale ("unproven") and bounds nothing."""
    rows = (
        Rating.objects.filter(value__gt=0)
        .values("scale__name")
        .annotate(best=Max("value"), worst=Min("value"))
        .values_list("scale__name", "best", "worst")
        .order_by()
    )
    return {name: (best, worst) for name, best, worst in rows}
