"""Article-list search over 10,000 articles of ~3 KB: full-text search beside icontains.

.venv/bin/python bench/bench_search.py [--articles 10000] [--runs 30]
DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/bench_search.py

Each timing is what the list page does for a search: count the matches, read the first
page of 50 (ranked), and (full-text search only) its snippets. The references are the
previous implementation (icontains on title, author, publisher) and icontains on title
and body, which is what finding a body word took before. On PostgreSQL it also prints
EXPLAIN for the word and CJK searches, to show the GIN indexes in use.
"""

import argparse
import random
import statistics
import time

from _setup import django_with_fresh_database

CJK_RUN = "本日東京都庁で記者会見が行われた"


def make_articles(n: int):
    from annotations.models import Article
    from annotations.models.article import body_hash

    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "da", "pe", "gu", "zo"]
    vocabulary = [
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(5000)
    ]
    common = ["the", "minister", "said", "bridge", "report", "council", "and", "of"]
    batch = []
    for i in range(n):
        words = []
        while sum(len(w) + 1 for w in words) < 3000:
            words.append(rng.choice(common) if rng.random() < 0.3 else rng.choice(vocabulary))
        if i % 2000 == 0:
            words.insert(rng.randrange(len(words)), "zyzzogeton")  # rare: 5 articles
        if i % 100 == 0:
            words.insert(rng.randrange(len(words)), CJK_RUN)  # CJK: 100 articles
        body = " ".join(words) + f" ({i})"
        batch.append(
            Article(
                title=" ".join(rng.choice(vocabulary) for _ in range(6)),
                body=body,
                author=rng.choice(["Jane Doe", "Renée Dupont", "Sam Okafor", ""]),
                content_hash=body_hash(body),
            )
        )
        if len(batch) == 1000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)


def timed(function, runs: int) -> tuple[float, float, int]:
    function()  # warm
    timings, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        found = function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    django_with_fresh_database()

    from django.core.paginator import Paginator
    from django.db import connection
    from django.db.models import Q

    from annotations import search, selectors

    started = time.perf_counter()
    make_articles(args.articles)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotations_article")
    print(
        f"{args.articles} articles of ~3 KB ({connection.vendor}) "
        f"made and indexed in {time.perf_counter() - started:.1f} s"
    )

    def page_of(articles):
        def run():
            page = Paginator(articles(), 50).get_page(1)
            rows = list(page)
            assert all(getattr(a, "snippet", None) is not None for a in rows) or not isinstance(
                articles(), search.SearchResults
            )
            return page.paginator.count

        return run

    def fts(q):
        return page_of(lambda: selectors.article_list(search=q))

    def previous(q):
        return page_of(
            lambda: selectors.article_list().filter(
                Q(title__icontains=q) | Q(author__icontains=q) | Q(publisher__icontains=q)
            )
        )

    def body_icontains(q):
        return page_of(
            lambda: selectors.article_list().filter(Q(title__icontains=q) | Q(body__icontains=q))
        )

    rows = []
    for name, q in (("common word", "minister"), ("rare word", "zyzzogeton"), ("CJK", "東京")):
        for method, run in (
            ("full-text", fts(q)),
            ("icontains title/author/publisher (before)", previous(q)),
            ("icontains title/body", body_icontains(q)),
        ):
            p50, p95, found = timed(run, args.runs)
            rows.append((name, q, method, p50, p95, found))

    print("| query | method | p50 ms | p95 ms | found | p50 vs icontains title/body |")
    print("|---|---|---|---|---|---|")
    for name, q, method, p50, p95, found in rows:
        reference = next(r[3] for r in rows if r[0] == name and r[2] == "icontains title/body")
        print(
            f"| {name} `{q}` | {method} | {p50:.1f} | {p95:.1f} | {found} | "
            f"{p50 / reference:.2f}× |"
        )

    if connection.vendor == "postgresql":
        for q in ("zyzzogeton", "東京都庁"):
            queryset = selectors.article_list(search=q).queryset[:50]
            print(f"\nEXPLAIN (first page of {q!r}):")
            print(queryset.explain(analyze=True))


if __name__ == "__main__":
    main()
