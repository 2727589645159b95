"""Import 10,000 native JSONL articles (a few spans each) into a fresh database.

    .venv/bin/python bench/bench_import.py [--articles 10000] [--spans 3] [--plain]

Spans carry what a desk records: a speaker with details (one of a few hundred), a verdict
on each claim, a link from each denial to the article's first span, and on the first
span a source (one URL shared by every article). `--plain` writes spans as files did
before speakers had details, verdicts or links, to compare with earlier versions.

Prints the time to import (wall clock, and CPU time of this process, which a busy machine
disturbs less), the rate, the number of queries (bulk writes: it does not grow
with the articles), peak memory, and the time of a second run that finds everything
already present.
"""

import argparse
import atexit
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from _setup import django_with_fresh_database

PARAGRAPH = (
    "Kirby said “the talks are advancing” on Wednesday, and Moscow denied it. 😀 "
    "Officials in 東京 declined to comment; the ministry called the report “baseless”.\u00a0"
)


def write_jsonl(path: Path, articles: int, spans: int, plain: bool = False) -> int:
    """Articles of about 2 KB; spans cycle through the default labels; the first span of
    each article has a source."""
    labels = ("claim", "denial", "unverified-allegation")
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(articles):
            text = f"Report {i:06}.\n\n" + "\n\n".join([PARAGRAPH] * 6)
            records = []
            start = text.index("“the talks")
            for s in range(spans):
                begin = start + s * (len(PARAGRAPH) + 2)
                end = begin + len("“the talks are advancing”")
                record = {
                    "id": s,
                    "start": begin,
                    "end": end,
                    "label": labels[s % 3],
                    "text": text[begin:end],
                    "speaker": "Kirby" if plain else f"Speaker {(i + s) % 300}",
                    "note": "",
                    "annotator": "bench",
                    "created_at": "2024-05-01T10:00:00+00:00",
                    "sources": [
                        {
                            "url": "https://example.org/report",
                            "title": "Report",
                            "publisher": "Example",
                            "stance": "refutes",
                            "quoted_passage": "",
                            "accessed_on": "2024-05-02",
                        }
                    ]
                    if s == 0
                    else [],
                }
                if not plain:
                    record["speaker_details"] = {
                        "kind": "person",
                        "role": "Spokesperson",
                        "url": "https://people.example/",
                    }
                    record["verdict"] = (
                        {
                            "scale": "Default",
                            "slug": "mostly-false",
                            "explanation": "The deal was not signed.",
                            "by": "bench",
                            "at": "2024-05-03T10:00:00+00:00",
                        }
                        if labels[s % 3] == "claim"
                        else None
                    )
                    record["relations"] = (
                        [{"to": 0, "type": "denies"}] if labels[s % 3] == "denial" else []
                    )
                records.append(record)
                written += 1
            out.write(
                json.dumps(
                    {
                        "id": i,
                        "title": f"Report {i}",
                        "text": text,
                        "author": "Bench",
                        "published_at": "2024-05-01T09:00:00+00:00",
                        "source_url": "https://example.org/",
                        "status": "in_review",
                        "offset_unit": "python_code_point",
                        "spans": records,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return written


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--spans", type=int, default=3)
    parser.add_argument("--plain", action="store_true", help="no speaker details, verdicts, links")
    args = parser.parse_args()
    django_with_fresh_database()

    from django.contrib.auth.models import User
    from django.db import connection

    from annotations.importers.service import import_path
    from annotations.models import Annotation, Article, Evidence, Relation, Source, Speaker

    User.objects.create_user("bench")
    folder = tempfile.mkdtemp(prefix="factcheck-bench-import-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "articles.jsonl"
    started = time.perf_counter()
    span_count = write_jsonl(path, args.articles, args.spans, plain=args.plain)
    generated = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6

    queries = []

    def count(execute, sql, params, many, context):
        # Counts without keeping the SQL: captured bulk INSERTs would dwarf the import's memory.
        queries.append(None)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started, cpu = time.perf_counter(), time.process_time()
        result = import_path(path)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(result.created) == args.articles, result.reason or result.refused_lines[:3]

    started = time.perf_counter()
    again = import_path(path)
    repeat = time.perf_counter() - started
    assert len(again.already_present) == args.articles

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database:        {connection.vendor}")
    print(
        f"file:            {args.articles:,} articles, {span_count:,} spans, {size_mb:.1f} MB "
        f"(generated in {generated:.2f} s)"
    )
    print(
        f"import:          {elapsed:.2f} s  ({args.articles / elapsed:,.0f} articles/s, "
        f"{span_count / elapsed:,.0f} spans/s), {cpu:.2f} s CPU in this process, "
        f"{len(queries)} queries"
    )
    print(
        f"stored:          {Article.objects.count():,} articles, "
        f"{Annotation.objects.count():,} spans "
        f"({Annotation.objects.exclude(verdict=None).count():,} with a verdict), "
        f"{Evidence.objects.count():,} citations of {Source.objects.count():,} sources, "
        f"{Relation.objects.count():,} links, {Speaker.objects.count():,} speakers"
    )
    print(f"re-import:       {repeat:.2f} s  (all {len(again.already_present):,} already present)")
    print(f"peak RSS:        {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
