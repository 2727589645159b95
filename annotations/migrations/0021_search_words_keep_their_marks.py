"""SQLite: the word index keeps combining marks inside words.

FTS5's unicode61 tokenizer counts only letters, numbers and private-use characters
(categories 'L* N* Co') as parts of words by default, so a combining mark (Unicode
categories Mn, Mc, Me) separated words: Devanagari "हिन्दी" was indexed as "ह", "द",
"न", and a search for "दो" or "न" found it, its snippet cutting the word
(`हिन्<mark>द</mark>ी`). The same held for every script whose vowel signs or viramas
are marks (Bengali, Tamil, the other Indic scripts) and for Arabic with harakat. The
table is made again with categories 'L* N* Co M*' (remove_diacritics 2 still folds
Latin accents, composed or not), and the articles already indexed are indexed again;
those still queued for the index (annotations_search_backlog) are left to the catch-up,
as before. The triggers of 0016 name the table, not its tokenizer, and are kept.

PostgreSQL needs nothing: its text search parser keeps marks inside words
(tests/test_search_scripts.py checks both databases).
"""

from django.db import migrations

TABLE = "annotations_article_fts"
COLUMNS = "title, author, publisher, body"
TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
OLD_TOKENIZER = "unicode61 remove_diacritics 2"


def _rebuild(tokenizer: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        quoted = tokenizer.replace("'", "''")
        for sql in (
            f"DROP TABLE {TABLE}",
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5({COLUMNS}, "
            f"content='annotations_article', content_rowid='id', tokenize='{quoted}')",
            # Not 'rebuild': that would index the queued articles too, and the catch-up
            # would then index them a second time.
            f"INSERT INTO {TABLE} (rowid, {COLUMNS}) SELECT id, {COLUMNS} "
            "FROM annotations_article "
            "WHERE id NOT IN (SELECT article_id FROM annotations_search_backlog)",
        ):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("annotations", "0020_span_indexes_where_set")]
    operations = [migrations.RunPython(_rebuild(TOKENIZER), _rebuild(OLD_TOKENIZER))]
