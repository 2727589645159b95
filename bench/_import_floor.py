"""The import bench's floor: the rows our import stores for a JSONL file, inserted by the
plainest fast means, with no application logic (bench/bench_import.py runs it).

The same tables, columns and value forms as annotations/importers/rows.py writes (its
column lists, with the ids given here), for the same file: the articles with their import
metadata, the speakers and source records the spans name, the spans, their citations and
the history: an event per article (its arrival), whose `after` has the keys of
history.snapshot_article_fields, and one per new speaker (held to the import's rows,
counts and sizes, on both databases).
What the floor leaves out is the application: no checks, no look-ups of what exists
(the database is fresh, so ids are counted from its maxima instead of read back), no
model instances, no canonical forms (values are used as the file gives them). It holds
the whole file and its rows in memory (one statement per table), so its peak RSS says
nothing about the import's.

- SQLite: the stdlib connection under Django's, one single-row INSERT per table run by
  executemany, in one transaction, with the page cache the import uses.
- PostgreSQL: one binary COPY per table (column types from the table, as
  importers/bulk_copy.py does), in one transaction. The foreign keys are deferred, so
  the commit runs their checks; `immediate=True` runs them at the end of each COPY
  instead (SET CONSTRAINTS ALL IMMEDIATE), which shows what they cost.

Both defer the search index as the import does (search_index.deferred's SQL).
Reported: the time to parse the lines (orjson, from the bytes), to build the rows, to insert each
table, and to commit (SQLite: writing the WAL; PostgreSQL: the deferred checks too).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import orjson

# The insert order, as the import's (a row's foreign keys point at rows before it).
SPEAKER_COLUMNS = ("id", "name", "kind", "role", "url", "created_by_id", "created_at")
SOURCE_COLUMNS = (
    *("id", "url", "title", "publisher", "accessed_on"),
    *("created_by_id", "created_at", "version"),
)
EVIDENCE_COLUMNS = (
    *("id", "annotation_id", "source_id", "stance", "quoted_passage"),
    *("created_by_id", "created_at", "version"),
)
TABLES = (
    "annotations_speaker",
    "annotations_source",
    "annotations_article",
    "annotations_annotation",
    "annotations_evidence",
    "annotations_historyevent",
)


def measure(path: Path, *, immediate: bool = False) -> dict:
    """Run the floor on the fresh, migrated database Django is connected to."""
    from django.contrib.auth.models import User
    from django.db import connection

    from annotations.models import Label, Rating

    user = User.objects.create_user("bench")
    known = Known(
        users={user.get_username(): user.pk},
        labels=dict(Label.objects.values_list("slug", "pk")),
        ratings={
            (scale, slug): pk
            for scale, slug, pk in Rating.objects.values_list("scale__name", "slug", "pk")
        },
    )
    first_ids = _first_ids(connection)
    adapt = _Adapters(connection)
    _columns()  # imports the importer's modules: not the rows' time

    server = server_cpu(connection)
    wall, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as lines:  # orjson reads the bytes, as the import does
        records = [orjson.loads(line) for line in lines]
    parsed = time.perf_counter()
    tables = build_rows(
        records,
        known=known,
        first_ids=first_ids,
        stamp=adapt.datetime,
        day=adapt.date,
        json_value=adapt.json,
        now=datetime.now(UTC).isoformat(),
        source_file=str(path),
    )
    built = time.perf_counter()
    if connection.vendor == "postgresql":
        inserts, commit = _postgres(connection, tables, immediate=immediate)
    else:
        inserts, commit = _sqlite(connection, tables)
    seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if server is not None:
        server = server_cpu(connection) - server

    with connection.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    columns, history = tables["annotations_historyevent"]
    after = columns.index("after")
    return {
        "vendor": connection.vendor,
        "immediate": immediate,
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server,
        "parse": parsed - wall,
        "rows": built - parsed,
        "inserts": inserts,
        "commit": commit,
        "counts": counts,
        "history_json_mb": sum(len(_json_text(row[after])) for row in history) / 1e6,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- the rows (pure) ------------------------------------------------------------------------


class Known:
    """What exists after migrate (and the bench's one account), by the names a file uses."""

    def __init__(self, *, users: dict[str, int], labels: dict[str, int], ratings: dict):
        self.users, self.labels, self.ratings = users, labels, ratings


def _columns():
    from annotations.importers import rows

    return (
        ("id", *rows.ARTICLE_COLUMNS),
        ("id", *rows.ANNOTATION_COLUMNS),
        ("id", *rows.HISTORY_COLUMNS),
    )


def build_rows(
    records: list[dict],
    *,
    known: Known,
    first_ids: dict[str, int],
    stamp: Callable[[str], object],
    day: Callable[[str], object],
    json_value: Callable[[str], object],
    now: str,
    source_file: str,
) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """{table: (columns, rows)} in insert order, for these parsed JSONL lines.

    `stamp` and `day` give an ISO text in the database's form (remembered per text: a
    file repeats its times), `json_value` a JSON text; `now` is the import's time (ISO)."""
    from annotations.offsets import CONTEXT_WIDTH

    now = stamp(now)
    article_columns, annotation_columns, history_columns = _columns()
    speakers: dict[str, int] = {}
    sources: dict[str, tuple] = {}
    articles, annotations, evidence, history = [], [], [], []
    article_id = first_ids["annotations_article"]
    span_id = first_ids["annotations_annotation"]
    evidence_id = first_ids["annotations_evidence"]
    history_id = first_ids["annotations_historyevent"]
    speaker_id = first_ids["annotations_speaker"]
    source_id = first_ids["annotations_source"]
    metadata = {
        **{"source_file": source_file, "encoding": "utf-8", "imported_by": ""},
        "format": "native-jsonl",
    }
    for line, record in enumerate(records, start=1):
        body = record["text"]
        url = record.get("source_url", "")
        spans = record.get("spans", [])
        articles.append(
            (
                article_id,
                record.get("title", ""),
                body,
                record.get("author", ""),
                stamp(record["published_at"]) if record.get("published_at") else None,
                url,
                record.get("publisher", ""),
                hashlib.sha256(body.encode()).hexdigest(),
                "in_review" if spans else "new",
                None,
                json_value(json.dumps({**metadata, "original_id": record.get("id"), "line": line})),
                now,
                now,
                url,
            )
        )
        for span in spans:
            start, end = span["start"], span["end"]
            name = span.get("speaker") or ""
            if name and name not in speakers:
                speakers[name] = speaker_id
                speaker_id += 1
            author = known.users[span["annotator"]]
            created = stamp(span["created_at"])
            verdict = span.get("verdict")
            verdict_id = verdict_by = verdict_at = None
            explanation = ""
            if verdict:
                verdict_id = known.ratings[(verdict["scale"], verdict["slug"])]
                verdict_by = known.users.get(verdict.get("by", ""))
                verdict_at = stamp(verdict["at"]) if verdict.get("at") else None
                explanation = verdict.get("explanation", "")
            prefix = body[max(0, start - CONTEXT_WIDTH) : start]
            suffix = body[end : end + CONTEXT_WIDTH]
            for source in span.get("sources", []):
                if source["url"] not in sources:
                    sources[source["url"]] = (source_id, source)
                    source_id += 1
                row = (
                    evidence_id,
                    span_id,
                    sources[source["url"]][0],
                    source.get("stance", "context"),
                    source.get("quoted_passage", ""),
                    author,
                    now,
                    1,
                )
                evidence.append(row)
                evidence_id += 1
            annotations.append(
                (
                    span_id,
                    article_id,
                    known.labels[span["label"]],
                    start,
                    end,
                    body[start:end],
                    prefix,
                    suffix,
                    speakers.get(name),
                    span.get("note", ""),
                    author,
                    created,
                    now,
                    1,
                    verdict_id,
                    explanation,
                    verdict_by,
                    verdict_at,
                    "reviewer",
                    False,
                    None,
                )
            )
            span_id += 1
        # The article's arrival (importers/rows._record_arrivals): history's
        # snapshot_article_fields keys and the span count; none per span.
        after = {
            "id": article_id,
            "title": record.get("title", ""),
            "author": record.get("author", ""),
            "publisher": record.get("publisher", ""),
            "published_at": record.get("published_at"),
            "source_url": url,
            "status": "in_review" if spans else "new",
            "assignee_id": None,
            "content_hash": articles[-1][7],
            "imported_spans": len(spans),
        }
        history.append(
            (
                history_id,
                "article",
                article_id,
                None,
                article_id,
                "create",
                None,  # the actor: the command line's import has none
                now,
                None,
                json_value(json.dumps(after)),
                "import",
            )
        )
        history_id += 1
        article_id += 1
    # Each new speaker's creation is in the history too (importers/speakers.py).
    for name, pk in speakers.items():
        after = {"id": pk, "name": name, "kind": "person", "role": "", "url": ""}
        history.append(
            (
                history_id,
                "speaker",
                pk,
                None,
                None,
                "create",
                None,
                now,
                None,
                json_value(json.dumps(after)),
                "",
            )
        )
        history_id += 1
    return {
        "annotations_speaker": (
            SPEAKER_COLUMNS,
            [(pk, name, "person", "", "", None, now) for name, pk in speakers.items()],
        ),
        "annotations_source": (
            SOURCE_COLUMNS,
            [
                (
                    pk,
                    url,
                    source.get("title", ""),
                    source.get("publisher", ""),
                    day(source["accessed_on"]) if source.get("accessed_on") else None,
                    None,
                    now,
                    1,
                )
                for url, (pk, source) in sources.items()
            ],
        ),
        "annotations_article": (article_columns, articles),
        "annotations_annotation": (annotation_columns, annotations),
        "annotations_evidence": (EVIDENCE_COLUMNS, evidence),
        "annotations_historyevent": (history_columns, history),
    }


def _json_text(value) -> str:
    return value if isinstance(value, str) else value.obj  # a psycopg Jsonb wrapper


# --- the database -----------------------------------------------------------------------------


class _Adapters:
    """Values in the database's form, as Django's connection.ops gives them (a datetime
    as naive UTC text on SQLite, as it is on PostgreSQL), remembered per ISO text."""

    def __init__(self, connection):
        ops = connection.ops
        self._ops = ops
        self._datetimes: dict[str, object] = {}
        self._dates: dict[str, object] = {}
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            # JSON text already encoded, passed on as it is (importers/bulk_copy.py).
            self.json = lambda text: Jsonb(text, dumps=_as_is)
        else:
            self.json = _as_is

    def datetime(self, text: str):
        try:
            return self._datetimes[text]
        except KeyError:
            value = self._ops.adapt_datetimefield_value(datetime.fromisoformat(text))
            self._datetimes[text] = value
            return value

    def date(self, text: str):
        try:
            return self._dates[text]
        except KeyError:
            value = self._dates[text] = self._ops.adapt_datefield_value(date.fromisoformat(text))
            return value


def _as_is(text: str) -> str:
    return text


def server_cpu(connection) -> float | None:
    """CPU seconds the PostgreSQL backend of this connection has used, when the server
    runs on this machine (/proc readable): with the process's own, a measure that a busy
    machine disturbs less than wall time. None on SQLite or a remote server."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, fields 14 and 15 of proc_pid_stat(5) (the 3rd onwards follow ")").
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_ids(connection) -> dict[str, int]:
    """The next id of each table (migrate may have filled some, never these)."""
    ids = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
            ids[table] = cursor.fetchone()[0]
    return ids


def _names(columns) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def _deferral() -> tuple[str, str]:
    # The import's own SQL, so the floor's articles are queued for the index as its are.
    from annotations.search_index import _deferral_sql

    return _deferral_sql()


def _sqlite(connection, tables) -> tuple[dict[str, float], float]:
    from annotations.importers.page_cache import IMPORT_CACHE_KIB

    connection.ensure_connection()
    raw = connection.connection  # the stdlib sqlite3.Connection
    raw.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    start, stop = _deferral()
    times = {}
    raw.execute("BEGIN")
    raw.execute(start)
    for table, (columns, rows) in tables.items():
        marks = ", ".join("?" * len(columns))
        one_row = f"INSERT INTO {table} ({_names(columns)}) VALUES ({marks})"
        began = time.perf_counter()
        raw.executemany(one_row, rows)
        times[table] = time.perf_counter() - began
    raw.execute(stop)
    began = time.perf_counter()
    raw.execute("COMMIT")
    return times, time.perf_counter() - began


def _postgres(connection, tables, *, immediate: bool) -> tuple[dict[str, float], float]:
    connection.ensure_connection()
    raw = connection.connection  # the psycopg Connection, in autocommit as Django keeps it
    types = {}
    for table, (columns, _) in tables.items():
        cursor = raw.execute(f"SELECT {_names(columns)} FROM {table} LIMIT 0")
        types[table] = [column.type_code for column in cursor.description]
    start, stop = _deferral()
    times = {}
    raw.execute("BEGIN")
    raw.execute(start)
    if immediate:
        raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor = raw.cursor()
    for table, (columns, rows) in tables.items():
        began = time.perf_counter()
        with cursor.copy(f"COPY {table} ({_names(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types[table])
            for row in rows:
                copy.write_row(row)
        times[table] = time.perf_counter() - began
    raw.execute(stop)
    began = time.perf_counter()
    raw.execute("COMMIT")
    return times, time.perf_counter() - began
