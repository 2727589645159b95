from django.db import migrations

DEFAULT_LABELS = [
    {
        "name": "Claim",
        "slug": "claim",
        "colour": "#1f6fb2",
        "shortcut": "1",
        "order": 1,
        "description": "An assertion of fact that can be checked.",
    },
    {
        "name": "Denial",
        "slug": "denial",
        "colour": "#c2410c",
        "shortcut": "2",
        "order": 2,
        "description": "A statement rejecting a claim or accusation.",
    },
    {
        "name": "Unverified allegation",
        "slug": "unverified-allegation",
        "colour": "#7c3aed",
        "shortcut": "3",
        "order": 3,
        "description": "An accusation reported without evidence the article shows.",
    },
]


def add_labels(apps, schema_editor):
    Label = apps.get_model("annotations", "Label")
    for data in DEFAULT_LABELS:
        Label.objects.get_or_create(slug=data["slug"], defaults=data)


def remove_labels(apps, schema_editor):
    Label = apps.get_model("annotations", "Label")
    Label.objects.filter(slug__in=[d["slug"] for d in DEFAULT_LABELS], annotations=None).delete()


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial")]
    operations = [migrations.RunPython(add_labels, remove_labels)]
