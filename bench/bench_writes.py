"""Span writes, one at a time: what the locks, checks, versions and history cost.

Beside each service the reference: the same rows written by bare ORM calls (the span,
then its history event) with no lock, no check and no permission, in one transaction.
The ratio is the price of "nothing lost". Then the endpoints as the page calls them
(htmx), on a short article and on one with 1,000 spans.

.venv/bin/python bench/bench_writes.py [--runs 200]
DATABASE_URL=postgres://root@127.0.0.1:5432/x .venv/bin/python bench/bench_writes.py
"""

import argparse
import statistics
import time

from _setup import django_with_fresh_database


def _ms(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _timed(fn, runs):
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return _ms(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    django_with_fresh_database()

    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django.test import Client

    from annotations import history, services
    from annotations.models import Annotation, Article, HistoryEvent, Label

    sentence = "The minister said the bridge is safe and the mayor denied it. "
    body = sentence * (args.runs + 10)
    article = Article.objects.create(title="Writes", body=body)
    user = User.objects.create_user("bench", password="bench")
    user.groups.add(Group.objects.get(name="Reviewers"))
    user = User.objects.get(pk=user.pk)
    claim = Label.objects.get(slug="claim")
    width = len(sentence)
    quote_at = sentence.index("the bridge is safe")
    quote = "the bridge is safe"

    def offsets(i):
        start = i * width + quote_at
        return start, start + len(quote)

    def reference_create(i):
        start, end = offsets(i)
        with transaction.atomic():
            annotation = Annotation.objects.create(
                article=article, label=claim, start=start, end=end, quote=quote, author=user
            )
            HistoryEvent.objects.create(
                kind="annotation",
                object_id=annotation.pk,
                annotation_id_ref=annotation.pk,
                article=article,
                action="create",
                actor=user,
                after=history.snapshot_annotation(annotation),
            )

    def service_create(i):
        start, end = offsets(i)
        services.annotation_create(
            article=article, label=claim, start=start, end=end, quote=quote, author=user
        )

    rows = []
    rows.append(("create (reference: bare ORM)", *_timed(reference_create, args.runs)))
    Annotation.objects.all().delete()
    rows.append(("create (services.annotation_create)", *_timed(service_create, args.runs)))
    spans = list(Annotation.objects.order_by("pk"))

    def reference_update(i):
        with transaction.atomic():
            span = spans[i]
            span.note = f"note {i}"
            span.save(update_fields=["note", "updated_at"])
            HistoryEvent.objects.create(
                kind="annotation",
                object_id=span.pk,
                annotation_id_ref=span.pk,
                article=article,
                action="update",
                actor=user,
                after=history.snapshot_annotation(span),
            )

    def service_update(i):
        services.annotation_update(
            annotation=spans[i], actor=user, note=f"service {i}", expected_version=spans[i].version
        )

    rows.append(("edit (reference: bare ORM)", *_timed(reference_update, args.runs)))
    rows.append(("edit (services.annotation_update)", *_timed(service_update, args.runs)))
    deletions = []

    def service_delete(i):
        deletions.append(services.annotation_delete(annotation=spans[i], actor=user))

    rows.append(("delete (services.annotation_delete)", *_timed(service_delete, args.runs)))
    rows.append(
        (
            "restore (services.annotation_restore)",
            *_timed(
                lambda i: services.annotation_restore(event=deletions[i], actor=user), args.runs
            ),
        )
    )

    # The endpoints, as the review page calls them (htmx), answering with the workspace.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_HX_REQUEST="true")
    client.force_login(user)
    Annotation.objects.all().delete()
    short = Article.objects.create(title="Short", body=sentence * 40)

    slugs = ["claim", "denial", "unverified-allegation"]

    def view_create(target, i, shift=0):
        # A new span each time (an exact duplicate is refused): sentence, then label.
        start = (i % 40) * width + quote_at
        response = client.post(
            f"/articles/{target.pk}/annotations/",
            {
                "label": slugs[(i // 40 + shift) % 3],
                "start": start,
                "end": start + len(quote),
                "quote": quote,
            },
        )
        assert response.status_code == 200, response.status_code

    rows.append(("POST create, 40-sentence article", *_timed(lambda i: view_create(short, i), 100)))
    Annotation.objects.bulk_create(
        Annotation(
            article=article,
            label=claim,
            start=offsets(i)[0],
            end=offsets(i)[1],
            quote=quote,
            author=user,
        )
        for i in range(min(1000, args.runs))
    )
    rows.append(
        (
            f"POST create, article with {min(1000, args.runs)} spans",
            *_timed(lambda i: view_create(article, i, shift=1), 50),
        )
    )

    print(f"span writes ({connection.vendor}), {args.runs} runs each")
    print(f"{'operation':<46} {'p50 ms':>8} {'p95 ms':>8}")
    for name, p50, p95 in rows:
        print(f"{name:<46} {p50:8.2f} {p95:8.2f}")
    ratio = rows[1][1] / rows[0][1]
    print(f"create: services / reference = {ratio:.2f}x; edit: {rows[3][1] / rows[2][1]:.2f}x")


if __name__ == "__main__":
    main()
