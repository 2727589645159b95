"""Reviewers may edit the sources of their own spans and set an article's status; editors
too. The permissions drive the services, so the groups must hold them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADDED = {
    "Reviewers": ["change_source", "set_article_status"],
    "Editors": ["set_article_status"],
}


def _ensure_permissions(apps):
    for app_config in apps.get_app_configs():
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if stub:
            app_config.models_module = None


def grant(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ADDED.items():
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="annotations", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ADDED.items():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="annotations", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [("annotations", "0005_article_status_permission")]
    operations = [migrations.RunPython(grant, revoke)]
