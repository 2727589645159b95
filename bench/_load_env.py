"""Environment for bench/load_test.py: throwaway database, fixtures, sessions, the server.

Everything here runs in the load test's own process (Django ORM for setup and for the
verification afterwards); the server under test is a separate process started with
`make serve` (or the same gunicorn command) and stopped at the end.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADMIN_URL = "postgres://root@127.0.0.1:5432/postgres"


# --- the throwaway database -------------------------------------------------------------


class ThrowawayDatabase:
    """CREATE DATABASE fc_load_<pid> on the server DATABASE_URL names; DROP it at the end."""

    def __init__(self, base_url: str):
        if not base_url.startswith(("postgres://", "postgresql://")):
            raise SystemExit(
                "load_test needs PostgreSQL: set DATABASE_URL=postgres://user@127.0.0.1:5432/x "
                "(that database is never written; a throwaway one is created beside it)"
            )
        parts = urlsplit(base_url)
        if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit(f"refusing a non-local database host: {parts.hostname}")
        self.parts = parts
        self.name = f"fc_load_{os.getpid()}"
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.created = False

    def url_via(self, host: str, port: int) -> str:
        """The same database reached through another host:port (the outage proxy)."""
        user = self.parts.username or ""
        auth = f"{user}:{self.parts.password}@" if self.parts.password else f"{user}@"
        netloc = f"{auth if user else ''}{host}:{port}"
        return urlunsplit(self.parts._replace(netloc=netloc, path=f"/{self.name}"))

    @property
    def pg_host_port(self) -> tuple[str, int]:
        return self.parts.hostname or "127.0.0.1", self.parts.port or 5432

    def create(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def drop(self):
        if not self.created:
            return
        import psycopg

        # PostgreSQL may still be coming back after a restart: retry for a while.
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                self.created = False
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    print(f"could not drop {self.name}: {error}", file=sys.stderr)
                    return
                time.sleep(1)


def django_setup(database_url: str):
    """Point this process's Django at the throwaway database and migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    # This process does setup and verification only: plain connections, no pool.
    os.environ["DATABASE_POOL"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- fixtures ---------------------------------------------------------------------------


def _article_bodies(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Realistic, varied article texts: the seed's paragraphs shuffled, plus non-ASCII."""
    from annotations.offsets import canonical_text

    seed_files = sorted((ROOT / "seeds").glob("*.txt"))
    paragraphs = []
    for path in seed_files:
        text = path.read_text(encoding="utf-8")
        paragraphs += [p.strip() for p in text.split("\n") if len(p.strip()) > 60]
    if not paragraphs:
        paragraphs = ["The minister said the bridge is safe and the council agreed on Monday."]
    extras = [
        "The spokesman said “we deny every allegation” — and 東京 officials agreed 😀.",
        "Critics alleged that the report was withheld; the ministry denied it on Tuesday.",
        "According to the agency, 1,200 people were evacuated, a figure others disputed.",
    ]
    bodies = []
    for i in range(count):
        chosen = paragraphs[:]
        rng.shuffle(chosen)
        chosen = chosen[: max(6, len(chosen))] + rng.sample(extras, 2)
        rng.shuffle(chosen)
        body = f"Load test article {i + 1}\n\n" + "\n\n".join(chosen * 2)
        bodies.append(
            (f"Load test article {i + 1}", canonical_text(unicodedata.normalize("NFC", body)))
        )
    return bodies


def random_span(body: str, rng: random.Random) -> tuple[int, int, str]:
    """A span of 2-12 whole words: [start, end) code points and body[start:end]."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(body)]
    n = rng.randint(2, 12)
    first = rng.randrange(0, max(1, len(words) - n))
    start, end = words[first][0], words[min(first + n, len(words)) - 1][1]
    return start, end, body[start:end]


_WORD = re.compile(r"\S+")


def make_fixtures(*, users: int, editors: int, articles: int, seed_spans: int, rng) -> dict:
    """Articles with some spans already on them, and N reviewers (the first `editors` are
    also Editors, so they may edit anyone's span: that is what makes 409 conflicts)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from annotations.models import Annotation, Article, Label

    reviewers = Group.objects.get(name="Reviewers")
    editors_group = Group.objects.get(name="Editors")
    password = "load-test-password-not-secret"
    hashed = make_password(password)  # one hash for all: hashing is slow on purpose
    created_users = []
    for i in range(users):
        user = User.objects.create(username=f"load-reviewer-{i + 1:02d}", password=hashed)
        user.groups.add(reviewers)
        if i < editors:
            user.groups.add(editors_group)
        created_users.append(user)
    labels = list(Label.objects.filter(active=True).order_by("pk"))
    created_articles = [
        Article.objects.create(title=title, body=body, author="Load Test")
        for title, body in _article_bodies(articles, rng)
    ]
    spans = []
    for article in created_articles:
        for j in range(seed_spans):
            start, end, quote = random_span(article.body, rng)
            spans.append(
                Annotation(
                    article=article,
                    label=labels[j % len(labels)],
                    start=start,
                    end=end,
                    quote=quote,
                    author=created_users[j % len(created_users)],
                )
            )
    Annotation.objects.bulk_create(spans)
    return {
        "users": created_users,
        "password": password,
        "articles": [(a.pk, a.body) for a in created_articles],
        "labels": [label.slug for label in labels],
        "editor_ids": {u.pk for u in created_users[:editors]},
    }


def session_cookie_for(user) -> tuple[str, str]:
    """A logged-in session made server-side (no password hashing, no login throttle):
    what django.contrib.auth.login() stores, written by the configured session engine."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    # The backend that get_user()s the session: ModelBackend, not the login throttle.
    backends = settings.AUTHENTICATION_BACKENDS
    model_backend = "django.contrib.auth.backends.ModelBackend"
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = model_backend if model_backend in backends else backends[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def sessions_are_shared() -> bool:
    """Whether a session written here is visible to the server's processes."""
    from django.conf import settings

    engine = settings.SESSION_ENGINE
    if engine in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.signed_cookies",
    }:
        return True
    if engine.endswith(("cache", "cached_db")):
        from django.core.cache import caches

        backend = type(caches[settings.SESSION_CACHE_ALIAS]).__module__
        return engine.endswith("cached_db") or ("locmem" not in backend and "dummy" not in backend)
    return False


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _makefile_has_serve() -> bool:
    makefile = ROOT / "Makefile"
    return makefile.exists() and re.search(r"^serve\s*:", makefile.read_text(), re.M) is not None


def server_command(port: int, workers: int | None) -> list[str]:
    if _makefile_has_serve() and shutil.which("make"):
        cmd = ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"]
        if workers:
            cmd.append(f"WORKERS={workers}")
        return cmd
    # Until `make serve` exists: the same production server, started the same way.
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists():
        raise SystemExit("no `make serve` target and no .venv/bin/gunicorn: nothing to serve with")
    if (ROOT / "factcheck" / "gunicorn.conf.py").exists():
        python = ROOT / ".venv" / "bin" / "python"
        env_workers = f"WORKERS={workers} " if workers else ""
        return [
            "sh",
            "-c",
            f"{python} manage.py migrate --noinput && "
            f"{python} manage.py collectstatic --noinput -v 0 && "
            f"HOST=127.0.0.1 PORT={port} {env_workers}"
            f"exec {gunicorn} -c factcheck/gunicorn.conf.py",
        ]
    return [
        str(gunicorn),
        "factcheck.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers or 2 * (os.cpu_count() or 1) + 1),
    ]


class Server:
    def __init__(self, *, command, env, log_path: Path):
        self.command = command
        self.env = env
        self.log_path = log_path
        self.process = None

    def start(self, base_url: str, timeout: float = 120):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - open while the server runs
        # Its own process group, so make and the gunicorn under it are stopped together.
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"the server exited with {self.process.returncode} while starting; "
                    f"log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(base_url + "/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise SystemExit(f"the server did not answer within {timeout:.0f} s; log: {self.log_path}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def tracebacks(self, limit: int = 3) -> list[str]:
        """The first distinct tracebacks in the server log (chained ones kept together)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        found, seen, i = [], set(), 0
        while i < len(lines) and len(found) < limit:
            if not lines[i].startswith("Traceback (most recent call last)"):
                i += 1
                continue
            # Django's "Internal Server Error: /path" line just above, when there is one.
            header = lines[i - 1] if i and "Error" in lines[i - 1] else ""
            block = []
            while i < len(lines):
                line = lines[i]
                block.append(line)
                i += 1
                if line.startswith((" ", "Traceback", "The above", "During handling")) or not line:
                    continue
                # The exception line: go on only if another chained traceback follows.
                rest = [x for x in lines[i : i + 3] if x.strip()]
                if rest and rest[0].startswith(("The above", "During handling")):
                    continue
                break
            text = (header + "\n" if header else "") + "\n".join(block)
            if block[-1] not in seen:
                seen.add(block[-1])
                found.append(text.strip())
        return found


_ACCESS = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+)ms "([^"]*)"')
_ROUTES = [
    ("GET", re.compile(r"/"), "list"),
    ("GET", re.compile(r"/articles/\d+/"), "review"),
    ("GET", re.compile(r"/annotations/\d+/"), "editor"),
    ("POST", re.compile(r"/articles/\d+/annotations/"), "create"),
    ("POST", re.compile(r"/annotations/\d+/"), "edit"),
    ("POST", re.compile(r"/annotations/\d+/delete/"), "delete"),
]


def server_times(log_path: Path) -> dict[tuple[str, str], list[float]]:
    """Time spent inside the server per (user agent, operation), in seconds, from the
    gunicorn access log of factcheck/gunicorn.conf.py (%(M)sms); empty if not there."""
    times: dict[tuple[str, str], list[float]] = {}
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return times
    for method, path, _status, millis, agent in _ACCESS.findall(text):
        path = path.split("?", 1)[0]
        for route_method, pattern, op in _ROUTES:
            if method == route_method and pattern.fullmatch(path):
                times.setdefault((agent, op), []).append(int(millis) / 1000)
                break
    return times
