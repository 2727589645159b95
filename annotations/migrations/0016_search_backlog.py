"""The search index may lag behind a bulk import (annotations/search_index.py).

PostgreSQL: `search_vector` stops being a generated column (a generated column is always
computed at insert) and is kept by a trigger instead, which leaves it NULL for articles
inserted while the transaction sets factcheck.defer_search_index = 'on'; NULL means
"queued", found by a partial index. The trigram index covers indexed articles only
(WHERE search_vector IS NOT NULL), so a queued article costs it nothing until indexed.
One SQL function, factcheck_search_vector(), computes the vector for the trigger and for
the catch-up, so both give the same vector as 0007's generated column did. With the
generated column gone, an AlterField on title/author/publisher/body no longer needs to
drop the column first (0007's caveat).

SQLite: a queue table (annotations_search_backlog) and a deferral table that holds a row
while an import defers; 0007's triggers are replaced by one trigger per event that
indexes as before unless deferring (insert) or the article is still queued (update,
delete: FTS5 external-content tables must never be told to delete a row they do not
hold). Django rebuilds a SQLite table to alter it, which drops its triggers: a later
migration that alters annotations_article must run SQLITE_TRIGGERS again.
"""

from django.db import migrations

COLUMNS = ("title", "author", "publisher", "body")
_COLUMNS = ", ".join(COLUMNS)
_FTS = ("annotations_article_fts", "annotations_article_trigram")

VECTOR = """
CREATE OR REPLACE FUNCTION factcheck_search_vector(title text, author text, publisher text,
                                                   body text)
RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('factcheck_search'::regconfig, title), 'A')
      || setweight(to_tsvector('factcheck_search'::regconfig, author || ' ' || publisher), 'B')
      || setweight(to_tsvector('factcheck_search'::regconfig, body), 'C')
$$
"""

POSTGRESQL = [
    VECTOR,
    "ALTER TABLE annotations_article ALTER COLUMN search_vector DROP EXPRESSION",
    """
    CREATE OR REPLACE FUNCTION annotations_article_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT'
         AND coalesce(current_setting('factcheck.defer_search_index', true), '') = 'on' THEN
        NEW.search_vector := NULL;
      ELSE
        NEW.search_vector := factcheck_search_vector(NEW.title, NEW.author, NEW.publisher,
                                                     NEW.body);
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER annotations_article_search_sync
      BEFORE INSERT OR UPDATE OF {_COLUMNS} ON annotations_article
      FOR EACH ROW EXECUTE FUNCTION annotations_article_search_sync()
    """,
    "DROP INDEX IF EXISTS annotations_article_trigram",
    """
    CREATE INDEX annotations_article_trigram ON annotations_article
      USING GIN ((title || ' ' || author || ' ' || publisher || ' ' || body) gin_trgm_ops)
      WHERE search_vector IS NOT NULL
    """,
    """
    CREATE INDEX annotations_article_search_backlog ON annotations_article (id)
      WHERE search_vector IS NULL
    """,
]

POSTGRESQL_REVERSE = [
    "UPDATE annotations_article SET search_vector = "
    "factcheck_search_vector(title, author, publisher, body) WHERE search_vector IS NULL",
    "DROP INDEX IF EXISTS annotations_article_search_backlog",
    "DROP INDEX IF EXISTS annotations_article_trigram",
    "DROP TRIGGER IF EXISTS annotations_article_search_sync ON annotations_article",
    "DROP FUNCTION IF EXISTS annotations_article_search_sync()",
    "ALTER TABLE annotations_article DROP COLUMN search_vector",
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
    "DROP FUNCTION IF EXISTS factcheck_search_vector(text, text, text, text)",
]


def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}.{c}" for c in COLUMNS)


_NOT_QUEUED = "NOT EXISTS (SELECT 1 FROM annotations_search_backlog WHERE article_id = old.id)"
_DEFERRING = "EXISTS (SELECT 1 FROM annotations_search_deferral)"


def _fts_insert(table: str, prefix: str, condition: str) -> str:
    return (
        f"INSERT INTO {table} (rowid, {_COLUMNS}) "
        f"SELECT {prefix}.id, {_values(prefix)} WHERE {condition};"
    )


def _fts_delete(table: str) -> str:
    return (
        f"INSERT INTO {table} ({table}, rowid, {_COLUMNS}) "
        f"SELECT 'delete', old.id, {_values('old')} WHERE {_NOT_QUEUED};"
    )


SQLITE_TRIGGERS = [
    *(
        f"DROP TRIGGER IF EXISTS {t}_{event}"
        for t in _FTS
        for event in ("insert", "delete", "update")
    ),
    "DROP TRIGGER IF EXISTS annotations_article_search_insert",
    "DROP TRIGGER IF EXISTS annotations_article_search_delete",
    "DROP TRIGGER IF EXISTS annotations_article_search_update",
    "CREATE TRIGGER annotations_article_search_insert AFTER INSERT ON annotations_article BEGIN "
    + " ".join(_fts_insert(t, "new", f"NOT {_DEFERRING}") for t in _FTS)
    + f" INSERT INTO annotations_search_backlog (article_id) SELECT new.id WHERE {_DEFERRING};"
    + " END",
    "CREATE TRIGGER annotations_article_search_delete AFTER DELETE ON annotations_article BEGIN "
    + " ".join(_fts_delete(t) for t in _FTS)
    + " DELETE FROM annotations_search_backlog WHERE article_id = old.id; END",
    f"CREATE TRIGGER annotations_article_search_update AFTER UPDATE OF {_COLUMNS} "
    "ON annotations_article BEGIN "
    + " ".join(_fts_delete(t) + " " + _fts_insert(t, "new", _NOT_QUEUED) for t in _FTS)
    + " END",
]

SQLITE = [
    "CREATE TABLE annotations_search_backlog (article_id integer NOT NULL PRIMARY KEY)",
    "CREATE TABLE annotations_search_deferral (active integer NOT NULL)",
    *SQLITE_TRIGGERS,
]


def _sqlite_reverse(apps, schema_editor):
    """Back to 0007's triggers, with the queue indexed first."""
    from importlib import import_module

    search = import_module("annotations.migrations.0007_article_search")
    for table in _FTS:
        schema_editor.execute(
            f"INSERT INTO {table} (rowid, {_COLUMNS}) SELECT id, {_COLUMNS} "
            "FROM annotations_article WHERE id IN (SELECT article_id FROM annotations_search_backlog)"
        )
    for sql in (
        "DROP TRIGGER IF EXISTS annotations_article_search_insert",
        "DROP TRIGGER IF EXISTS annotations_article_search_delete",
        "DROP TRIGGER IF EXISTS annotations_article_search_update",
        "DROP TABLE annotations_search_backlog",
        "DROP TABLE annotations_search_deferral",
    ):
        schema_editor.execute(sql)
    for sql in search.SQLITE:
        if sql.startswith("CREATE TRIGGER"):
            schema_editor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite_reverse(apps, schema_editor)
    elif vendor == "postgresql":
        for sql in POSTGRESQL_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0015_export_records")]
    operations = [migrations.RunPython(forwards, backwards)]
