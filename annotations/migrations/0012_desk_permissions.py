"""Who works the desk: editors create collections, add members, assign and adjudicate;
reviewers see the collections they belong to and move their own queue rows along (the
services check that a row is theirs)."""

from importlib import import_module

from django.db import migrations

GRANTS = {
    "Reviewers": ["view_collection", "view_assignment", "change_assignment"],
    "Editors": [
        "view_collection",
        "add_collection",
        "change_collection",
        "delete_collection",
        "view_membership",
        "add_membership",
        "change_membership",
        "delete_membership",
        "view_assignment",
        "add_assignment",
        "change_assignment",
        "delete_assignment",
        "view_adjudication",
        "add_adjudication",
        "change_adjudication",
        "adjudicate_article",
        "view_historyevent",
    ],
}


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
    dependencies = [("annotations", "0011_desk")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
