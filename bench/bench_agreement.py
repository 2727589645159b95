"""Agreement over 1,000 articles with two reviewers and 10 spans each (target: < 5 s).

.venv/bin/python bench/bench_agreement.py            # SQLite, a throwaway file
DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/bench_agreement.py
  [--articles 1000] [--spans 10] [--repeat 3]

The database is a fresh one, dropped at exit (bench/_setup.py). Each article is ten
sentences of news-like text (about 1,000 characters, 180 tokens); reviewer A marks each
sentence, reviewer B agrees exactly on most, shifts some boundaries, gives some another
label and misses a few. Timed, best of --repeat: loading the selection (4 queries),
computing the figures, the CSV, and the collection's Agreement page end to end.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import django_with_fresh_database

WORDS = [
    "the",
    "minister",
    "said",
    "that",
    "bridge",
    "is",
    "safe",
    "and",
    "prices",
    "rose",
    "by",
    "percent",
    "since",
    "last",
    "year",
    "officials",
    "denied",
    "claims",
    "about",
    "vaccine",
    "election",
    "budget",
    "police",
    "report",
    "shows",
]
LABELS = ["claim", "denial", "unverified-allegation"]


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 22))]
    return " ".join(words).capitalize() + rng.choice([".", ",", "!", "?"])


def build(n_articles, n_spans, rng):
    from django.contrib.auth.models import User

    from annotations.models import Annotation, Article, Assignment, Collection, Label
    from annotations.models.article import body_hash

    first, second = User.objects.create_user("a"), User.objects.create_user("b")
    labels = {label.slug: label.pk for label in Label.objects.filter(slug__in=LABELS)}
    collection = Collection.objects.create(name="Bench", slug="bench")
    articles, layouts = [], []
    for n in range(n_articles):
        sentences = [sentence(rng) for _ in range(n_spans)]
        body = " ".join(sentences) + f" ({n})"
        articles.append(Article(title=f"Article {n}", body=body, content_hash=body_hash(body)))
        offsets, start = [], 0
        for s in sentences:
            offsets.append((start, start + len(s)))
            start += len(s) + 1
        layouts.append(offsets)
    Article.objects.bulk_create(articles, batch_size=500)
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    collection.articles.add(*ids)
    Assignment.objects.bulk_create(
        Assignment(collection=collection, article_id=pk, reviewer=user)
        for pk in ids
        for user in (first, second)
    )
    spans = []
    for pk, offsets in zip(ids, layouts, strict=True):
        for start, end in offsets:
            label = rng.choice(LABELS)
            spans.append((pk, first, start, end, label))
            roll = rng.random()
            if roll < 0.6:
                spans.append((pk, second, start, end, label))
            elif roll < 0.8:
                spans.append((pk, second, start + rng.randint(1, 8), end, label))
            elif roll < 0.93:
                spans.append((pk, second, start, end, rng.choice(LABELS)))
    Annotation.objects.bulk_create(
        (
            Annotation(
                article_id=pk,
                author=user,
                label_id=labels[label],
                start=start,
                end=end,
                quote="",
            )
            for pk, user, start, end, label in spans
        ),
        batch_size=5000,
    )
    return collection, len(spans)


def best_of(repeat, function):
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--spans", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    django_with_fresh_database()

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from annotations.agreement import compute
    from annotations.agreement.loading import load_selection
    from annotations.agreement.serialise import as_csv

    rng = random.Random(8)
    started = time.perf_counter()
    collection, n_spans = build(args.articles, args.spans, rng)
    print(
        f"{args.articles} articles, 2 reviewers, {n_spans} spans ({connection.vendor}), "
        f"built in {time.perf_counter() - started:.1f} s"
    )

    def load():
        return load_selection(collection.articles.all(), collection=collection)

    with CaptureQueriesContext(connection) as queries:
        load()
    # Counted now: the captured list is read from the connection's log, which each request
    # of the page below starts afresh.
    load_queries = len(queries.captured_queries)
    load_s, selection = best_of(args.repeat, load)
    compute_s, report = best_of(
        args.repeat, lambda: compute(selection.articles, selection.label_order)
    )
    csv_s, _ = best_of(args.repeat, lambda: as_csv(report))

    User.objects.create_superuser("bench-editor", "e@example.org", "pw")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench-editor"))
    url = reverse("collection-agreement", args=[collection.slug])
    page_s, response = best_of(args.repeat, lambda: client.get(url))
    assert response.status_code == 200, response.status_code

    overall = report.overall
    print(f"tokens compared: {overall.tokens}; queries to load: {load_queries}")
    print(
        f"overall: F1 exact {overall.f1_exact:.3f}, F1 overlap {overall.f1_overlap:.3f}, "
        f"kappa {overall.kappa:.3f}, alpha {overall.alpha:.3f}"
    )
    print(f"\nbest of {args.repeat}:")
    print("| step | seconds |")
    print("|---|---|")
    print(f"| load the selection | {load_s:.3f} |")
    print(f"| compute the figures | {compute_s:.3f} |")
    print(f"| load + compute | {load_s + compute_s:.3f} |")
    print(f"| CSV of the report | {csv_s:.3f} |")
    print(f"| the Agreement page, end to end | {page_s:.3f} |")
    total = load_s + compute_s
    print(f"\ntarget load + compute < 5 s: {'met' if total < 5 else 'NOT met'} ({total:.2f} s)")


if __name__ == "__main__":
    main()
