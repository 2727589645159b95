"""The review desk in Chromium: label key to highlight, page load, HTML size, queries.

.venv/bin/python bench/bench_keypress.py [--spans 10,1000,5000] [--creates 30] [--loads 5]
    [--server serve|runserver] [--json results.json]

Builds a throwaway database (bench/_setup.py; PostgreSQL when DATABASE_URL points at one,
else SQLite), one article per size with that many spans (the seed's text repeated, with
emoji, CJK, RTL and combining marks mixed in), starts the production server (`make
serve`: gunicorn over that database) on a free port, signs in through the login form in
Chromium (Playwright) and measures, per article:

- key to highlight: a phrase is selected with a DOM Range over #article-text, the label
  key "1" is pressed; the time from the keydown (a capturing listener) to the new
  mark[data-annotation-id] being in the DOM (a MutationObserver), and to the next frame;
  each create is a new span, checked in the database afterwards;
- page load: navigation to DOMContentLoaded, to load, and to "usable" (the pane is there,
  the review scripts ran, the next frame was drawn);
- the page's HTML size, server times (Server-Timing when sent, gunicorn's access log, the
  browser's time to first byte) and, in-process with Django's test Client, the time and
  query count of the page and of one create.

The contract it relies on is only: the reading pane is #article-text, highlights are
mark[data-annotation-id], a label's shortcut key with a text selection creates a span.
"""

import argparse
import atexit
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import _keypress_js as js
from _load_env import Server, free_port, server_command, server_times
from _setup import ROOT, django_with_fresh_database

USER_AGENT = "factcheck-bench-keypress"
PASSWORD = "bench-keypress-pw"
EXTRA = (
    "Le ministre a dit 😀 « non » ! 東京の当局者は同意した。 שלום עולם, مرحبا بالعالم. "
    "Il a visité la cafe\u0301 👨\u200d👩\u200d👧 à Zürich 🇨🇭, then the U.S. envoy left."
)
TARGETS = {  # (metric, spans) -> (limit in ms, how it is read)
    ("key", 1000): 50,
    ("key", 5000): 150,
    ("usable", 1000): 1000,
    ("usable", 5000): 1500,
}
CREATE_SERVER_TARGET = 10


def percentile(values, p):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


# --- fixtures ------------------------------------------------------------------------------


def seed_body():
    from annotations.importers import scraped

    path = ROOT / "seeds" / "000_767f74c7ad0d4c0d.txt"
    return scraped.parse(path.read_text(encoding="utf-8")).records[0].body


def body_for(spans, marker):
    """The seed (and a non-ASCII paragraph) repeated to about 40 code points a span."""
    from annotations.offsets import canonical_text

    unit = seed_body() + "\n\n" + EXTRA + "\n\n"
    repeats = max(2, -(-spans * 40 // len(unit)))
    text = f"Bench article {marker}\n\n" + unit * repeats
    return canonical_text(unicodedata.normalize("NFC", text)).rstrip()


def make_article(spans, author, labels, marker):
    """An article with `spans` spans of 2-6 words (one in ten overlapping the one before),
    a quarter with a source; returns it with its word spans."""
    from annotations.models import Annotation, Article, Source
    from annotations.offsets import quote_selector
    from annotations.sentences import word_spans

    body = body_for(spans, marker)
    article = Article.objects.create(title=f"Bench {spans} spans {marker}", body=body)
    words = word_spans(body)
    step = max(1, len(words) // max(spans, 1))
    rows = []
    for i in range(spans):
        first = i * step - (1 if i % 10 == 9 else 0)
        last = min(first + 1 + i % 5, len(words) - 1)
        start, end = words[first][0], words[last][1]
        selector = quote_selector(body, start, end)
        rows.append(
            Annotation(
                article=article,
                label=labels[i % len(labels)],
                start=start,
                end=end,
                quote=selector.exact,
                prefix=selector.prefix,
                suffix=selector.suffix,
                author=author,
            )
        )
    Annotation.objects.bulk_create(rows, batch_size=1000)
    Source.objects.bulk_create(
        Source(annotation=a, url="https://example.org/report", stance="supports")
        for a in Annotation.objects.filter(article=article).order_by("pk")[: spans // 4]
    )
    return article, words


def phrases(article, words, count):
    """`count` new 3-word spans spread over the text, none equal to an existing span."""
    existing = set(article.annotations.values_list("start", "end"))
    chosen = []
    for k in range(count):
        first = int((k + 0.5) * (len(words) - 4) / count) + 1
        while True:
            start, end = words[first][0], words[first + 2][1]
            if (start, end) not in existing:
                break
            first += 1
        existing.add((start, end))
        chosen.append((start, end))
    return chosen


# --- in-process numbers (Django's test Client) ------------------------------------------------


def in_process(article, words, user, creates):
    """Server time and queries of the page and of a create, without the network."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/articles/{article.pk}/"
    client.get(url)
    page_times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as page_queries:
            started = time.perf_counter()
            response = client.get(url)
            page_times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    html_bytes = len(response.content)
    create_times, create_queries = [], None
    for start, end in phrases(article, words, creates):
        data = {"label": "claim", "start": start, "end": end, "quote": article.body[start:end]}
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post(
                f"/articles/{article.pk}/annotations/", data, HTTP_HX_REQUEST="true"
            )
            create_times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, response.content[:200])
        create_queries = len(queries.captured_queries)
    return {
        "page_ms": statistics.median(page_times),
        "page_queries": len(page_queries.captured_queries),
        "page_html_bytes": html_bytes,
        "create_ms_p50": percentile(create_times, 50),
        "create_ms_p95": percentile(create_times, 95),
        "create_queries": create_queries,
        "create_response_bytes": len(response.content),
    }


# --- in Chromium ---------------------------------------------------------------------------------


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def measure_loads(page, url, loads):
    page.goto(url, wait_until="load")  # warm the static files
    runs = []
    for _ in range(loads):
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.__usableAt !== undefined", timeout=30000)
        runs.append(page.evaluate(js.LOAD_TIMES))
    return runs


def measure_creates(page, article, words, creates, warmups):
    from annotations.models import Annotation

    results, wrong = [], []
    for n, (start, end) in enumerate(phrases(article, words, creates + warmups + 8)[8:]):
        before = Annotation.objects.filter(article=article).count()
        selected = page.evaluate(js.SELECT, {"start": start, "end": end})
        if selected != article.body[start:end]:
            wrong.append(f"selection {start}-{end} read {selected!r}")
            continue
        page.evaluate(js.ARM, "1")
        page.keyboard.press("1")
        result = page.evaluate("window.__bench")
        page.wait_for_function(js.SETTLED, timeout=30000)
        created = Annotation.objects.filter(article=article, start=start, end=end).first()
        if result.get("timeout") or created is None:
            wrong.append(f"no new span for {start}-{end}: {result}")
            continue
        if created.quote != article.body[start:end] or str(created.pk) != result["id"]:
            wrong.append(f"span {created.pk} ({created.quote!r}) vs mark {result['id']}")
        if Annotation.objects.filter(article=article).count() != before + 1:
            wrong.append(f"create {start}-{end} did not add exactly one span")
        if n >= warmups:
            results.append(result)
    return results, wrong


def summarise_creates(results):
    key = [r["dom"] - r["keydown"] for r in results]
    painted = [r["painted"] - r["keydown"] for r in results if r.get("painted") is not None]
    frame = [r["frame"] - r["keydown"] for r in results]
    requests = [r["request"] for r in results if r.get("request")]
    ttfb = [q["response_start"] - q["request_start"] for q in requests]
    to_send = [q["start"] - r["keydown"] for r, q in zip(results, requests, strict=False)]
    after_response = [r["dom"] - r["request"]["response_end"] for r in results if r.get("request")]
    timing = [
        t["dur"] for q in requests for t in q["server_timing"] if t["name"] in {"total", "app"}
    ]
    return {
        "painted_p50": percentile(painted, 50) if painted else None,
        "painted_p95": percentile(painted, 95) if painted else None,
        "key_p50": percentile(key, 50),
        "key_p95": percentile(key, 95),
        "frame_p50": percentile(frame, 50),
        "frame_p95": percentile(frame, 95),
        "key_to_request_p50": percentile(to_send, 50),
        "ttfb_p50": percentile(ttfb, 50),
        "after_response_p50": percentile(after_response, 50),
        "server_timing_p50": percentile(timing, 50),
        "response_bytes_p50": percentile([q["bytes"] for q in requests], 50),
        "count": len(key),
    }


def summarise_loads(runs):
    def p50(name):
        return percentile([r[name] for r in runs], 50)

    timing = [t["dur"] for r in runs for t in r["server_timing"] if t["name"] in {"total", "app"}]
    return {
        "dcl_p50": p50("dcl"),
        "load_p50": p50("load"),
        "usable_p50": p50("usable"),
        "fcp_p50": p50("fcp"),
        "ttfb_p50": p50("ttfb"),
        "server_timing_p50": percentile(timing, 50),
        "html_bytes": runs[-1]["html_bytes"],
        "marks": runs[-1]["marks"],
    }


# --- the report ------------------------------------------------------------------------------


def fmt(value, unit="ms"):
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "KiB":
        return f"{value / 1024:,.0f} KiB"
    return f"{value:,}"


def report(results, sizes, vendor, server_kind):
    rows = [
        ("key → highlight painted (pending), p50", "browser", "painted_p50", "ms", "key"),
        ("key → highlight painted (pending), p95", "browser", "painted_p95", "ms", None),
        ("key → stored highlight in DOM, p50", "browser", "key_p50", "ms", None),
        ("key → highlight in DOM, p95", "browser", "key_p95", "ms", None),
        ("key → next frame drawn, p50", "browser", "frame_p50", "ms", None),
        ("  key → request sent, p50", "browser", "key_to_request_p50", "ms", None),
        ("  create TTFB (browser), p50", "browser", "ttfb_p50", "ms", None),
        ("  response → mark in DOM, p50", "browser", "after_response_p50", "ms", None),
        ("  create response size", "browser", "response_bytes_p50", "KiB", None),
        ("create server time (gunicorn log), p50", "server", "create_log_p50", "ms", "create"),
        ("create server time (in-process), p50", "inproc", "create_ms_p50", "ms", "create"),
        ("create queries", "inproc", "create_queries", "n", None),
        ("page: DOMContentLoaded, p50", "load", "dcl_p50", "ms", None),
        ("page: load, p50", "load", "load_p50", "ms", None),
        ("page: usable, p50", "load", "usable_p50", "ms", "usable"),
        ("page: first contentful paint, p50", "load", "fcp_p50", "ms", None),
        ("page: TTFB (browser), p50", "load", "ttfb_p50", "ms", None),
        ("page server time (gunicorn log), p50", "server", "page_log_p50", "ms", None),
        ("page server time (in-process), p50", "inproc", "page_ms", "ms", None),
        ("page queries", "inproc", "page_queries", "n", None),
        ("page HTML size", "inproc", "page_html_bytes", "KiB", None),
    ]
    print(f"\nreview desk in Chromium ({vendor}, server: {server_kind})")
    header = f"{'':42}" + "".join(f"{f'{n:,} spans':>14}" for n in sizes) + "   target"
    print(header)
    print("-" * len(header))
    for title, group, name, unit, target in rows:
        cells = [results[n][group].get(name) for n in sizes]
        line = f"{title:42}" + "".join(f"{fmt(c, unit):>14}" for c in cells)
        notes = []
        for n, value in zip(sizes, cells, strict=True):
            limit = CREATE_SERVER_TARGET if target == "create" else TARGETS.get((target, n))
            if limit is not None and value is not None:
                notes.append(f"{n:,}: < {limit} ms {'ok' if value < limit else 'MISSED'}")
        print(line + ("   " + "; ".join(notes) if notes else ""))
    for n in sizes:
        for problem in results[n]["problems"]:
            print(f"problem ({n:,} spans): {problem}")


# --- main ------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", default="10,1000,5000")
    parser.add_argument("--creates", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--server", choices=["serve", "runserver"], default="serve")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    sizes = [int(n) for n in args.spans.split(",")]
    if not Path(args.chromium).exists():
        raise SystemExit(f"Chromium not found at {args.chromium}: run 'make chromium'.")

    # Playwright's sync API runs an event loop in this thread; the ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    django_with_fresh_database()
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from annotations.models import Label

    user = User.objects.create_user("bench", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Reviewers"))
    labels = list(Label.objects.filter(active=True).order_by("pk"))
    articles = {}
    for n in sizes:
        started = time.perf_counter()
        articles[n] = make_article(n, user, labels, f"{n}-browser")
        print(f"built {n:,} spans ({len(articles[n][0].body):,} code points) "
              f"in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip

    results = {n: {"problems": []} for n in sizes}
    for n in sizes:
        twin, twin_words = make_article(n, user, labels, f"{n}-in-process")
        results[n]["inproc"] = in_process(twin, twin_words, user, args.creates)
    vendor = connection.vendor
    connection.close()  # the server's processes write to this database now

    folder = Path(tempfile.mkdtemp(prefix="factcheck-keypress-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FACTCHECK_DEV"}
    env.setdefault("FACTCHECK_VAR_DIR", str(folder))  # SQLite: the bench database's folder
    env.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), GUNICORN_ACCESS_LOG="-")
    if args.server == "serve":
        command = server_command(port, None)
    else:
        env["FACTCHECK_DEV"] = "1"
        python = str(ROOT / ".venv" / "bin" / "python")
        command = [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    log_path = folder / "server.log"
    server = Server(command=command, env=env, log_path=log_path)
    base_url = f"http://127.0.0.1:{port}"
    server.start(base_url)
    atexit.register(server.stop)  # before the database is dropped (atexit runs backwards)

    from playwright.sync_api import sync_playwright

    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=flags)
            context = browser.new_context(
                viewport={"width": 1280, "height": 900}, user_agent=USER_AGENT
            )
            context.add_init_script(js.USABLE_INIT)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, base_url, "bench")
            for n in sizes:
                article, words = articles[n]
                url = f"{base_url}/articles/{article.pk}/"
                print(f"measuring {n:,} spans in Chromium …", flush=True)
                results[n]["load"] = summarise_loads(measure_loads(page, url, args.loads))
                creates, problems = measure_creates(
                    page, article, words, args.creates, args.warmups
                )
                results[n]["browser"] = summarise_creates(creates)
                results[n]["problems"] = problems + errors
                errors.clear()
            browser.close()
    finally:
        server.stop()
    times = server_times(log_path)
    for n in sizes:
        results[n]["server"] = {}
    by_size = {articles[n][0].pk: n for n in sizes}
    _log_times_per_article(log_path, by_size, results)
    if not times:
        print("(no gunicorn access log times: runserver does not log them)")
    report(results, sizes, vendor, args.server)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def _log_times_per_article(log_path, by_size, results):
    """Median gunicorn-measured time of each size's page GETs and create POSTs."""
    import re

    pattern = re.compile(r'"(GET|POST) /articles/(\d+)/(annotations/)?\S* HTTP/[\d.]+" (\d{3}) '
                         r'\S+ (\d+)ms "' + USER_AGENT)  # fmt: skip
    pages, creates = {}, {}
    for method, pk, create, status, millis in pattern.findall(log_path.read_text(errors="replace")):
        n = by_size.get(int(pk))
        if n is None or status != "200":
            continue
        if method == "POST" and create:
            creates.setdefault(n, []).append(int(millis))
        elif method == "GET" and not create:
            pages.setdefault(n, []).append(int(millis))
    for n in by_size.values():
        results[n]["server"]["page_log_p50"] = percentile(pages.get(n, []), 50)
        results[n]["server"]["create_log_p50"] = percentile(creates.get(n, []), 50)


if __name__ == "__main__":
    sys.exit(main())
