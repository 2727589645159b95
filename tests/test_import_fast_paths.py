"""The import's fast paths (issue 9, "Speed") give exactly what the slow ones gave.

Each shortcut is compared with the plain computation it replaces, on values like a real
import's: history JSON text, parsed times, speakers by name, the SQLite page cache.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from annotations.history import IMPORTED_SPANS, snapshot_article_fields
from annotations.importers import bulk_insert, fields, page_cache, service
from annotations.importers import rows as rows_module
from annotations.importers.base import LineError, SpanRecord, SpeakerDetails
from annotations.importers.speakers import speakers_for
from annotations.models import Annotation, Article, HistoryEvent, Label, Speaker

SNAPSHOT = {
    "id": 7,
    "quote": "“the talks are advancing” 😀 東京 café\u00a0",
    "prefix": "Kirby said ",
    "speaker_id": None,
    "verdict_at": None,
    "sources": [{"id": 1, "url": "https://example.org/é", "accessed_on": "2024-05-02"}],
    "relations": [],
    "version": 1,
}


@pytest.mark.django_db
def test_history_json_is_the_value_the_database_adapter_gives():
    """The importer writes history JSON with orjson: compact and not ASCII-escaped, so
    not the adapter's text, but the same JSON value, read back the same."""
    field = HistoryEvent._meta.get_field("after")
    fast = bulk_insert.json_adapter(field)
    for value in (SNAPSHOT, None):
        adapted = connection.ops.adapt_json_value(value, field.encoder)
        # PostgreSQL wraps the value (psycopg's Jsonb), and writes its dumps() text.
        expected = adapted if isinstance(adapted, str) else adapted.dumps(adapted.obj)
        written = fast(value)
        assert isinstance(written, str)
        assert json.loads(written) == json.loads(expected) == value


def test_history_json_falls_back_to_json_for_what_orjson_refuses():
    """orjson refuses integers beyond 64 bits and lone surrogates; the stdlib writes them,
    so the history text is still written (and reads back as the same value)."""
    for value in ({"n": 2**70}, {"note": "broken \ud800 text"}):
        written = bulk_insert.json_text(value)
        assert json.loads(written) == value


@pytest.mark.django_db
def test_an_imported_articles_arrival_event_reads_back_as_its_snapshot(tmp_path):
    """What the importer stores as an article's "created" event (written with orjson),
    read back, is history.snapshot_article_fields of the stored article, non-ASCII text
    and times included, with its span count."""
    Label.objects.get_or_create(slug="claim", defaults={"name": "Claim"})
    path = tmp_path / "a.jsonl"
    text = "Kirby said “the talks are advancing” in 東京. 😀"
    line = {
        "title": "Talks “advancing” in 東京 😀",
        "author": "Zoë Ørsted",
        "published_at": "2024-05-01T09:30:00+02:00",
        "source_url": "https://example.org/é?utm_source=x",
        "text": text,
        "spans": [{"start": 11, "end": 36, "label": "claim", "note": "n\tö"}],
    }
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = service.import_path(path)
    assert not result.reason and len(result.created) == 1
    article = Article.objects.get()
    event = HistoryEvent.objects.get(kind=HistoryEvent.Kind.ARTICLE, object_id=article.pk)
    assert event.before is None
    expected = {**snapshot_article_fields(article), IMPORTED_SPANS: 1}
    assert event.after == json.loads(json.dumps(expected))
    assert not HistoryEvent.objects.filter(kind=HistoryEvent.Kind.ANNOTATION).exists()


def test_memoised_adapter_adapts_each_value_once_and_returns_the_same():
    calls = []

    def adapt(value):
        calls.append(value)
        return f"<{value}>"

    memo = bulk_insert.memoised(adapt)
    assert [memo(1), memo(2), memo(1)] == ["<1>", "<2>", "<1>"]
    assert calls == [1, 2]


def test_a_time_with_an_offset_parses_as_before_and_is_shared():
    first = fields.datetime_field({"at": "2024-05-01T10:00:00+02:00"}, "at")
    again = fields.datetime_field({"at": " 2024-05-01T10:00:00+02:00 "}, "at")
    assert first == again == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert first.utcoffset() == timedelta(hours=2)


def test_a_naive_time_is_read_in_the_zone_of_the_moment_not_a_cached_one():
    with override_settings(TIME_ZONE="UTC"):
        in_utc = fields.datetime_field({"at": "2024-05-01T10:00:00"}, "at")
    with override_settings(TIME_ZONE="Asia/Tokyo"):
        in_tokyo = fields.datetime_field({"at": "2024-05-01T10:00:00"}, "at")
    assert in_utc - in_tokyo == timedelta(hours=9)
    assert in_tokyo.utcoffset() == timedelta(hours=9)
    assert in_utc.tzinfo is not None and in_utc.utcoffset() == UTC.utcoffset(None)


def test_a_field_that_is_not_a_string_is_still_refused_by_name():
    with pytest.raises(LineError, match="“note” must be a string"):
        fields.text_field({"note": 5}, "note")
    assert fields.text_field({"note": " a\x00b\u0065\u0301 "}, "note") == "ab\u00e9"


@pytest.mark.django_db
def test_speakers_repeated_under_several_spellings_resolve_to_one_each():
    spans = [
        SpanRecord(start=0, end=1, label="claim", speaker=name, speaker_details=details)
        for name, details in (
            ("John  Kirby", None),
            ("john kirby", SpeakerDetails(kind="person", role="spokesman")),
            ("John  Kirby", None),
            ("Émile Zola", None),
            ("   ", None),
        )
    ]
    found = speakers_for(spans, actor=None)
    assert set(found) == {"John  Kirby", "john kirby", "Émile Zola"}
    assert found["John  Kirby"] == found["john kirby"]
    kirby = Speaker.objects.get(pk=found["john kirby"].pk)
    assert (kirby.name, kirby.role) == ("John Kirby", "spokesman")
    assert Speaker.objects.count() == 2


@pytest.mark.django_db
def test_the_sqlite_page_cache_is_larger_while_storing_and_put_back_after():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")

    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    before = cache_size()
    with page_cache.larger_page_cache(connection):
        assert cache_size() == -page_cache.IMPORT_CACHE_KIB
    assert cache_size() == before
    with pytest.raises(RuntimeError), page_cache.larger_page_cache(connection):
        raise RuntimeError
    assert cache_size() == before


@pytest.mark.django_db(transaction=True)
def test_rows_inserted_with_ids_are_the_rows_with_those_ids():
    # Someone else's article first, so that the new ids do not start at 1.
    Article.objects.create(title="Before", body="Stored before.")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = {
        "author": "",
        "published_at": None,
        "source_url": "",
        "publisher": "",
        "status": Article.Status.NEW.value,
        "assignee_id": None,
        "import_metadata": connection.ops.adapt_json_value({}, None),
        "imported_at": now,
        "updated_at": now,
        "canonical_url": "",
    }
    rows = [
        tuple(
            {**values, "title": f"Title {i}", "body": f"Body {i}.", "content_hash": f"{i:064x}"}[
                column
            ]
            for column in rows_module.ARTICLE_COLUMNS
        )
        for i in range(120)
    ]
    with transaction.atomic():
        ids = bulk_insert.insert_rows_with_ids(Article, rows_module.ARTICLE_COLUMNS, rows)
    stored = dict(Article.objects.filter(pk__in=ids).values_list("pk", "title"))
    assert len(set(ids)) == len(rows)
    assert [stored[pk] for pk in ids] == [f"Title {i}" for i in range(120)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite numbers rows by rowid")
def test_rows_inserted_with_ids_outside_a_transaction_are_refused_on_sqlite():
    with pytest.raises(RuntimeError, match="inside a transaction"):
        bulk_insert.insert_rows_with_ids(
            Article, ("title", "body", "content_hash"), [("T", "B.", "0" * 64)]
        )
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_the_span_table_indexes_its_rarely_set_keys_only_where_set():
    table = Annotation._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    single = {
        tuple(c["columns"]) for c in constraints.values() if c["index"] and not c["primary_key"]
    }
    # The article is the first column of both composite indexes: no index of its own.
    assert ("article_id",) not in single
    assert ("article_id", "start", "end") in single
    for name, column in [
        ("annotation_verdict_set", "verdict_id"),
        ("annotation_verdict_by_set", "verdict_by_id"),
        ("annotation_anchored_in_set", "anchored_in_id"),
    ]:
        assert constraints[name]["columns"] == [column]
    # Partial: a span without a verdict is not in the index.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'annotation_verdict_set'")
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'annotation_verdict_set'"
            )
        assert "IS NOT NULL" in cursor.fetchone()[0]
