"""Shared start-up for the benchmarks: a fresh database that is thrown away afterwards.

Without DATABASE_URL: a new SQLite file in a temporary folder (var/ is never touched).
With DATABASE_URL=postgres://...: a new database on that server, named
factcheck_bench_<pid>, dropped at exit; the database the URL names is never written.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def _throwaway_postgres(url: str) -> str:
    import psycopg

    parts = urlsplit(url)
    name = f"factcheck_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return urlunsplit(parts._replace(path=f"/{name}"))


def django_with_fresh_database():
    """Point Django at a new, empty database, migrate it, and return."""
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = _throwaway_postgres(url)
    else:
        os.environ.pop("DATABASE_URL", None)
        folder = tempfile.mkdtemp(prefix="factcheck-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["FACTCHECK_VAR_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("FACTCHECK_DEV", "1")  # a local run: the development secret key
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
