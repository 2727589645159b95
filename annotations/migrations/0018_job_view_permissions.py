"""Editors see the import jobs and recorded exports in the admin (annotations/admin/
jobs.py, read-only; deleting them stays with superusers)."""

from importlib import import_module

from django.db import migrations

GRANTS = {"Editors": ["view_importjob", "view_exportrecord"]}


def grant(apps, schema_editor):
    """Also run by the tests that flush the database (tests/migration_rows.py)."""
    earlier = import_module("annotations.migrations.0009_factcheck_permissions")
    saved = earlier.GRANTS
    earlier.GRANTS = GRANTS
    try:
        earlier.grant(apps, schema_editor)
    finally:
        earlier.GRANTS = saved


class Migration(migrations.Migration):
    dependencies = [("annotations", "0017_importjob_heartbeat")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
