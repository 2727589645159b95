"""A GIN trigram index on the spans' quotes, for "seen before" (annotations/similar.py).

PostgreSQL only: pg_trgm's `%` operator finds the claims that share enough trigrams with
a quote through this index instead of comparing every claim. pg_trgm itself comes from
0007 (created again here if missing, which needs the rights 0007 needed). SQLite has no
trigram index; its fallback needs nothing from this migration. Reversible: going back
drops the index and leaves the extension, which 0007 owns.
"""

from django.db import migrations

INDEX = "annotations_annotation_quote_trgm"

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON annotations_annotation USING GIN (quote gin_trgm_ops)",
]
POSTGRESQL_REVERSE = [f"DROP INDEX IF EXISTS {INDEX}"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


create_index = _on_postgresql(POSTGRESQL)
drop_index = _on_postgresql(POSTGRESQL_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0009_factcheck_permissions")]
    operations = [migrations.RunPython(create_index, drop_index)]
