"""Put back the rows that data migrations create, after a test flushed the database.

Live-server and threaded (transaction=True) tests run on a flushed database, which loses
the labels, groups and rating scale made by migrations; the migrations' own functions are
run again here, so the tests see what a migrated database has.
"""

from importlib import import_module

from django.apps import apps as django_apps


def restore_migration_rows() -> None:
    def migration(name):
        return import_module(f"annotations.migrations.{name}")

    migration("0002_default_labels").add_labels(django_apps, None)
    migration("0003_roles").add_groups(django_apps, None)
    migration("0006_reviewer_permissions").grant(django_apps, None)
    migration("0008_factcheck_data").add_default_scale(django_apps, None)
    migration("0009_factcheck_permissions").grant(django_apps, None)
    migration("0012_desk_permissions").grant(django_apps, None)
    migration("0018_job_view_permissions").grant(django_apps, None)
    # 0003 and 0006 named the per-span rows' permissions *_source; run now, those names
    # are the shared records', which reviewers do not edit (0009 renamed theirs).
    Group = django_apps.get_model("auth", "Group")
    Permission = django_apps.get_model("auth", "Permission")
    Group.objects.get(name="Reviewers").permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="annotations",
            codename__in=["change_source", "delete_source"],
        )
    )
