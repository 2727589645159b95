"""A real gunicorn over PostgreSQL through a TCP proxy this test cuts and restores.

healthy (200) -> PostgreSQL unreachable: /healthz and an article page answer 503 within
seconds, with the message -> reachable again: 200, without restarting anything.
"""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
ADMIN_URL = os.environ.get("FACTCHECK_TEST_PG_ADMIN", "postgres://root@127.0.0.1:5432/postgres")
MESSAGE = "The database is not reachable, so nothing from this request was saved."


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until cut(); restore() listens again."""

    def __init__(self, target):
        self.target = target
        self.port = _free_port()
        self.sockets = set()
        self.lock = threading.Lock()
        self.listener = None

    def restore(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        """Refuse new connections and drop open ones, as a crashed server would."""
        # shutdown() first: close() alone leaves a socket listening while accept() waits.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for sock in list(self.sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, cookie=None, timeout=15):
    """(status, body, seconds taken) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    return status, body, time.monotonic() - started


def _wait_for(url, status, *, within, cookie=None):
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        try:
            last = _get(url, cookie, timeout=5)
            if last[0] == status:
                return last
        except OSError as error:
            last = error
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer {status} within {within} s; last: {last!r}")


@pytest.fixture
def postgres_database():
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {error}")
    name = f"fc_serve_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        yield admin.info, name
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SETUP_SCRIPT = """
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from annotations.models import Article
user = User.objects.create_user("rita", password="a long passphrase", is_superuser=True)
article = Article.objects.create(title="Talks", body="Kirby said the talks advance.")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key, article.pk)
"""


def test_gunicorn_answers_503_while_postgresql_is_down_and_recovers_by_itself(
    postgres_database, tmp_path
):
    """Cut PostgreSQL: 503 with the message in under 5 s; restore it: 200, same processes."""
    info, name = postgres_database
    proxy = CuttableProxy(("127.0.0.1", info.port))
    proxy.restore()
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FACTCHECK_DEV", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "DATABASE_URL": f"postgres://{info.user}@127.0.0.1:{proxy.port}/{name}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FACTCHECK_VAR_DIR": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "1",
        "THREADS": "2",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    session_key, article_id = manage("shell", "-v", "0", "-c", SETUP_SCRIPT).split()[-2:]
    cookie = f"sessionid={session_key}"
    base = f"http://127.0.0.1:{port}"
    article_url = f"{base}/articles/{article_id}/"

    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed in finally)
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "factcheck/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"{base}/healthz", 200, within=30)
        status, body, _ = _get(article_url, cookie)
        assert status == 200 and "Kirby said the talks advance." in body
        status, css, _ = _get(f"{base}/static/annotations/css/app.css")
        assert status == 200 and css, "WhiteNoise serves the collected static files"

        proxy.cut()
        status, body, took = _get(f"{base}/healthz")
        assert (status, body) == (503, "unavailable")
        assert took < 5, f"/healthz took {took:.1f} s to notice"
        status, body, took = _get(article_url, cookie)
        assert status == 503
        assert MESSAGE in body
        assert took < 5, f"the article page took {took:.1f} s to fail"

        proxy.restore()
        _wait_for(f"{base}/healthz", 200, within=20)
        status, body, _ = _get(article_url, cookie)
        assert status == 200 and "Kirby said the talks advance." in body
        assert server.poll() is None, "the same gunicorn served throughout"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        proxy.cut()
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
