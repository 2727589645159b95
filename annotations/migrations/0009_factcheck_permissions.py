"""Who may touch the new data: the renamed per-span rows keep their grants (their
permissions are renamed *_source → *_evidence), and the groups get the new models'.

Reviewers cite sources (creating a shared record when the URL is new), link their spans,
create speakers by typing a name, and give verdicts; editors also edit shared sources,
merge speakers and manage rating scales.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Reviewers": [
        "view_evidence",
        "add_evidence",
        "change_evidence",
        "delete_evidence",
        "view_source",
        "add_source",
        "view_relation",
        "add_relation",
        "delete_relation",
        "view_speaker",
        "add_speaker",
        "view_ratingscale",
        "view_rating",
    ],
    "Editors": [
        "view_evidence",
        "add_evidence",
        "change_evidence",
        "delete_evidence",
        "view_source",
        "add_source",
        "change_source",
        "delete_source",
        "view_relation",
        "add_relation",
        "change_relation",
        "delete_relation",
        "view_speaker",
        "add_speaker",
        "change_speaker",
        "delete_speaker",
        "view_ratingscale",
        "add_ratingscale",
        "change_ratingscale",
        "delete_ratingscale",
        "view_rating",
        "add_rating",
        "change_rating",
        "delete_rating",
    ],
}
RENAMED = {f"{a}_source": f"{a}_evidence" for a in ("add", "change", "delete", "view")}


def rename_link_permissions(apps, schema_editor):
    """The content type followed the model's rename; its permissions' codenames did not."""
    Permission = apps.get_model("auth", "Permission")
    for old, new in RENAMED.items():
        stale = Permission.objects.filter(
            content_type__app_label="annotations", content_type__model="evidence", codename=old
        )
        if Permission.objects.filter(
            content_type__app_label="annotations", content_type__model="evidence", codename=new
        ).exists():
            continue
        stale.update(codename=new, name=f"Can {new.split('_')[0]} evidence link")


def grant(apps, schema_editor):
    """Also run by the browser tests after they flush the database."""
    for app_config in apps.get_app_configs():
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if stub:
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="annotations", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0008_factcheck_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [
        migrations.RunPython(rename_link_permissions, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
