"""The test suite's settings: production settings in local-development mode.

pytest-django loads settings before any conftest runs, so the flag that allows the
built-in secret key and uncollected static files is set here (tests run from a bare
clone with no environment). Tests that need production behaviour start a subprocess
with an environment of their own.
"""

import os

os.environ.setdefault("FACTCHECK_DEV", "1")

from factcheck.settings import *  # noqa: F403

# Tasks run as they are enqueued (an import job finishes inside the request); the tests
# of the real worker path switch to django-tasks-db's backend with override_settings.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# On SQLite the test database is a file, not the default in-memory one: a live server
# (the browser tests) would otherwise share the test thread's one connection with every
# request thread, and two requests at once, or a request still running while a test's
# teardown flushes, used it together (InterfaceError, "database table is locked").
# With a file each thread has its own connection, as a real deployment has.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
