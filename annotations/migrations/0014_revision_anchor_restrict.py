"""An unplaced span's revision goes with its article: PROTECT made an article with a span
that needs attention impossible to delete (its revision was protected by the span being
deleted with it). RESTRICT allows that cascade and still refuses deleting the revision
alone. Django emulates on_delete: no SQL changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0013_imports_and_revisions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="annotation",
            name="anchored_in",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="annotations.articlerevision",
            ),
        ),
    ]
