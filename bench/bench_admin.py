"""The admin pages an outside tester found slow, timed with their query counts.

.venv/bin/python bench/bench_admin.py [--articles 150] [--spans 10]
DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/bench_admin.py

- "Delete selected articles" on --articles articles of --spans spans each (each span with a
  speaker and a source), confirmed: the POST that deletes them, their history with them.
- The history list filtered to article deletions (one page), and "Recently deleted
  articles" (50 rows), after that deletion.
- The autocompletes: a relation's from_span (term "talks", 20 results), a span's
  article (term "Report") and label.

A GET's time is the median of 5 runs; a delete's is its one run.
"""

import argparse
import statistics
import time
import warnings

from _setup import django_with_fresh_database

BODY = (
    "Report {n}. Kirby said the talks are advancing on Wednesday, and the minister said the "
    "bridge is safe. Moscow denied it. The council said the budget is balanced. "
)


def make_world(articles: int, spans: int):
    from django.contrib.auth.models import User

    from annotations.models import Annotation, Article, Evidence, Label, Source, Speaker
    from annotations.offsets import quote_selector

    admin = User.objects.create_superuser("bench-admin", "a@example.org", "pw")
    claim = Label.objects.get(slug="claim")
    speaker = Speaker.objects.create(name="Kirby")
    source = Source.objects.create(url="https://example.org/report", title="Report")
    words = ["Kirby", "talks", "advancing", "minister", "bridge", "safe", "Moscow", "denied"]
    words += ["council", "budget", "balanced", "Wednesday", "said", "Report"]
    made = []
    for n in range(articles):
        body = BODY.format(n=n) * ((spans // len(words)) + 1)
        made.append(Article(title=f"Report {n}", body=body))
    for article in made:
        article.save()
    rows = []
    for article in made:
        at = 0
        for i in range(spans):
            word = words[i % len(words)]
            start = article.body.index(word, at)
            at = start + 1
            selector = quote_selector(article.body, start, start + len(word))
            rows.append(
                Annotation(
                    article=article,
                    label=claim,
                    start=start,
                    end=start + len(word),
                    quote=selector.exact,
                    prefix=selector.prefix,
                    suffix=selector.suffix,
                    speaker=speaker,
                    author=admin,
                )
            )
    Annotation.objects.bulk_create(rows)
    Evidence.objects.bulk_create(
        Evidence(annotation=a, source=source, stance=Evidence.Stance.SUPPORTS)
        for a in Annotation.objects.all()
    )
    return admin, [a.pk for a in made]


def measured(label, request, runs=1):
    """The request's status and queries, and its time (the median of `runs`: a GET)."""
    from django.db import connection

    timings = []
    for _ in range(runs):
        count = [0]

        def counted(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with warnings.catch_warnings(record=True) as caught, connection.execute_wrapper(counted):
            warnings.simplefilter("always")
            started = time.perf_counter()
            response = request()
            timings.append(time.perf_counter() - started)
    took = statistics.median(timings)
    unordered = [w for w in caught if "Unordered" in type(w.message).__name__]
    print(
        f"{label:<58} {response.status_code}  {count[0]:>6} queries  "
        f"{took * 1000:>8.0f} ms" + ("  UnorderedObjectListWarning" if unordered else "")
    )
    return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--spans", type=int, default=10)
    args = parser.parse_args()
    django_with_fresh_database()

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"{connection.vendor}: {args.articles} articles of {args.spans} spans")
    admin, ids = make_world(args.articles, args.spans)
    client = Client()
    client.force_login(admin)

    base = "/admin/autocomplete/?app_label=annotations"
    measured(
        "autocomplete relation.from_span term=talks",
        lambda: client.get(f"{base}&model_name=relation&field_name=from_span&term=talks"),
        runs=5,
    )
    measured(
        "autocomplete annotation.article term=Report",
        lambda: client.get(f"{base}&model_name=annotation&field_name=article&term=Report"),
        runs=5,
    )
    measured(
        "autocomplete annotation.label (no term)",
        lambda: client.get(f"{base}&model_name=annotation&field_name=label&term="),
        runs=5,
    )
    one = ids.pop()
    measured(
        f"delete one article ({args.spans} spans)",
        lambda: client.post(
            f"/admin/annotations/article/{one}/delete/",
            {"post": "yes", "confirm_article_id": str(one)},
        ),
    )
    response = measured(
        f"delete selected articles ({len(ids)} x {args.spans} spans)",
        lambda: client.post(
            "/admin/annotations/article/",
            {
                "action": "delete_selected",
                # Past 1,000 fields Django refuses the form: "select all" instead.
                "_selected_action": [str(pk) for pk in ids][: 1 if len(ids) > 900 else None],
                "select_across": "1" if len(ids) > 900 else "0",
                "post": "yes",
                "understand": "yes",
            },
        ),
    )
    assert response.status_code == 302, response.content[:2000]
    measured(
        "history list, kind=article & action=delete (a page)",
        lambda: client.get(
            "/admin/annotations/historyevent/?kind__exact=article&action__exact=delete"
        ),
        runs=5,
    )
    measured(
        "recently deleted articles (50 rows)",
        lambda: client.get("/admin/annotations/historyevent/deleted-articles/"),
        runs=5,
    )


if __name__ == "__main__":
    main()
