"""Bounded load test of the production server: N simulated reviewers for T seconds.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/load_test.py
        [--users 30] [--duration 30] [--sequential-creates 200]
        [--restart-postgres [--dry-run-restart]]

What it does, all on 127.0.0.1:
1. creates a throwaway database fc_load_<pid> beside the one DATABASE_URL names (never
   written), migrates it, and makes articles (with spans already on them) and N users in
   the Reviewers group (a tenth of them also Editors, who may edit anyone's span: the
   source of concurrent edits of one span). Reviewers are logged in with sessions made
   server-side (SessionStore: no password hashing, no login throttle); --login password
   logs each one in once through the login form instead.
2. starts the production server, `make serve` (gunicorn over PostgreSQL; before that
   target exists, the same gunicorn command) on a free port with DATABASE_URL pointing
   at the throwaway database and a random DJANGO_SECRET_KEY;
3. one client creates --sequential-creates spans one at a time (the single-create time);
4. N reviewer threads read the list, the review page and span editors (htmx), create,
   edit and delete spans until --duration seconds or --max-requests each; every request
   has a --timeout;
5. stops the server, checks that every write the server acknowledged is in the database
   (and every acknowledged delete is gone and in the history), prints a table and
   PASS/FAIL, drops the database. Exit status 0 only on PASS.

--restart-postgres restarts the machine's PostgreSQL cluster in the middle of the run
(`pg_ctlcluster --skip-systemctl-redirect <version> main restart`): errors while it is
down are counted apart, and the run passes only if the app recovers by itself (no errors
after the outage window) and no acknowledged write is lost. It disturbs everyone using
that server. --dry-run-restart fakes the outage instead, with a TCP proxy between the app
and PostgreSQL that cuts every connection and refuses new ones for --outage seconds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _load_env as env
from _load_client import OPS, Reviewer, Sample

READ_P95_TARGET_MS = 200
SINGLE_CREATE_P50_TARGET_MS = 15


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--users", type=int, default=30, help="simulated reviewers (default 30)")
    p.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    p.add_argument(
        "--max-requests", type=int, default=5000, help="per reviewer, a bound besides time"
    )
    p.add_argument("--timeout", type=float, default=10, help="seconds, for every request")
    p.add_argument(
        "--think", type=float, default=0, help="mean pause between a reviewer's requests, s"
    )
    p.add_argument(
        "--ramp",
        type=float,
        default=3,
        help="seconds over which the reviewers start, one after another (as people sign in; "
        "0 starts them all at once)",
    )
    p.add_argument(
        "--editors",
        type=int,
        default=None,
        help="how many reviewers are also Editors (default users/10, at least 1)",
    )
    p.add_argument("--articles", type=int, default=10)
    p.add_argument(
        "--seed-spans", type=int, default=40, help="spans on each article before the run"
    )
    p.add_argument("--sequential-creates", type=int, default=200)
    p.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: the server's own)"
    )
    p.add_argument("--login", choices=["session", "password"], default="session")
    p.add_argument("--restart-postgres", action="store_true")
    p.add_argument("--dry-run-restart", action="store_true", help="fake the outage with a proxy")
    p.add_argument(
        "--restart-at", type=float, default=None, help="seconds into the load (default duration/3)"
    )
    p.add_argument("--outage", type=float, default=4, help="dry run: seconds the fake outage lasts")
    p.add_argument(
        "--grace",
        type=float,
        default=5,
        help="seconds after the restart that errors are still the outage's",
    )
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--keep-log", action="store_true", help="keep the server log even on PASS")
    p.add_argument(
        "--check-verifier",
        action="store_true",
        help="add three made-up acknowledged writes to the ledger: the run must FAIL on them",
    )
    p.add_argument(
        "--strict-targets", action="store_true", help="FAIL when a performance target is missed"
    )
    args = p.parse_args(argv)
    if args.dry_run_restart:
        args.restart_postgres = True
    if args.editors is None:
        args.editors = max(1, args.users // 10)
    if args.restart_at is None:
        args.restart_at = args.duration / 3
    if args.restart_postgres and args.restart_at + 10 > args.duration:
        p.error("--restart-postgres needs at least 10 s of load after --restart-at")
    return args


# --- statistics ---------------------------------------------------------------------------


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def ms(x):
    return "-" if x != x else f"{x * 1000:.1f}"  # nan -> "-"


def table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        cells = enumerate(zip(r, widths, strict=True))
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in cells)

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def op_table(
    samples: list[Sample], seconds: float, targets: dict, server: dict | None = None
) -> str:
    """Per operation; `server` = {op: [seconds]} from the access log (time inside the app)."""
    server = server or {}
    rows = []
    for op in [*OPS, "login", "client"]:
        mine = [s for s in samples if s.op == op]
        if not mine:
            continue
        answered = [s.seconds for s in mine if s.outcome != "error"]
        c = Counter(s.outcome for s in mine)
        rows.append(
            [
                op,
                len(mine),
                f"{len(mine) / seconds:.1f}",
                c["ok"],
                c["conflict"],
                c["gone"],
                c["error"],
                ms(pct(answered, 50)),
                ms(pct(answered, 95)),
                ms(max((s.seconds for s in mine), default=float("nan"))),
                f"{ms(pct(server.get(op, []), 50))} / {ms(pct(server.get(op, []), 95))}",
                targets.get(op, ""),
            ]
        )
    total = len(samples)
    errors = sum(s.outcome == "error" for s in samples)
    rows.append(["all", total, f"{total / seconds:.1f}", "", "", "", errors, "", "", "", "", ""])
    header = [
        "operation",
        "requests",
        "req/s",
        "ok",
        "409",
        "gone",
        "errors",
        "p50 ms",
        "p95 ms",
        "max ms",
        "in app p50/p95",
        "target",
    ]
    return table(rows, header)


def target_check(samples, op, q, limit_ms):
    values = [s.seconds for s in samples if s.op == op and s.outcome != "error"]
    value = pct(values, q) * 1000
    ok = value == value and value < limit_ms
    return ok, f"p{q} {value:.1f} ms (target < {limit_ms} ms): {'met' if ok else 'NOT met'}"


# --- verification -------------------------------------------------------------------------


def verify(reviewers) -> tuple[list[str], dict]:
    """Every acknowledged write is in the database; returns (problems, counts)."""
    from django.db import connections

    from annotations.models import Annotation, HistoryEvent

    connections.close_all()  # after a PostgreSQL restart the old connection is dead
    problems = []
    creates, deletes, edits, unknown = {}, {}, [], []
    for r in reviewers:
        for span_id, data in r.ledger.creates.items():
            creates[span_id] = (r, data)
        for span_id in r.ledger.deletes:
            deletes[span_id] = r
        edits += [(r, e) for e in r.ledger.edits]
        unknown += r.ledger.unknown
    touched = set(creates) | set(deletes) | {e[0] for _, e in edits}
    rows = {a.pk: a for a in Annotation.objects.filter(pk__in=touched).select_related("author")}
    history = {}
    for ev in HistoryEvent.objects.filter(kind="annotation", object_id__in=touched).order_by("id"):
        history.setdefault(ev.object_id, []).append(ev)

    for span_id, (r, (article_id, start, end, quote, _label)) in creates.items():
        actions = [ev.action for ev in history.get(span_id, [])]
        if "create" not in actions:
            problems.append(
                f"create #{span_id} by {r.username}: acknowledged, no create in the history"
            )
        if span_id in deletes and deletes[span_id] is r:
            continue
        row = rows.get(span_id)
        if row is None:
            problems.append(
                f"create #{span_id} by {r.username}: acknowledged, not in the database "
                f"(history: {actions})"
            )
        elif (row.article_id, row.start, row.end, row.quote, row.author.username) != (
            article_id,
            start,
            end,
            quote,
            r.username,
        ):
            problems.append(
                f"create #{span_id} by {r.username}: stored as article {row.article_id} "
                f"[{row.start}, {row.end}) {row.quote!r} by {row.author.username}"
            )
    for span_id, r in deletes.items():
        if span_id in rows:
            problems.append(
                f"delete #{span_id} by {r.username}: acknowledged, still in the database"
            )
        if not any(ev.action == "delete" for ev in history.get(span_id, [])):
            problems.append(
                f"delete #{span_id} by {r.username}: acknowledged, no delete in the history"
            )
    superseded = 0
    for r, (span_id, label_value, speaker, note) in edits:
        events = history.get(span_id, [])
        mine = [
            ev
            for ev in events
            if ev.action == "update"
            and (ev.after or {}).get("speaker") == speaker
            and (ev.after or {}).get("note") == note
            and (label_value is None or str((ev.after or {}).get("label_id")) == str(label_value))
        ]
        if not mine:
            problems.append(
                f"edit of #{span_id} by {r.username} ({speaker!r}): "
                "acknowledged, not in the history"
            )
            continue
        later = [ev for ev in events if ev.id > mine[-1].id and ev.action in {"update", "delete"}]
        if later:
            superseded += 1
            continue
        row = rows.get(span_id)
        if row is None:
            problems.append(
                f"edit of #{span_id} by {r.username}: the latest change, "
                "but the span is gone without a delete"
            )
        elif (row.speaker, row.note) != (speaker, note) or (
            label_value is not None and str(row.label_id) != str(label_value)
        ):
            problems.append(
                f"edit of #{span_id} by {r.username}: the latest change is "
                f"{speaker!r}/{note!r}/{label_value}, "
                f"the database has {row.speaker!r}/{row.note!r}/{row.label_id}"
            )
    counts = {
        "acknowledged creates": len(creates),
        "acknowledged edits": len(edits),
        "  of which superseded by a later change": superseded,
        "acknowledged deletes": len(deletes),
        "writes answered by an error (outcome unknown)": len(unknown),
    }
    return problems, counts


# --- the PostgreSQL restart ---------------------------------------------------------------


def real_restart_command() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    if len(versions) != 1:
        raise SystemExit(f"expected one PostgreSQL version in /etc/postgresql, found {versions}")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "restart"]


class Restarter(threading.Thread):
    def __init__(self, *, at: float, proxy=None, outage: float = 4):
        super().__init__(name="restarter", daemon=True)
        self.at, self.proxy, self.outage = at, proxy, outage
        self.began = self.ended = None
        self.result = ""

    def run(self):
        while time.monotonic() < self.at:
            time.sleep(0.05)
        self.began = time.monotonic()
        if self.proxy is not None:
            self.proxy.outage(self.outage)
            self.result = (
                f"fake outage of {self.outage:.1f} s (proxy cut every connection); a real run "
                f"would execute: {' '.join(real_restart_command())}"
            )
        else:
            cmd = real_restart_command()
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
                self.result = f"{' '.join(cmd)}: exit {done.returncode} {done.stderr.strip()}"
            except subprocess.TimeoutExpired:
                self.result = f"{' '.join(cmd)}: still running after 180 s"
        self.ended = time.monotonic()


def outage_report(samples, restarter, grace, load_end) -> tuple[list[str], bool]:
    lines = [f"restart: {restarter.result}"]
    if restarter.began is None or restarter.ended is None:
        return [*lines, "the restart did not happen during the load"], False
    window = (restarter.began, restarter.ended + grace)
    inside = [s for s in samples if s.t0 < window[1] and s.t0 + s.seconds > window[0]]
    after = [s for s in samples if s.t0 >= window[1]]
    errors_in = [s for s in inside if s.outcome == "error"]
    errors_after = [s for s in after if s.outcome == "error"]
    lines.append(
        f"outage window: {window[0] - restarter.began:.1f}..{window[1] - restarter.began:.1f} s "
        "after the restart began "
        f"(restart took {restarter.ended - restarter.began:.1f} s, + {grace:.0f} s grace)"
    )
    kinds = Counter(f"{s.op}: {s.kind}" for s in errors_in)
    lines.append(f"errors during the outage window: {len(errors_in)} of {len(inside)} requests")
    lines += [f"    {n:5d}  {k}" for k, n in kinds.most_common()]
    errors_since = [
        s for s in samples if s.t0 + s.seconds > restarter.began and s.outcome == "error"
    ]
    if errors_since:
        last = max(s.t0 + s.seconds for s in errors_since)
        lines.append(f"last error {last - restarter.ended:+.1f} s after the restart finished")
    ok_after = Counter(s.op for s in after if s.outcome == "ok")
    lines.append(
        f"after the window: {len(after)} requests, {len(errors_after)} errors, "
        f"{load_end - window[1]:.1f} s; "
        "ok by operation: " + ", ".join(f"{op} {ok_after[op]}" for op in OPS)
    )
    recovered = not errors_after and all(ok_after[op] for op in ("list", "review", "create"))
    lines.append(
        "the app recovered by itself" if recovered else "the app did NOT recover by itself"
    )
    return lines, recovered


# --- main ---------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    import random

    rng = random.Random(args.seed)
    base_url = os.environ.get("DATABASE_URL", "").strip() or env.DEFAULT_ADMIN_URL
    database = env.ThrowawayDatabase(base_url)
    workdir = Path(tempfile.mkdtemp(prefix="fc-load-"))
    server = proxy = None
    passed = False
    original_env = dict(os.environ)
    # The server's key, known here too: the sessions made here are signed with it.
    secret_key = secrets.token_urlsafe(50)
    os.environ["DJANGO_SECRET_KEY"] = secret_key
    # collectstatic and the SQLite-free settings write under FACTCHECK_VAR_DIR: ours, not var/.
    os.environ["FACTCHECK_VAR_DIR"] = str(workdir / "var")
    try:
        database.create()
        env.django_setup(database.url)
        print(f"database {database.name}: migrated; making fixtures", flush=True)
        fx = env.make_fixtures(
            users=args.users + 1,  # + the sequential client
            editors=args.editors,
            articles=args.articles + 1,  # the last one for the sequential creates
            seed_spans=args.seed_spans,
            rng=rng,
        )
        users, articles = fx["users"][:-1], fx["articles"][:-1]
        single_user, single_article = fx["users"][-1], fx["articles"][-1]
        from annotations.models import Annotation

        hot = Annotation.objects.filter(article_id=articles[0][0]).order_by("pk").first()
        use_sessions = args.login == "session" and env.sessions_are_shared()
        if args.login == "session" and not use_sessions:
            print("the session engine is not shared with the server: logging in with passwords")

        port = env.free_port()
        server_env = dict(original_env)
        server_env["DATABASE_URL"] = database.url
        if args.dry_run_restart:
            from _load_proxy import OutageProxy

            proxy = OutageProxy(database.pg_host_port).start()
            server_env["DATABASE_URL"] = database.url_via("127.0.0.1", proxy.port)
        server_env["DJANGO_SECRET_KEY"] = secret_key
        server_env.pop("DJANGO_DEBUG", None)
        server_env.pop("DATABASE_POOL", None)
        command = env.server_command(port, args.workers)
        server = env.Server(command=command, env=server_env, log_path=workdir / "server.log")
        print(f"server: {' '.join(command)}  (log {server.log_path})", flush=True)
        server.start(f"http://127.0.0.1:{port}")

        def reviewer(
            i,
            user,
            article,
            start_at,
            deadline,
            editor=False,
            hot_id=None,
            agent="factcheck-load-test/load",
        ):
            return Reviewer(
                index=i,
                username=user.username,
                password=fx["password"],
                session_cookie=env.session_cookie_for(user) if use_sessions else None,
                article=article,
                hot_span_id=hot_id,
                labels=fx["labels"],
                is_editor=editor,
                port=port,
                start_at=start_at,
                deadline=deadline,
                max_requests=10**9,
                timeout=args.timeout,
                think=0,
                seed=args.seed * 1000 + i,
                agent=agent,
            )

        # --- 1. single creates, one at a time --------------------------------------------
        single = reviewer(
            0, single_user, single_article, 0, float("inf"), agent="factcheck-load-test/single"
        )
        if single.session_cookie is None:
            single.login()
        single.load_review_page()
        single.samples.clear()
        for _ in range(args.sequential_creates):
            single.create()
        single._drop_connection()
        seq_samples = single.samples

        # --- 2. the load ---------------------------------------------------------------
        load_before = os.getloadavg()
        cpu_before = time.process_time()
        start_at = time.monotonic() + 1.0
        deadline = start_at + args.duration
        crowd = []
        for i, user in enumerate(users):
            r = reviewer(
                i + 1,
                user,
                articles[i % len(articles)],
                start_at + args.ramp * i / max(1, len(users)),
                deadline,
                editor=user.pk in fx["editor_ids"],
                hot_id=hot.pk if hot else None,
            )
            r.max_requests = args.max_requests
            r.think = args.think
            crowd.append(r)
        restarter = None
        if args.restart_postgres:
            restarter = Restarter(at=start_at + args.restart_at, proxy=proxy, outage=args.outage)
            if proxy is None:
                print(
                    f"WARNING: restarting the machine's PostgreSQL {args.restart_at:.0f} s "
                    "into the load",
                    flush=True,
                )
            restarter.start()
        print(
            f"load: {args.users} reviewers ({args.editors} also editors) for {args.duration:.0f} s "
            f"on {len(articles)} articles, think {args.think} s, ramp {args.ramp} s, "
            f"timeout {args.timeout} s",
            flush=True,
        )
        for r in crowd:
            r.start()
        for r in crowd:
            r.join(timeout=max(0, deadline - time.monotonic()) + args.timeout * 3 + 5)
        load_cpu = time.process_time() - cpu_before
        stuck = [r.name for r in crowd if r.is_alive()]
        load_end = time.monotonic()
        if restarter is not None:
            restarter.join(timeout=200)
        elapsed = (
            min(
                load_end,
                max((s.t0 + s.seconds for r in crowd for s in r.samples), default=load_end),
            )
            - start_at
        )
        server.stop()
        if proxy is not None:
            proxy.stop()

        # --- 3. report -----------------------------------------------------------------
        samples = [s for r in crowd for s in r.samples]
        in_app = env.server_times(server.log_path)
        app_of = lambda agent: {op: v for (a, op), v in in_app.items() if a == agent}  # noqa: E731
        print()
        print(f"== single creates, one client, one at a time ({len(seq_samples)})")
        seq_elapsed = sum(s.seconds for s in seq_samples) or 1
        print(
            op_table(
                seq_samples,
                seq_elapsed,
                {"create": f"p50 < {SINGLE_CREATE_P50_TARGET_MS} ms"},
                app_of("factcheck-load-test/single"),
            )
        )
        print()
        print(
            f"== {args.users} reviewers, {elapsed:.1f} s, {len(samples) / elapsed:.1f} requests/s"
        )
        read_target = f"p95 < {READ_P95_TARGET_MS} ms"
        print(
            op_table(
                samples,
                elapsed,
                {"list": read_target, "review": read_target, "editor": read_target},
                app_of("factcheck-load-test/load"),
            )
        )
        errors = Counter(f"{s.op}: {s.kind}" for s in samples + seq_samples if s.outcome == "error")
        print()
        print("errors by kind:" if errors else "errors by kind: none")
        for kind, n in errors.most_common():
            print(f"    {n:5d}  {kind}")
        conflicts = sum(s.outcome == "conflict" for s in samples)
        gone = sum(s.outcome == "gone" for s in samples)
        print(
            f"expected, not errors: {conflicts} × 409 (concurrent edit), "
            f"{gone} × 404 (span deleted by its owner)"
        )
        print()
        print("targets:")
        checks = [target_check(seq_samples, "create", 50, SINGLE_CREATE_P50_TARGET_MS)]
        print(f"    single create {checks[0][1]}")
        for op in ("list", "review", "editor"):
            checks.append(target_check(samples, op, 95, READ_P95_TARGET_MS))
            print(f"    {op} under load {checks[-1][1]}")
        print(
            f"    (on {os.cpu_count()} cores, shared with the load generator; load average "
            f"{load_before[0]:.2f} before the run, {os.getloadavg()[0]:.2f} after; the load "
            f"generator itself used {load_cpu / elapsed:.0%} of a core)"
        )

        failures = []
        if stuck:
            failures.append(f"reviewer threads still running at the end: {stuck}")
        for r in [single, *crowd]:
            if r.crash:
                failures.append(f"load test bug in {r.name}:\n{r.crash}")
        if restarter is not None:
            print()
            print("== PostgreSQL restart" + (" (dry run)" if proxy else ""))
            lines, recovered = outage_report(samples, restarter, args.grace, load_end)
            print("\n".join(lines))
            window_end = (restarter.ended or load_end) + args.grace
            outside = [
                s
                for s in samples
                if s.outcome == "error"
                and not (
                    restarter.began and s.t0 < window_end and s.t0 + s.seconds > restarter.began
                )
            ]
            if not recovered:
                failures.append("the app did not recover by itself after the restart")
            if outside:
                failures.append(f"{len(outside)} errors outside the outage window")
        elif errors:
            failures.append(f"{sum(errors.values())} errors")
        seq_errors = [s for s in seq_samples if s.outcome == "error"]
        if seq_errors and restarter is not None:
            failures.append(f"{len(seq_errors)} errors in the single creates")

        print()
        print("== acknowledged writes in the database")
        if args.check_verifier:
            fake = crowd[0]
            real = next(iter(fake.ledger.creates), None)
            fake.ledger.creates[10**12] = (articles[0][0], 0, 4, "Load", fx["labels"][0])
            if real is not None and real not in fake.ledger.deletes:
                fake.ledger.edits.append((real, None, "never sent", "never sent"))
            survivor = next((a.pk for a in Annotation.objects.order_by("pk")[:1]), None)
            if survivor is not None:
                fake.ledger.deletes.append(survivor)
            print("    (--check-verifier: 3 made-up acknowledged writes added)")
        problems, counts = verify([single, *crowd])
        for name, n in counts.items():
            print(f"    {name}: {n}")
        print(f"    missing or wrong: {len(problems)}")
        for problem in problems[:20]:
            print(f"      {problem}")
        if problems:
            failures.append(f"{len(problems)} acknowledged writes missing or wrong")

        tracebacks = server.tracebacks()
        if tracebacks:
            print()
            print(f"== server tracebacks (first {len(tracebacks)} distinct; log {server.log_path})")
            for tb in tracebacks:
                print(tb)
                print("--")
        missed = [c[1] for c in checks if not c[0]]
        if missed and args.strict_targets:
            failures.append(f"{len(missed)} performance targets missed")
        print()
        if failures:
            print("FAIL: " + "; ".join(failures))
        else:
            passed = True
            print(
                "PASS: "
                + (
                    "no errors outside the outage window, the app recovered, "
                    if restarter
                    else "no errors, "
                )
                + "every acknowledged write is in the database"
                + (
                    f" (performance targets missed: {len(missed)})"
                    if missed
                    else ", performance targets met"
                )
            )
        return 0 if passed else 1
    finally:
        if server is not None:
            server.stop()
        if proxy is not None:
            proxy.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        database.drop()
        if passed and not args.keep_log:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        elif server is not None:
            print(f"server log kept: {server.log_path}")


if __name__ == "__main__":
    sys.exit(main())
