"""Export benchmark: throughput (spans/s) and peak memory of `manage.py export_dataset`.

    .venv/bin/python bench/bench_export.py                 # 100,000 spans, JSONL
    .venv/bin/python bench/bench_export.py --spans 1000000 # the 1M-span memory target
    .venv/bin/python bench/bench_export.py --formats jsonl,csv,w3c,conll
    .venv/bin/python bench/bench_export.py --plain         # no verdicts, links or details
    DATABASE_URL=postgres://... .venv/bin/python bench/bench_export.py  # on PostgreSQL

It builds a fresh database, fills it in bulk, then runs the export command in a child
process writing to /dev/null, so the child's peak RSS (from wait4) is the export's alone.
Without DATABASE_URL the database is a SQLite file in a temporary directory
(FACTCHECK_VAR_DIR, so var/ is never touched); with DATABASE_URL=postgres://... it is a
new database on that server, factcheck_bench_<pid>, dropped at the end (the database the
URL names is never written). On PostgreSQL the table ends with COPY: the same rows the
export reads (its article, span, source and link queries, joins and order included),
streamed by COPY ... TO STDOUT, the floor no exporter on that server can beat.

The data is what a desk produces: spans with speakers (a few hundred people and
organisations with roles), verdicts on claims, a link from most denials to a claim of
their article, and sources cited every N spans from records shared by ten spans each.
`--plain` leaves out what the fact-check model added (verdicts, links, speaker details;
one source record per citation), to compare with exports from before it.

Targets (DESIGN.md): 100k+ spans/s for JSONL; 1M spans under ~150 MB peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

# Sentences with the characters that make offsets interesting (emoji, CJK, NBSP,
# combining marks); each span covers one sentence, so quotes always match.
SENTENCES = [
    "The minister said the bridge is safe and will reopen on Monday.",
    "Officials in 北京 denied\u00a0the report on Tuesday.",
    "Critics called it an unverified allegation 😀 without evidence.",
    "The agency confirmed that no x\u0302 deal was signed last year.",
    "According to the spokesperson, exports rose by 12 per cent.",
    "Opposition leaders said the figures had been manipulated.",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spans", type=int, default=100_000, help="spans to create (default 100,000)"
    )
    parser.add_argument("--spans-per-article", type=int, default=50)
    parser.add_argument("--sources-every", type=int, default=4, help="one source per N spans")
    parser.add_argument("--formats", default="jsonl", help="comma-separated export formats")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="no verdicts, links or speaker details; one source record per citation",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--populate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--copy", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_django() -> None:
    """In a child: Django on the database the parent made (FACTCHECK_VAR_DIR or the
    throwaway DATABASE_URL, both set by the parent)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "factcheck.settings"
    os.environ.setdefault("FACTCHECK_DEV", "1")  # a local run: the development secret key
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def throwaway_postgres(url: str) -> tuple[str, Callable[[], None]]:
    """A new database on the server `url` names; its URL and a function that drops it.
    psycopg alone, no Django: the parent stays small (see main)."""
    import psycopg

    parts = urlsplit(url)
    name = f"factcheck_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


SPEAKERS = 300  # people and organisations spans are attributed to
SPANS_PER_RECORD = 10  # spans citing one shared source record
LINK_EVERY = 2  # one span in LINK_EVERY links to the span before it (a denial to a claim)


def populate(total_spans: int, per_article: int, sources_every: int, plain: bool) -> tuple:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction

    from annotations.models import (
        Annotation,
        Article,
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
    rng = random.Random(1)
    users = [User.objects.create_user(f"reviewer{n}", password="x") for n in range(5)]
    labels = list(Label.objects.all())
    ratings = list(Rating.objects.filter(scale__is_default=True))
    if plain:
        speakers = [Speaker.objects.create(name="A spokesperson")]
    else:
        speakers = Speaker.objects.bulk_create(
            Speaker(
                name=f"Speaker {n}",
                kind=Speaker.Kind.ORGANIZATION if n % 4 == 0 else Speaker.Kind.PERSON,
                role=f"Spokesperson of ministry {n}",
                url=f"https://people.example/{n}",
            )
            for n in range(SPEAKERS)
        )
    articles_needed = -(-total_spans // per_article)
    created = citations = links = 0
    for first in range(0, articles_needed, 500):
        with transaction.atomic():
            batch = []
            for n in range(first, min(first + 500, articles_needed)):
                body = f"Article {n}.\n" + " ".join(
                    rng.choice(SENTENCES) + ("\n" if k % 5 == 4 else "") for k in range(per_article)
                )
                batch.append(
                    Article(
                        title=f"Article {n}",
                        body=body,
                        content_hash=body_hash(body),
                        status=rng.choice(["new", "in_review", "reviewed"]),
                    )
                )
            articles = Article.objects.bulk_create(batch)
            annotations = []
            for article in articles:
                for match in re.finditer(r"[^.\n]+\.", article.body):
                    if created + len(annotations) >= total_spans:
                        break
                    start, end = match.span()
                    start += len(match.group()) - len(match.group().lstrip())
                    selector = quote_selector(article.body, start, end)
                    label = rng.choice(labels)
                    verdict = {}
                    if label.takes_verdict and not plain:
                        verdict = {
                            "verdict": rng.choice(ratings),
                            "verdict_explanation": "The figures do not add up.",
                            "verdict_by": rng.choice(users),
                            "verdict_at": article.imported_at,
                        }
                    annotations.append(
                        Annotation(
                            article=article,
                            label=label,
                            start=start,
                            end=end,
                            quote=selector.exact,
                            prefix=selector.prefix,
                            suffix=selector.suffix,
                            author=rng.choice(users),
                            speaker=rng.choice(speakers),
                            **verdict,
                        )
                    )
            annotations = Annotation.objects.bulk_create(annotations, batch_size=5000)
            created += len(annotations)
            cited = annotations[::sources_every]
            # Shared records (ten spans cite each), or one per citation with --plain.
            per_record = 1 if plain else SPANS_PER_RECORD
            records = Source.objects.bulk_create(
                Source(
                    url=f"https://evidence.example/{span.pk}",
                    title="Report",
                    publisher="Agency",
                )
                for span in cited[::per_record]
            )
            evidence = [
                Evidence(
                    annotation=span,
                    source=records[n // per_record],
                    stance="refutes",
                    quoted_passage="The figures do not add up.",
                )
                for n, span in enumerate(cited)
            ]
            Evidence.objects.bulk_create(evidence, batch_size=5000)
            citations += len(evidence)
            if not plain:
                relations = [
                    Relation(from_span=span, to_span=before, type=Relation.Type.DENIES)
                    for before, span in itertools.pairwise(annotations)
                    if span.pk % LINK_EVERY == 0 and span.article_id == before.article_id
                ]
                Relation.objects.bulk_create(relations, batch_size=5000)
                links += len(relations)
        print(f"\r  created {created:,} spans", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return articles_needed, citations, links


def copy_floor() -> dict:
    """PostgreSQL's own floor: the rows of the export's queries (all articles at once,
    same joins, same order) streamed by COPY ... TO STDOUT in text form."""
    from django.db import connection

    from annotations.exporters import query
    from annotations.models import Evidence, Relation

    filters = query.ExportFilters()
    articles = query.matching_articles(filters).order_by("id").values_list(*query._ARTICLE_FIELDS)
    spans = (
        query.matching_spans(filters)
        .annotate(
            created_iso=query.IsoDateTime("created_at"), verdict_iso=query.IsoDateTime("verdict_at")
        )
        .order_by("article_id", "start", "end", "id")
        .values_list(*query._SPAN_FIELDS)
    )
    sources = Evidence.objects.order_by(
        "annotation__article_id", "annotation__start", "annotation__end", "annotation_id", "id"
    ).values_list(*query._SOURCE_FIELDS)
    links = Relation.objects.order_by("id").values_list("from_span_id", "to_span_id", "type")
    total = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor
        for queryset in (articles, spans, sources, links):
            sql, params = queryset.query.get_compiler(connection=connection).as_sql()
            with raw.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
                for block in copy:
                    total += len(block)
    return {"seconds": time.perf_counter() - started, "mb": total / 1e6}


def run_export(fmt: str, *extra: str) -> dict:
    """One export in a child process; its wall time, summary line and peak RSS."""
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "export_dataset",
        "--format",
        fmt,
        "--output",
        os.devnull,
        *extra,
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"export failed:\n{stderr}")
    spans = re.search(r"and ([\d,]+) spans?", stderr)
    loop = re.search(r"in ([\d.]+) s", stderr)
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {
        "format": fmt,
        "spans": int(spans.group(1).replace(",", "")) if spans else 0,
        "wall": wall,
        "loop": float(loop.group(1)) if loop else wall,
        "rss_mb": rss_mb,
        "cpu": usage.ru_utime + usage.ru_stime,
        "summary": stderr.strip(),
    }


def main():
    args = parse_args()
    if args.populate:
        # The child that fills the database: the parent never imports Django, so it stays
        # small, and the export children it starts do not inherit its memory in their
        # peak RSS (Linux counts the pre-exec copy of the parent in a child's ru_maxrss).
        setup_django()
        started = time.perf_counter()
        articles, citations, links = populate(
            args.spans, args.spans_per_article, args.sources_every, args.plain
        )
        print(
            f"Created {articles:,} articles, {args.spans:,} spans, {citations:,} citations, "
            f"{links:,} links{' (plain)' if args.plain else ''} "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        return
    if args.copy:
        setup_django()
        print(json.dumps(copy_floor()))
        return

    var_dir = tempfile.mkdtemp(prefix="factcheck-bench-")
    os.environ["FACTCHECK_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "factcheck.settings"
    os.environ.setdefault("FACTCHECK_DEV", "1")
    url = os.environ.get("DATABASE_URL", "")
    drop = None
    if url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"], drop = throwaway_postgres(url)
        print(f"Database: {urlsplit(os.environ['DATABASE_URL']).path[1:]} (PostgreSQL)")
    else:
        os.environ.pop("DATABASE_URL", None)
        print(f"Database: {var_dir}/db.sqlite3", file=sys.stderr)
    try:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--populate",
                "--spans",
                str(args.spans),
                "--spans-per-article",
                str(args.spans_per_article),
                "--sources-every",
                str(args.sources_every),
                *(["--plain"] if args.plain else []),
            ],
            check=True,
        )
        if drop is None:
            size = Path(var_dir, "db.sqlite3").stat().st_size / 1e6
            print(f"Database size: {size:,.0f} MB\n")

        baseline = run_export("jsonl", "--since", "2100-01-01")  # Django + an empty export
        # "export s" is the command's own timing of the export loop (no start-up); "CPU s"
        # is the child's user+system time less the empty export's, robust on a busy machine.
        print(
            f"{'format':<12} {'spans':>10} {'wall s':>7} {'export s':>9} {'CPU s':>6} "
            f"{'spans/s (export)':>17} {'spans/s (CPU)':>14} {'peak RSS MB':>12}"
        )
        print(
            f"{'(empty)':<12} {0:>10,} {baseline['wall']:>7.2f} {'':>9} {baseline['cpu']:>6.2f} "
            f"{'':>17} {'':>14} {baseline['rss_mb']:>12.1f}"
        )
        spans = 0
        for fmt in args.formats.split(","):
            result = run_export(fmt.strip())
            spans = result["spans"]
            cpu = max(result["cpu"] - baseline["cpu"], 1e-9)
            print(
                f"{result['format']:<12} {result['spans']:>10,} {result['wall']:>7.2f} "
                f"{result['loop']:>9.2f} {cpu:>6.2f} "
                f"{result['spans'] / max(result['loop'], 1e-9):>17,.0f} "
                f"{result['spans'] / cpu:>14,.0f} {result['rss_mb']:>12.1f}"
            )
        if drop is not None:
            done = subprocess.run(
                [sys.executable, __file__, "--copy"], check=True, capture_output=True, text=True
            )
            floor = json.loads(done.stdout)
            print(
                f"{'(COPY)':<12} {spans:>10,} {'':>7} {floor['seconds']:>9.2f} {'':>6} "
                f"{spans / max(floor['seconds'], 1e-9):>17,.0f} {'':>14} {'':>12}"
                f"   {floor['mb']:,.1f} MB of rows"
            )
    finally:
        if drop is not None and not args.keep:
            drop()
        if args.keep:
            print(f"\nKept {var_dir} {os.environ.get('DATABASE_URL', '')}", file=sys.stderr)
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
