"""Review page with 1,000 spans: server time and query count.

.venv/bin/python bench/bench_review.py [--spans 1000] [--runs 30]
"""

import argparse
import statistics
import time

from _setup import django_with_fresh_database


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    django_with_fresh_database()

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from annotations.models import Annotation, Article, Label, Source

    words = "The minister said 😀 the bridge is “safe” and 東京 agreed. " * (args.spans // 6 + 1)
    article = Article.objects.create(title="Bench", body=words)
    user = User.objects.create_user("bench", password="bench")
    user.groups.add(Group.objects.get(name="Reviewers"))
    labels = list(Label.objects.all())
    step = len(words) // args.spans
    spans = [
        Annotation(
            article=article,
            label=labels[i % 3],
            start=i * step,
            end=i * step + step + 3 * (i % 2),
            quote=words[i * step : i * step + step + 3 * (i % 2)],
            author=user,
        )
        for i in range(args.spans)
    ]
    Annotation.objects.bulk_create(spans)
    Source.objects.bulk_create(
        Source(annotation=a, url="https://example.org/", stance="supports")
        for a in Annotation.objects.filter(article=article)[: args.spans // 4]
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/articles/{article.pk}/"
    client.get(url)
    timings = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    print(
        f"review page, {args.spans} spans ({connection.vendor}): "
        f"median {statistics.median(timings):.1f} ms, "
        f"p90 {sorted(timings)[int(len(timings) * 0.9) - 1]:.1f} ms, "
        f"{len(queries.captured_queries)} queries, {len(response.content) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
