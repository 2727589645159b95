"""The "seen before" lookup a claim's editor makes, over 100,000 claims in 10,000 articles.

DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/bench_seen_before.py
.venv/bin/python bench/bench_seen_before.py            # SQLite: the fallback
  [--claims 100000] [--per-article 10] [--lookups 200] [--keep]

On PostgreSQL the claims go to a database of their own, fc_bench_seen, made afresh on
the URL's server and dropped at exit (--keep leaves it for a look); the database the URL
names is never written. The rows are written with COPY: sentence-like quotes built from
common English words and a large made-up vocabulary, a tenth of them near-copies of a
thousand "viral" claims (so there is something to find), 40% rated, 20% citing sources.

Timed for the same random claims, side by side:
- seen_before(): what the panel runs (pairs of rare words through the GIN trigram index,
  similarity() on the few candidates, then their details);
- the same with the index dropped (in a transaction that is rolled back; on 50 of the
  claims, as each reads the whole table);
- the first design, pg_trgm's `%` over the whole quote (on 20 of the claims: it is slow);
- the plain "five claims of other articles" SELECT ... LIMIT 5, the floor of any lookup.
Then EXPLAIN ANALYZE of one lookup's candidate query, to show the index in use.
"""

import argparse
import atexit
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATABASE = "fc_bench_seen"

# English as news is written: function words everywhere, a few hundred topical words
# often, and a long tail of names and rare words (made up here, Zipf-distributed).
_FUNCTION_WORDS = """
the the the a a an of of to to in in and and that that is was for on with as by at from
it its their this these has have had will would could not no but or be been are were
more than over after about new also who which
"""
FUNCTION = _FUNCTION_WORDS.split()
_TOPICAL_WORDS = """
government minister president police hospital vaccine election tax budget bridge river
school teachers prices inflation unemployment wages pension army border refugees court
judge law parliament party opposition mayor city council company profits oil gas energy
climate emissions floods drought farmers crops water health doctors patients virus cases
deaths children women workers strike union bank rates debt loans housing rents crime
murders prison sentence report study researchers data survey poll voters ballots fraud
protest rally troops missiles ceasefire talks treaty sanctions exports imports trade
tariffs jobs factory plant nuclear power grid blackout internet phones social media
platform ban million billion percent per year years week month since record highest
lowest doubled tripled halved increased fell rose dropped cut raised spent lost won safe
illegal
"""
TOPICAL = _TOPICAL_WORDS.split()
SUBJECTS = [
    "the minister",
    "the mayor",
    "the president",
    "a spokesman",
    "the company",
    "officials",
    "the ministry",
    "the governor",
    "the senator",
    "the police",
    "the health agency",
    "the central bank",
    "the opposition leader",
    "the army",
    "the union",
    "researchers",
]
VERBS = ["said", "claimed", "insisted", "announced", "denied", "stated", "wrote", "argued"]
TIMES = ["last year", "this week", "since 2019", "in March", "by 2030", "over a decade"]


ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sp ch sh th pl bl cl fl"
ONSETS += " gl sl sk sn qu"


def vocabulary(rng, size=30_000):
    """Made-up names and rare words with English-like spelling (so their trigrams are as
    varied as a real vocabulary's, not a handful repeated)."""
    onsets = [""]
    onsets += ONSETS.split()
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y", "ee", "oa", "au"]
    codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "x", "sh"]
    words = set()
    while len(words) < size:
        words.add(
            "".join(
                rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                for _ in range(rng.randint(2, 3))
            )
        )
    words = sorted(words)
    rng.shuffle(words)
    return words


def zipf(rng, items):
    """An item of the list, the first ones more often: half the picks log-uniform in rank
    (Zipf, s = 1), half uniform, so no one word is in every sentence."""
    if rng.random() < 0.5:
        return rng.choice(items)
    return items[min(len(items), int(len(items) ** rng.random())) - 1]


def sentence(rng, words):
    parts = [rng.choice(SUBJECTS), rng.choice(VERBS), "that"]
    for _ in range(rng.randint(6, 14)):
        roll = rng.random()
        if roll < 0.4:
            parts.append(rng.choice(FUNCTION))
        elif roll < 0.7:
            parts.append(zipf(rng, TOPICAL))
        elif roll < 0.95:
            parts.append(zipf(rng, words))
        else:
            parts.append(str(rng.randint(2, 990)))
    parts.append(rng.choice(TIMES))
    text = " ".join(parts)
    return text[0].upper() + text[1:]


def variant(rng, text, words):
    """A retelling of a claim: a word or two swapped, dropped or added."""
    tokens = text.split()
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(tokens))
        roll = rng.random()
        if roll < 0.4:
            tokens[i] = zipf(rng, words)
        elif roll < 0.7 and len(tokens) > 6:
            del tokens[i]
        else:
            tokens.insert(i, rng.choice(FUNCTION))
    return " ".join(tokens)


def setup_database(keep: bool):
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')

        if not keep:
            atexit.register(drop)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
        os.environ.setdefault("FACTCHECK_DEV", "1")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from _setup import django_with_fresh_database

        django_with_fresh_database()


def build(claims: int, per_article: int, rng):
    """Articles, claims, ratings and sources: COPY on PostgreSQL, bulk inserts on SQLite."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from annotations.models import Annotation, Article, Evidence, Label, Rating, Source
    from annotations.models.article import body_hash

    user = User.objects.create_user("bench")
    claim_label = Label.objects.get(slug="claim")
    denial_label = Label.objects.get(slug="denial")
    ratings = list(Rating.objects.values_list("pk", flat=True))
    words = vocabulary(rng)
    viral = [sentence(rng, words) for _ in range(1000)]
    now = timezone.now()
    n_articles = claims // per_article

    articles, spans = [], []
    for a in range(n_articles):
        quotes = [
            variant(rng, rng.choice(viral), words) if rng.random() < 0.1 else sentence(rng, words)
            for _ in range(per_article)
        ]
        body = ". ".join(quotes) + f". (Article {a}.)"
        articles.append((f"Article {a}: {quotes[0][:60]}", body, body_hash(body)))
        start = 0
        for q in quotes:
            spans.append((a, start, start + len(q), q))
            start += len(q) + 2
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY annotations_article (title, body, author, source_url, publisher, "
                "content_hash, status, import_metadata, imported_at, updated_at) FROM STDIN"
            ) as copy,
        ):
            for title, body, digest in articles:
                copy.write_row((title, body, "", "", "", digest, "in_review", "{}", now, now))
    else:
        Article.objects.bulk_create(
            (Article(title=t, body=b, content_hash=h, status="in_review") for t, b, h in articles),
            batch_size=2000,
        )
    ids = list(Article.objects.order_by("id").values_list("id", flat=True))

    rows = []
    for index, (a, start, end, quote) in enumerate(spans):
        # One span in twenty is a denial: "seen before" must leave those out.
        label = denial_label.pk if index % 20 == 19 else claim_label.pk
        verdict = rng.choice(ratings) if label == claim_label.pk and rng.random() < 0.4 else None
        rows.append((ids[a], label, start, end, quote, verdict))
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.copy(
                'COPY annotations_annotation (article_id, label_id, start, "end", quote, prefix, '
                "suffix, note, verdict_id, verdict_explanation, author_id, created_at, "
                "updated_at, version) FROM STDIN"
            ) as copy,
        ):
            for article_id, label, start, end, quote, verdict in rows:
                copy.write_row(
                    (
                        article_id,
                        label,
                        start,
                        end,
                        quote,
                        "",
                        "",
                        "",
                        verdict,
                        "",
                        user.pk,
                        now,
                        now,
                        1,
                    )
                )
    else:
        Annotation.objects.bulk_create(
            (
                Annotation(
                    article_id=article_id,
                    label_id=label,
                    start=start,
                    end=end,
                    quote=quote,
                    verdict_id=verdict,
                    author=user,
                )
                for article_id, label, start, end, quote, verdict in rows
            ),
            batch_size=5000,
        )
    Source.objects.bulk_create(
        (Source(url=f"https://example.org/report/{i}", title=f"Report {i}") for i in range(20_000)),
        batch_size=5000,
    )
    source_ids = list(Source.objects.values_list("pk", flat=True))
    span_ids = list(Annotation.objects.filter(label=claim_label).values_list("pk", flat=True))
    cited = rng.sample(span_ids, len(span_ids) // 5)
    Evidence.objects.bulk_create(
        (
            Evidence(annotation_id=span, source_id=source, stance="refutes")
            for span in cited
            for source in rng.sample(source_ids, rng.randint(1, 2))
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return claim_label


SLOWEST = {}


def timed(function, items):
    timings, found = [], 0
    for item in items:
        started = time.perf_counter()
        found += len(function(item))
        timings.append((time.perf_counter() - started) * 1000)
    SLOWEST[function] = sorted(zip(timings, items, strict=True), key=lambda t: -t[0])[:3]
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    return statistics.median(timings), p95, found / len(items)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--per-article", type=int, default=10)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep fc_bench_seen")
    args = parser.parse_args()
    setup_database(args.keep)

    from django.db import connection, transaction

    from annotations import similar
    from annotations.models import Annotation

    rng = random.Random(7)
    started = time.perf_counter()
    claim_label = build(args.claims, args.per_article, rng)
    total = Annotation.objects.count()
    print(
        f"{total} spans ({Annotation.objects.filter(label=claim_label).count()} claims) in "
        f"{total // args.per_article} articles ({connection.vendor}), built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    picked = rng.sample(
        list(Annotation.objects.filter(label=claim_label).values_list("pk", flat=True)),
        args.lookups,
    )
    spans = list(Annotation.objects.select_related("label").filter(pk__in=picked))
    rng.shuffle(spans)
    for span in spans[:10]:  # warm the caches the first lookups would otherwise pay for
        similar.seen_before(span)

    def without_index(spans):
        """The same lookups with the index dropped in a transaction rolled back after."""

        class Rollback(Exception):
            pass

        results = []
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DROP INDEX annotations_annotation_quote_trgm")
                results.append(timed(similar.seen_before, spans))
                raise Rollback
        except Rollback:
            pass
        return results[0]

    def plain_limit(span):
        return list(
            Annotation.objects.filter(label__takes_verdict=True)
            .exclude(article_id=span.article_id)
            .order_by()
            .values_list("id", "quote")[:5]
        )

    def whole_quote_percent(span):
        """The first design: pg_trgm's % over the whole quote, through the same index."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id FROM annotations_annotation a WHERE a.quote %% %s "
                "AND a.article_id <> %s "
                "AND a.label_id IN (SELECT id FROM annotations_label WHERE takes_verdict) "
                "ORDER BY similarity(a.quote, %s) DESC LIMIT 15",
                [span.quote, span.article_id, span.quote],
            )
            return cursor.fetchall()[:5]

    postgresql = connection.vendor == "postgresql"
    index = "GIN trigram index" if postgresql else "LIKE scan, SQLite"
    results = [(f"seen_before() ({index})", *timed(similar.seen_before, spans))]
    slowest = SLOWEST[similar.seen_before]
    if postgresql:
        results.append(("the same with the index dropped (50 lookups)", *without_index(spans[:50])))
        results.append(
            (
                "first design: % over the whole quote (20 lookups)",
                *timed(whole_quote_percent, spans[:20]),
            )
        )
    results.append(("plain SELECT … LIMIT 5 (the floor)", *timed(plain_limit, spans)))
    print(f"\n{args.lookups} lookups of random claims, the same claims for each method:")
    print("| method | p50 ms | p95 ms | matches per lookup |")
    print("|---|---|---|---|")
    for name, p50, p95, found in results:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {found:.2f} |")
    target = results[0][2]
    if postgresql:
        print(f"\ntarget p95 < 100 ms: {'met' if target < 100 else 'NOT met'} ({target:.1f} ms)")
    else:
        print("\n(the < 100 ms target is PostgreSQL's; SQLite is the local first-run default)")
    print("slowest lookups:")
    for ms, span in slowest:
        print(f"  {ms:.0f} ms #{span.pk} {similar.rare_words(span.quote)} “{span.quote[:70]}”")
    viral = [span for span in spans if similar.seen_before(span)]
    print(f"lookups that found at least one similar claim: {len(viral)} of {len(spans)}")

    if postgresql:
        span = viral[0] if viral else spans[0]
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            similar.seen_before(span)
        with connection.cursor() as cursor:
            candidates = next(
                q["sql"] for q in queries.captured_queries if "candidates" in q["sql"]
            )
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + candidates)
            print(f"\nEXPLAIN ANALYZE (candidates for #{span.pk} “{span.quote[:50]}…”):")
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
