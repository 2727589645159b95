"""Full-text search over articles (annotations/search/), one index per database.

PostgreSQL (needs CREATE EXTENSION, i.e. a superuser or a database owner on PostgreSQL 13+
for these trusted extensions; locally we are root):
- extensions pg_trgm and unaccent, and the text search configuration "factcheck_search":
  a copy of 'simple' (no stemming, no stop words: names and every language are matched
  as written) whose words go through unaccent first, so "Renee" finds "Renée";
- a stored generated column annotations_article.search_vector (title weight A, author and
  publisher B, body C) with a GIN index. Stored rather than a GIN expression index because
  ranking reads the vector of every matching row: from the column that is a read, from an
  expression index it would mean parsing each matching body again (for a common word,
  every body). The column is not in the model (SQLite has no tsvector), so Django never
  selects or writes it; PostgreSQL keeps it current on every INSERT and UPDATE, the
  importer's plain INSERTs included. Caveat: PostgreSQL refuses to change the type of a
  column a generated column reads, so a later AlterField on title/author/publisher/body
  must drop the column first and re-add it (copy the SQL below).
- a GIN trigram index on title || author || publisher || body for substring search in
  scripts written without spaces (CJK, Thai) and for emoji.

SQLite: two FTS5 tables with external content (they store only the index; the text is
read from annotations_article), kept current by triggers on insert, delete and on updates
of the four columns:
- annotations_article_fts, tokenizer unicode61 remove_diacritics 2 (words, case and
  accents folded), ranked with bm25;
- annotations_article_trigram, tokenizer trigram, for substrings of three characters or
  more in scripts without spaces (shorter ones are scanned: FTS5 trigrams cannot match
  them). Caveat: Django rebuilds a SQLite table to alter it, which drops its triggers; a
  later migration that alters annotations_article on SQLite must run this file's SQLITE
  statements again (tests/test_search.py fails otherwise).
"""

from django.db import migrations

COLUMNS = ("title", "author", "publisher", "body")

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    DO $$ BEGIN
      CREATE TEXT SEARCH CONFIGURATION factcheck_search (COPY = pg_catalog.simple);
    EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
    END $$
    """,
    """
    ALTER TEXT SEARCH CONFIGURATION factcheck_search
      ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part,
                        numword, numhword, hword_numpart
      WITH unaccent, simple
    """,
    """
    ALTER TABLE annotations_article ADD COLUMN search_vector tsvector
      GENERATED ALWAYS AS (
        setweight(to_tsvector('factcheck_search'::regconfig, title), 'A')
        || setweight(to_tsvector('factcheck_search'::regconfig, author || ' ' || publisher), 'B')
        || setweight(to_tsvector('factcheck_search'::regconfig, body), 'C')
      ) STORED
    """,
    "CREATE INDEX annotations_article_search_vector ON annotations_article USING GIN (search_vector)",
    """
    CREATE INDEX annotations_article_trigram ON annotations_article
      USING GIN ((title || ' ' || author || ' ' || publisher || ' ' || body) gin_trgm_ops)
    """,
]

POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS annotations_article_trigram",
    "DROP INDEX IF EXISTS annotations_article_search_vector",
    "ALTER TABLE annotations_article DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS factcheck_search",
]


def _sqlite_table(name: str, tokenizer: str) -> list[str]:
    columns = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    delete = f"INSERT INTO {name}({name}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {name}(rowid, {columns}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {name} USING fts5({columns}, "
        f"content='annotations_article', content_rowid='id', tokenize='{tokenizer}')",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON annotations_article BEGIN {insert} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON annotations_article BEGIN {delete} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {columns} ON annotations_article "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",
    ]


SQLITE_TABLES = {
    "annotations_article_fts": "unicode61 remove_diacritics 2",
    "annotations_article_trigram": "trigram",
}
SQLITE = [sql for name, tok in SQLITE_TABLES.items() for sql in _sqlite_table(name, tok)]
SQLITE_REVERSE = [
    sql
    for name in SQLITE_TABLES
    for sql in (
        f"DROP TRIGGER IF EXISTS {name}_insert",
        f"DROP TRIGGER IF EXISTS {name}_delete",
        f"DROP TRIGGER IF EXISTS {name}_update",
        f"DROP TABLE IF EXISTS {name}",
    )
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("annotations", "0006_reviewer_permissions")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
