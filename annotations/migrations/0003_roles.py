from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [
    "view_article",
    "view_label",
    "view_annotation",
    "add_annotation",
    "change_annotation",
    "delete_annotation",
    "view_source",
    "add_source",
    "delete_source",
]
EDITOR_PERMISSIONS = REVIEWER_PERMISSIONS + [
    "add_article",
    "change_article",
    "add_label",
    "change_label",
    "change_source",
    "view_historyevent",
    "change_any_annotation",
    "import_articles",
    "export_dataset",
]


def add_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now. In a
    # migration's app registry the configs have no models module, which
    # create_permissions needs set (it only checks that the app has models).
    for app_config in apps.get_app_configs():
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if stub:
            app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in (
        ("Reviewers", REVIEWER_PERMISSIONS),
        ("Editors", EDITOR_PERMISSIONS),
    ):
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="annotations", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reviewers", "Editors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0002_default_labels"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(add_groups, remove_groups)]
