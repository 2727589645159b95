"""CoNLL on one very large article: time to the first chunk, total time, peak RSS.

    .venv/bin/python bench/bench_conll_stream.py [--mb 50]

No database: the article is built in memory (an ExportArticle, as the export query
yields it) with a span every thousand sentences, and streamed through the registered
format to nowhere. The issue's measurement before streaming: a 50 MB article peaked at
3.4 GB RSS, first byte after 52 s. Peak RSS includes the article's own text (one byte a
character for ASCII, two with any CJK: this text has some).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_DEV", "1")

import django

django.setup()

from annotations.exporters import ExportOptions, get_format  # noqa: E402
from annotations.exporters.query import ExportArticle, ExportSpan  # noqa: E402

SENTENCE = "The minister said the bridge is safe, and 北京 officials denied it.\n"


def article(size: int) -> ExportArticle:
    text = SENTENCE * (size // len(SENTENCE))
    spans = []
    quote = "the bridge is safe,"
    offset = SENTENCE.index(quote)
    for number, start in enumerate(range(0, len(text) - len(SENTENCE), len(SENTENCE) * 1000)):
        begin = start + offset
        spans.append(
            ExportSpan(number, begin, begin + len(quote), quote, "claim", "Claim", "", "", "r", "t")
        )
    return ExportArticle(1, "big", text, "", None, "", "", "new", spans)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    before = rss_mb()
    big = article(args.mb * 1024 * 1024)
    with_text = rss_mb()
    options = ExportOptions()
    started = time.perf_counter()
    first = None
    written = 0
    for chunk in get_format("conll").stream([big], options):
        if first is None:
            first = time.perf_counter() - started
        written += len(chunk)
    total = time.perf_counter() - started
    print(
        f"{args.mb} MB article, {len(big.spans):,} spans: first chunk {first * 1000:.1f} ms, "
        f"all {total:.1f} s, {written / 1e6:,.0f} M characters written; peak RSS "
        f"{rss_mb():,.0f} MB ({before:,.0f} MB at start, {with_text:,.0f} MB with the text)."
    )


if __name__ == "__main__":
    main()
