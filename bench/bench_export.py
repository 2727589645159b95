"""Export benchmark: throughput (spans/s) and peak memory of `manage.py export_dataset`.

    .venv/bin/python bench/bench_export.py                 # 100,000 spans, JSONL
    .venv/bin/python bench/bench_export.py --spans 1000000 # the 1M-span memory target
    .venv/bin/python bench/bench_export.py --formats jsonl,csv,w3c,conll

It builds a fresh SQLite database in a temporary directory (FACTCHECK_VAR_DIR, so var/
is never touched, and DATABASE_URL is ignored), fills it in bulk, then runs the export
command in a child process writing to /dev/null, so the child's peak RSS (from wait4)
is the export's alone. Targets (DESIGN.md): 100k+ spans/s for JSONL; 1M spans under
~150 MB peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--populate", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_django(var_dir: str) -> None:
    os.environ["FACTCHECK_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)  # never a shared database
    os.environ["DJANGO_SETTINGS_MODULE"] = "factcheck.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def populate(total_spans: int, per_article: int, sources_every: int) -> tuple[int, int]:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction

    from annotations.models import Annotation, Article, Label, Source
    from annotations.models.article import body_hash
    from annotations.offsets import quote_selector

    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    users = [User.objects.create_user(f"reviewer{n}", password="x") for n in range(5)]
    labels = list(Label.objects.all())
    articles_needed = -(-total_spans // per_article)
    created = sources = 0
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
                    annotations.append(
                        Annotation(
                            article=article,
                            label=rng.choice(labels),
                            start=start,
                            end=end,
                            quote=selector.exact,
                            prefix=selector.prefix,
                            suffix=selector.suffix,
                            author=rng.choice(users),
                            speaker="A spokesperson",
                        )
                    )
            annotations = Annotation.objects.bulk_create(annotations, batch_size=5000)
            created += len(annotations)
            source_rows = [
                Source(
                    annotation=a,
                    url=f"https://evidence.example/{a.pk}",
                    title="Report",
                    stance="refutes",
                    quoted_passage="The figures do not add up.",
                )
                for a in annotations[::sources_every]
            ]
            Source.objects.bulk_create(source_rows, batch_size=5000)
            sources += len(source_rows)
        print(f"\r  created {created:,} spans", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return articles_needed, sources


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
        setup_django(os.environ["FACTCHECK_VAR_DIR"])
        started = time.perf_counter()
        articles, sources = populate(args.spans, args.spans_per_article, args.sources_every)
        print(
            f"Created {articles:,} articles, {args.spans:,} spans, {sources:,} sources "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        return

    var_dir = tempfile.mkdtemp(prefix="factcheck-bench-")
    os.environ["FACTCHECK_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "factcheck.settings"
    try:
        print(f"Database: {var_dir}/db.sqlite3", file=sys.stderr)
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
            ],
            check=True,
        )
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
        for fmt in args.formats.split(","):
            result = run_export(fmt.strip())
            cpu = max(result["cpu"] - baseline["cpu"], 1e-9)
            print(
                f"{result['format']:<12} {result['spans']:>10,} {result['wall']:>7.2f} "
                f"{result['loop']:>9.2f} {cpu:>6.2f} "
                f"{result['spans'] / max(result['loop'], 1e-9):>17,.0f} "
                f"{result['spans'] / cpu:>14,.0f} {result['rss_mb']:>12.1f}"
            )
    finally:
        if args.keep:
            print(f"\nKept {var_dir}", file=sys.stderr)
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
