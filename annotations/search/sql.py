"""SQL the two backends share: a fragment over the article table, LIKE patterns, a
condition on each text column."""

from __future__ import annotations

from django.db.models import BooleanField, Expression

TRIGRAM_MIN = 3  # FTS5's trigram index cannot match shorter substrings

# --- SQL ---------------------------------------------------------------------------------


class _SQL(Expression):
    """A fragment of SQL over the article table: "{t}" stands for its quoted alias."""

    def __init__(self, template: str, params=(), output_field=None):
        super().__init__(output_field=output_field or BooleanField())
        self.template, self.params = template, tuple(params)

    def as_sql(self, compiler, connection):
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return self.template.replace("{t}", table), list(self.params)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _each_column(template: str, text: str) -> tuple[str, list]:
    sql = " OR ".join(template % column for column in ("title", "author", "publisher", "body"))
    return sql, [text] * 4
