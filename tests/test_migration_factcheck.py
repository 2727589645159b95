"""Migration 0008: per-span sources become citations of records stored once per URL, and
free-text speakers become Speaker rows, without losing a source, a passage or an id; and
migrating back fills the old columns again.

Old-shaped rows are written through the historical models of 0007, the migrations run
forwards and back with MigrationExecutor, and the database is left at the latest
migrations. transaction=True: schema changes cannot run inside the test's transaction
(SQLite's cannot run in any), so this runs on a real, flushed database, on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

APP = "annotations"
BEFORE = [(APP, "0007_article_search")]

# The old rows: (span key, url, stance, quoted passage, title, publisher, accessed on).
OLD_SOURCES = [
    ("kirby", "https://example.org/report", "refutes", "Cracks were found.", "Report", "", None),
    # The same URL on another span, its host in capitals: one record, two citations.
    ("kirby_lower", "https://EXAMPLE.org/report", "supports", "Safe.", "", "Ministry", None),
    # Twice more on the first span: another stance and passage (kept, marked), then the
    # same stance and passage again (nothing new to keep).
    ("kirby", "https://example.org/report", "context", "Built in 1990.", "", "", None),
    ("kirby", "HTTPS://Example.ORG/report", "refutes", "Cracks were found.", "", "", None),
    # A record's blank fields are filled from a later row naming the same URL.
    ("zakharova", "https://other.example/page", "context", "", "", "Wire", None),
    ("kirby_caps", "https://other.example/page", "supports", "", "Page", "", date(2024, 5, 1)),
    ("nobody", "https://third.example/x", "context", "Only here.", "Third", "", None),
]
SPEAKERS = {
    "kirby": "John Kirby",
    "kirby_lower": " john kirby ",
    "kirby_caps": "JOHN KIRBY",
    "zakharova": "Maria Zakharova",
    "nobody": "",
}


def lower_host(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), *parts[2:]))


def migrate(targets):
    """Migrate to `targets` and return the historical apps there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # what is applied now
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def restore_latest() -> None:
    """Back to the latest migrations, whatever state a test left. A migration that failed
    on the test's rows rolled back to where it started: the rows go (the test's database
    is flushed afterwards anyway) and the migrations run on empty tables."""
    try:
        migrate(latest())
    except DatabaseError:
        executor = MigrationExecutor(connection)
        applied = max(name for app, name in executor.loader.applied_migrations if app == APP)
        apps = executor.loader.project_state([(APP, applied)]).apps
        apps.get_model(APP, "Article").objects.all().delete()  # spans and sources with them
        migrate(latest())


@pytest.fixture
def at_0007():
    """The database at 0007 for the test, and back at the latest migrations after it,
    whatever the test did (the other tests need the current schema)."""
    apps = migrate(BEFORE)
    yield apps
    restore_latest()


def old_rows(apps) -> dict:
    """Old-shaped articles, spans (speakers as text) and per-span sources; their ids."""
    User = apps.get_model("auth", "User")
    Label = apps.get_model(APP, "Label")
    Article = apps.get_model(APP, "Article")
    Annotation = apps.get_model(APP, "Annotation")
    Source = apps.get_model(APP, "Source")
    rita = User.objects.create(username="rita-migration")
    claim = Label.objects.get_or_create(slug="claim", defaults={"name": "Claim"})[0]
    body = "John Kirby said the talks are advancing. Maria Zakharova denied it. Kirby again."
    first = Article.objects.create(title="Talks", body=body, content_hash="h-talks")
    second = Article.objects.create(title="Other", body="Kirby spoke.", content_hash="h-other")
    places = {
        "kirby": (first, 0, 10),
        "kirby_lower": (first, 16, 39),
        "zakharova": (first, 41, 56),
        "kirby_caps": (first, 68, 80),
        "nobody": (second, 0, 5),
    }
    spans = {}
    for key, (article, start, end) in places.items():
        spans[key] = Annotation.objects.create(
            article=article,
            label=claim,
            start=start,
            end=end,
            quote=article.body[start:end],
            speaker=SPEAKERS[key],
            author=rita,
        )
    sources = []
    for key, url, stance, passage, title, publisher, accessed in OLD_SOURCES:
        sources.append(
            Source.objects.create(
                annotation=spans[key],
                url=url,
                stance=stance,
                quoted_passage=passage,
                title=title,
                publisher=publisher,
                accessed_on=accessed,
                created_by=rita,
            ).pk
        )
    return {
        "articles": [first.pk, second.pk],
        "spans": {key: span.pk for key, span in spans.items()},
        "sources": sources,
    }


def test_forwards_keeps_every_source_and_id_and_merges_speakers_and_urls(at_0007):
    """Every old source row is a citation of the record of its URL (the host lower-cased),
    ids kept; a URL cited twice by one span is one citation keeping both passages (the
    second's differing stance written into it); speakers differing in case or surrounding
    space are one Speaker; a record takes the first non-blank title, publisher and day."""
    ids = old_rows(at_0007)
    apps = migrate(latest())
    Article = apps.get_model(APP, "Article")
    Annotation = apps.get_model(APP, "Annotation")
    Evidence = apps.get_model(APP, "Evidence")
    Source = apps.get_model(APP, "Source")
    Speaker = apps.get_model(APP, "Speaker")
    spans = ids["spans"]

    # Ids kept: articles, spans, and the first row of each (span, URL) as its citation.
    assert sorted(Article.objects.values_list("pk", flat=True)) == sorted(ids["articles"])
    assert sorted(Annotation.objects.values_list("pk", flat=True)) == sorted(spans.values())
    first_rows = [ids["sources"][n] for n in (0, 1, 4, 5, 6)]
    assert sorted(Evidence.objects.values_list("pk", flat=True)) == sorted(first_rows)

    # No source lost: each old row is a citation, on its span, of a record with its URL,
    # and its passage is kept (marked with its stance where that differed).
    citations = {
        (e.annotation_id, e.source.url): e for e in Evidence.objects.select_related("source")
    }
    for key, url, stance, passage, *_ in OLD_SOURCES:
        citation = citations[(spans[key], lower_host(url))]
        if passage:
            kept = passage if stance == citation.stance else f"[{stance}] {passage}"
            assert kept in citation.quoted_passage, (key, url)
    merged = citations[(spans["kirby"], "https://example.org/report")]
    assert (merged.pk, merged.stance, merged.quoted_passage) == (
        ids["sources"][0],
        "refutes",
        "Cracks were found.\n\n[context] Built in 1990.",
    )

    # One record per URL, shared by the spans citing it.
    records = {s.url: s for s in Source.objects.all()}
    assert sorted(records) == [
        "https://example.org/report",
        "https://other.example/page",
        "https://third.example/x",
    ]
    report, page = records["https://example.org/report"], records["https://other.example/page"]
    assert set(Evidence.objects.filter(source=report).values_list("annotation_id", flat=True)) == {
        spans["kirby"],
        spans["kirby_lower"],
    }
    assert (report.title, report.publisher) == ("Report", "Ministry")
    assert (page.title, page.publisher, page.accessed_on) == ("Page", "Wire", date(2024, 5, 1))

    # Speakers: one per name whatever its case and surrounding space; none for "".
    speaker_of = dict(Annotation.objects.values_list("pk", "speaker__name"))
    assert speaker_of == {
        spans["kirby"]: "John Kirby",
        spans["kirby_lower"]: "John Kirby",
        spans["kirby_caps"]: "John Kirby",
        spans["zakharova"]: "Maria Zakharova",
        spans["nobody"]: None,
    }
    assert sorted(Speaker.objects.values_list("name", flat=True)) == [
        "John Kirby",
        "Maria Zakharova",
    ]


def test_backwards_fills_the_old_columns_again(at_0007):
    """Migrated back to 0007, each citation is a per-span source again with its record's
    URL, title, publisher and day, and each span's speaker is its Speaker's name (merged
    twins stay merged: their passages are in the one row that is left)."""
    ids = old_rows(at_0007)
    migrate(latest())
    apps = migrate(BEFORE)
    Annotation = apps.get_model(APP, "Annotation")
    Source = apps.get_model(APP, "Source")
    spans = ids["spans"]

    columns = ("annotation_id", "url", "title", "publisher", "accessed_on", "quoted_passage")
    rows = {row[0]: row[1:] for row in Source.objects.values_list("pk", *columns)}
    report = ("https://example.org/report", "Report", "Ministry", None)
    page = ("https://other.example/page", "Page", "Wire", date(2024, 5, 1))
    sources = ids["sources"]
    assert rows == {
        sources[0]: (
            spans["kirby"],
            *report,
            "Cracks were found.\n\n[context] Built in 1990.",
        ),
        sources[1]: (spans["kirby_lower"], *report, "Safe."),
        sources[4]: (spans["zakharova"], *page, ""),
        sources[5]: (spans["kirby_caps"], *page, ""),
        sources[6]: (spans["nobody"], "https://third.example/x", "Third", "", None, "Only here."),
    }
    assert dict(Annotation.objects.values_list("pk", "speaker")) == {
        spans["kirby"]: "John Kirby",
        spans["kirby_lower"]: "John Kirby",
        spans["kirby_caps"]: "John Kirby",
        spans["zakharova"]: "Maria Zakharova",
        spans["nobody"]: "",
    }


def test_speakers_differing_only_in_inner_spaces_become_one(at_0007):
    """ "John  Kirby" (two spaces) is the John Kirby of "John Kirby": the app compares names
    with their spaces collapsed (services.speakers.clean_name), so should the migration."""
    apps = at_0007
    Annotation = apps.get_model(APP, "Annotation")
    ids = old_rows(apps)
    Annotation.objects.filter(pk=ids["spans"]["kirby_caps"]).update(speaker="John  Kirby")
    apps = migrate(latest())
    Speaker = apps.get_model(APP, "Speaker")
    assert sorted(Speaker.objects.values_list("name", flat=True)) == [
        "John Kirby",
        "Maria Zakharova",
    ]
