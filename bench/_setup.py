"""Shared start-up for the benchmarks: a fresh database that never touches var/."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_with_fresh_database():
    """Point Django at a new SQLite file (or DATABASE_URL if set), migrate, return."""
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL"):
        os.environ["FACTCHECK_VAR_DIR"] = tempfile.mkdtemp(prefix="factcheck-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
