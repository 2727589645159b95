"""Export benchmark: every registered format against PostgreSQL's own COPY of the same rows.

    .venv/bin/python bench/bench_export.py                      # SQLite, 10,000 articles
    DATABASE_URL=postgres://root@127.0.0.1:5432/x .venv/bin/python bench/bench_export.py
    ... bench/bench_export.py --articles 100000                 # memory stays flat
    ... bench/bench_export.py --formats jsonl,csv --keep        # keep the database
    ... bench/bench_export.py --database fc_bench --reuse       # fill once, measure often

It makes its own database (a SQLite file in a temporary folder, or a new PostgreSQL
database on the server DATABASE_URL names, `factcheck_bench_<pid>` unless --database
names one) and removes it at the end (unless --keep), then fills it in bulk with
articles of about --chars characters (non-ASCII: CJK, emoji, combining marks, RTL) and
--spans-per-article spans each, with speakers, verdicts, sources and links.

Each export runs as a child process, `manage.py export_dataset --output /dev/null`, so its
peak RSS (wait4's ru_maxrss) is the export's alone. Reported per format: wall time, time
after start-up (wall less the empty export's wall), spans per second, output size (a
second run into a file would double the time: the size comes from a run to a temporary
file, which the timing run is), peak RSS, and the ratio to the floor: PostgreSQL's
`COPY (SELECT json_build_object(...)) TO STDOUT` of the same rows (article, spans with
label, speaker, verdict, sources and links), run by psycopg alone just before each format.
The export page's counts are timed for a set of filters, and the start-up (an export of
nothing) separately.

Targets (issue 10): JSONL within 2x of the COPY (start-up aside), every format under 3x,
peak RSS under 120 MB at any size, counts under 300 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

# Sentences with the characters that make offsets and JSON escaping interesting: CJK,
# emoji (outside the BMP), NBSP, combining marks, Arabic and Hebrew (RTL), quotes and a
# backslash. Spans cover whole sentences, so their quotes always match.
SENTENCES = [
    "The minister said the bridge is safe and will reopen on Monday.",
    "Officials in 北京 denied\u00a0the report on Tuesday.",
    "Critics called it an unverified allegation 😀 without evidence.",
    "The agency confirmed that no x\u0302 deal was signed last year.",
    'According to the spokesperson, "exports rose by 12 per cent".',
    "قال الوزير إن الجسر آمن وسيعاد فتحه يوم الاثنين.",
    "השר אמר שהגשר בטוח.",
    "The file path C:\\data\\report was cited as proof.",
    "Opposition leaders said the figures had been manipulated.",
]
SPEAKERS = 300
SPANS_PER_RECORD = 10  # spans citing one shared source record
SOURCES_EVERY = 3  # one span in three cites a source
LINK_EVERY = 2  # one span in two links to the span before it

# The floor: the same rows as the native JSONL, built and serialised by PostgreSQL.
FLOOR_SQL = """
COPY (
  SELECT json_build_object(
    'id', a.id, 'title', a.title, 'text', a.body, 'author', a.author,
    'published_at', a.published_at, 'source_url', a.source_url, 'publisher', a.publisher,
    'status', a.status, 'offset_unit', 'python_code_point',
    'spans', COALESCE((
      SELECT json_agg(json_build_object(
        'id', s.id, 'start', s.start, 'end', s."end", 'label', l.slug, 'text', s.quote,
        'speaker', sp.name,
        'speaker_details', CASE WHEN sp.id IS NULL THEN NULL ELSE
          json_build_object('kind', sp.kind, 'role', sp.role, 'url', sp.url) END,
        'note', s.note, 'annotator', u.username, 'created_at', s.created_at,
        'verdict', CASE WHEN r.id IS NULL THEN NULL ELSE json_build_object(
          'scale', rs.name, 'slug', r.slug, 'name', r.name, 'value', r.value,
          'explanation', s.verdict_explanation, 'by', vb.username, 'at', s.verdict_at) END,
        'sources', COALESCE((
          SELECT json_agg(json_build_object(
            'url', src.url, 'title', src.title, 'publisher', src.publisher,
            'stance', e.stance, 'quoted_passage', e.quoted_passage,
            'accessed_on', src.accessed_on) ORDER BY e.id)
          FROM annotations_evidence e JOIN annotations_source src ON src.id = e.source_id
          WHERE e.annotation_id = s.id), '[]'),
        'relations', COALESCE((
          SELECT json_agg(json_build_object('to', rel.to_span_id, 'type', rel.type)
                          ORDER BY rel.id)
          FROM annotations_relation rel WHERE rel.from_span_id = s.id), '[]')
      ) ORDER BY s.start, s."end" DESC, s.id)
      FROM annotations_annotation s
      JOIN annotations_label l ON l.id = s.label_id
      JOIN auth_user u ON u.id = s.author_id
      LEFT JOIN annotations_speaker sp ON sp.id = s.speaker_id
      LEFT JOIN annotations_rating r ON r.id = s.verdict_id
      LEFT JOIN annotations_ratingscale rs ON rs.id = r.scale_id
      LEFT JOIN auth_user vb ON vb.id = s.verdict_by_id
      WHERE s.article_id = a.id AND s.layer = 'reviewer'), '[]')
  )
  FROM annotations_article a ORDER BY a.id
) TO STDOUT
"""

# The export page's count for each kind of filter (form field values, as the page sends).
COUNT_FILTERS = {
    "none": {},
    "one label": {"labels": ["claim"]},
    "two labels": {"labels": ["claim", "denial"]},
    "date range": {"annotated_from": "2000-01-01", "annotated_to": "2999-12-31"},
    "published": {"published_from": "2026-01-01", "published_to": "2026-06-30"},
    "reviewer": {"reviewer": "reviewer1"},
    "status": {"status": ["reviewed"]},
    "layer gold": {"layer": "gold"},
    "layer reviewer": {"layer": "reviewer:reviewer2"},
    "collection": {"collection": "bench"},
    "label+status+dates": {
        "labels": ["claim"],
        "status": ["reviewed", "in_review"],
        "annotated_from": "2000-01-01",
    },
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--spans-per-article", type=int, default=10)
    parser.add_argument("--chars", type=int, default=3_000, help="about this long an article")
    parser.add_argument("--formats", default="", help="comma-separated (default: every one)")
    parser.add_argument("--database", help="PostgreSQL database name (default: a new one)")
    parser.add_argument("--reuse", action="store_true", help="fill only if empty; keep it")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--child", choices=["populate", "formats", "counts"], help=argparse.SUPPRESS
    )
    return parser.parse_args()


def setup_django() -> None:
    """In a child: Django on the database the parent chose (set in its environment)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "factcheck.settings"
    os.environ.setdefault("FACTCHECK_DEV", "1")  # a local run: the development secret key
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- children ---------------------------------------------------------------------------


def populate(articles_wanted: int, per_article: int, chars: int) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from annotations.models import (
        Adjudication,
        Annotation,
        Article,
        Collection,
        Evidence,
        Label,
        Rating,
        Relation,
        Source,
        Speaker,
    )
    from annotations.models.article import body_hash
    from annotations.offsets import quote_selector

    call_command("migrate", verbosity=0)
    if Article.objects.exists():
        print("  (database already filled)", file=sys.stderr)
        return
    rng = random.Random(1)
    users = [User.objects.create_user(f"reviewer{n}", password="x") for n in range(5)]
    editor = User.objects.create_user("editor", password="x")
    labels = list(Label.objects.all())
    ratings = list(Rating.objects.filter(scale__is_default=True))
    collection = Collection.objects.create(name="Bench", slug="bench", created_by=editor)
    speakers = Speaker.objects.bulk_create(
        Speaker(
            name=f"Speaker {n} ‏اسم",
            kind=Speaker.Kind.ORGANIZATION if n % 4 == 0 else Speaker.Kind.PERSON,
            role=f"Spokesperson of ministry {n}",
            url=f"https://people.example/{n}",
        )
        for n in range(SPEAKERS)
    )
    started = time.perf_counter()
    made = 0
    for first in range(0, articles_wanted, 500):
        with transaction.atomic():
            batch = []
            for n in range(first, min(first + 500, articles_wanted)):
                parts, length = [f"Article {n}.\n"], 0
                while length < chars:
                    sentence = rng.choice(SENTENCES)
                    parts.append(sentence + ("\n" if len(parts) % 5 == 0 else " "))
                    length += len(parts[-1])
                body = "".join(parts)
                batch.append(
                    Article(
                        title=f"Article {n} — «{rng.choice(SENTENCES)[:20]}»",
                        body=body,
                        content_hash=body_hash(body),
                        status=rng.choice(["new", "in_review", "reviewed"]),
                        published_at=timezone.now().replace(year=2026, month=1 + n % 12, day=1),
                    )
                )
            articles = Article.objects.bulk_create(batch)
            spans = []
            for article in articles:
                sentences = [m.span() for m in re.finditer(r"[^.\n]+\.", article.body)]
                for start, end in rng.sample(sentences, min(per_article, len(sentences))):
                    text = article.body[start:end]
                    start += len(text) - len(text.lstrip())
                    selector = quote_selector(article.body, start, end)
                    label = rng.choice(labels)
                    verdict = {}
                    if label.takes_verdict:
                        verdict = {
                            "verdict": rng.choice(ratings),
                            "verdict_explanation": "The figures do not add up.",
                            "verdict_by": rng.choice(users),
                            "verdict_at": article.imported_at,
                        }
                    spans.append(
                        Annotation(
                            article=article,
                            label=label,
                            start=start,
                            end=end,
                            quote=selector.exact,
                            prefix=selector.prefix,
                            suffix=selector.suffix,
                            author=rng.choice(users),
                            speaker=rng.choice(speakers) if rng.random() < 0.8 else None,
                            note='Check "this" \\ later 🙂' if rng.random() < 0.3 else "",
                            **verdict,
                        )
                    )
            spans = Annotation.objects.bulk_create(spans, batch_size=5000)
            cited = spans[::SOURCES_EVERY]
            records = Source.objects.bulk_create(
                Source(
                    url=f"https://evidence.example/{span.pk}", title="Report", publisher="Agency"
                )
                for span in cited[::SPANS_PER_RECORD]
            )
            Evidence.objects.bulk_create(
                (
                    Evidence(
                        annotation=span,
                        source=records[n // SPANS_PER_RECORD],
                        stance="refutes",
                        quoted_passage="The figures do not add up.",
                    )
                    for n, span in enumerate(cited)
                ),
                batch_size=5000,
            )
            Relation.objects.bulk_create(
                (
                    Relation(from_span=span, to_span=before, type=Relation.Type.DENIES)
                    for before, span in itertools.pairwise(spans)
                    if span.pk % LINK_EVERY == 0 and span.article_id == before.article_id
                ),
                batch_size=5000,
            )
            # One article in ten is in the collection, one in twenty adjudicated.
            collection.articles.add(*articles[::10])
            Adjudication.objects.bulk_create(
                Adjudication(article=a, adjudicator=editor, finished_at=timezone.now())
                for a in articles[::20]
            )
            made += len(articles)
        print(f"\r  created {made:,} articles", end="", file=sys.stderr, flush=True)
    print(f" in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        # Fresh statistics, as a database that has been in use has: without them the
        # planner guesses one row per table and the counts are timed on bad plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def list_formats() -> None:
    from annotations.exporters import all_formats

    print(json.dumps([f.name for f in all_formats()]))


def time_counts() -> None:
    from django.http import QueryDict

    from annotations.exporters.query import export_summary
    from annotations.forms_export import ExportForm

    results = {}
    for name, fields in COUNT_FILTERS.items():
        data = QueryDict(mutable=True)
        for key, value in fields.items():
            data.setlist(key, value) if isinstance(value, list) else data.__setitem__(key, value)
        form = ExportForm(data)
        if not form.is_valid():
            results[name] = {"error": form.errors.as_text()}
            continue
        filters = form.filters()
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            summary = export_summary(filters)
            timings.append(time.perf_counter() - started)
        results[name] = {
            "ms": statistics.median(timings) * 1000,
            "articles": summary["articles"],
            "spans": summary["spans"],
        }
    print(json.dumps(results))


# --- the parent: no Django, so its memory is not in the children's peak RSS -------------


def child(kind: str, *extra: str, capture: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *extra],
        check=True,
        capture_output=capture,
        text=True,
    )
    return done.stdout


def copy_floor(url: str) -> dict:
    """The floor, by psycopg alone: seconds and bytes of the COPY."""
    import psycopg

    total = 0
    with psycopg.connect(url) as connection:
        started = time.perf_counter()
        with connection.cursor().copy(FLOOR_SQL) as copy:
            for block in copy:
                total += len(block)
        return {"seconds": time.perf_counter() - started, "bytes": total}


def run_export(fmt: str, output: str, *extra: str) -> dict:
    """One export in a child process: wall time, summary line, peak RSS, output size."""
    command = [sys.executable, str(ROOT / "manage.py"), "export_dataset", "--format", fmt]
    command += ["--output", output, *extra]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"export {fmt} failed:\n{stderr}")
    spans = re.search(r"and ([\d,]+) spans?", stderr)
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    size = Path(output).stat().st_size if output != os.devnull else 0
    return {
        "spans": int(spans.group(1).replace(",", "")) if spans else 0,
        "wall": wall,
        "rss_mb": rss_mb,
        "bytes": size,
    }


def prepare_database(args, var_dir: str):
    """Point the environment at the benchmark's database; return (psycopg URL or None,
    a function that removes it)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        os.environ.pop("DATABASE_URL", None)
        print(f"Database: {var_dir}/db.sqlite3 (SQLite: no COPY floor)")
        return None, lambda: None
    import psycopg

    parts = urlsplit(url)
    name = args.database or f"factcheck_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = found.fetchone()
        if exists and not args.reuse:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not args.reuse:
            connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    print(f"Database: {name} (PostgreSQL)")
    return os.environ["DATABASE_URL"], drop


def main():
    args = parse_args()
    if args.child:
        setup_django()
        if args.child == "populate":
            populate(args.articles, args.spans_per_article, args.chars)
        elif args.child == "formats":
            list_formats()
        else:
            time_counts()
        return

    var_dir = tempfile.mkdtemp(prefix="factcheck-bench-")
    os.environ["FACTCHECK_VAR_DIR"] = var_dir  # the SQLite file, and nothing in var/
    os.environ["DJANGO_SETTINGS_MODULE"] = "factcheck.settings"
    os.environ.setdefault("FACTCHECK_DEV", "1")
    url, drop = prepare_database(args, var_dir)
    try:
        child(
            "populate",
            "--articles",
            str(args.articles),
            "--spans-per-article",
            str(args.spans_per_article),
            "--chars",
            str(args.chars),
            capture=False,
        )
        formats = args.formats.split(",") if args.formats else json.loads(child("formats"))
        output = str(Path(var_dir, "export.out"))

        empty = [run_export("jsonl", os.devnull, "--since", "2999-12-31") for _ in range(3)]
        startup = statistics.median(r["wall"] for r in empty)
        print(
            f"\nStart-up (an export of nothing, median of 3): {startup:.2f} s, "
            f"peak RSS {max(r['rss_mb'] for r in empty):.0f} MB\n"
        )
        header = (
            f"{'format':<12} {'spans':>9} {'wall s':>7} {'after s':>8} {'spans/s':>9} "
            f"{'size MB':>8} {'RSS MB':>7} {'COPY s':>7} {'x COPY':>7}"
        )
        print(header)
        for fmt in formats:
            floor = copy_floor(url) if url else None
            result = run_export(fmt.strip(), output)
            after = max(result["wall"] - startup, 1e-9)
            ratio = f"{after / floor['seconds']:>7.2f}" if floor else f"{'n/a':>7}"
            print(
                f"{fmt:<12} {result['spans']:>9,} {result['wall']:>7.2f} {after:>8.2f} "
                f"{result['spans'] / after:>9,.0f} {result['bytes'] / 1e6:>8.1f} "
                f"{result['rss_mb']:>7.0f} "
                + (f"{floor['seconds']:>7.2f}" if floor else f"{'':>7}")
                + f" {ratio}",
                flush=True,
            )
            Path(output).unlink(missing_ok=True)
        if url:
            floor = copy_floor(url)
            print(f"(COPY floor: {floor['bytes'] / 1e6:,.1f} MB of JSON)")

        print("\nExport page counts (median of 3):")
        for name, result in json.loads(child("counts")).items():
            if "error" in result:
                print(f"  {name:<20} {result['error']}")
            else:
                print(
                    f"  {name:<20} {result['ms']:>7.1f} ms  {result['articles']:>7,} articles "
                    f"{result['spans']:>8,} spans"
                )
    finally:
        if args.keep or args.reuse:
            print(f"\nKept the database ({os.environ.get('DATABASE_URL') or var_dir})")
        else:
            drop()
        if not (args.keep and not url):
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
