"""Verdicts, relations, speakers as entities and evidence stored once.

- The per-span `Source` rows become `Evidence` links (the table is renamed, ids kept, so
  the history's "source" events still name them), each pointing at a new `Source` row
  stored once per URL. Two rows of one span citing the same URL become one link, their
  quoted passages kept (joined) and a differing stance written into the passage, so
  nothing is lost.
- Free-text speakers become `Speaker` rows, one per name (case-insensitive).
- A default rating scale (true … false, unproven) and `Label.takes_verdict` on claims.

Both directions run: migrating back copies URLs and speaker names onto the old columns.
"""

from urllib.parse import urlsplit, urlunsplit

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import annotations.models.source

DEFAULT_SCALE = "Default"
DEFAULT_RATINGS = [
    ("True", "true", 5, "Accurate, nothing significant missing."),
    ("Mostly true", "mostly-true", 4, "Accurate but needs clarification or context."),
    ("Mixed", "mixed", 3, "Partly accurate, partly not."),
    ("Mostly false", "mostly-false", 2, "An element of truth, but misleading overall."),
    ("False", "false", 1, "Not accurate."),
    ("Unproven", "unproven", 0, "The evidence available neither proves nor disproves it."),
]


def add_default_scale(apps, schema_editor):
    """Also run by the browser tests after they flush the database."""
    RatingScale = apps.get_model("annotations", "RatingScale")
    Rating = apps.get_model("annotations", "Rating")
    Label = apps.get_model("annotations", "Label")
    Label.objects.filter(slug="claim").update(takes_verdict=True)
    if RatingScale.objects.exists():
        return
    scale = RatingScale.objects.create(
        name=DEFAULT_SCALE,
        is_default=True,
        description="Six verdicts, from true (5) to false (1); unproven is off the scale (0).",
    )
    Rating.objects.bulk_create(
        Rating(scale=scale, name=name, slug=slug, value=value, description=description)
        for name, slug, value, description in DEFAULT_RATINGS
    )


def _lower_host(url: str) -> str:
    # The part of annotations.weburl.canonical_url that cannot change what a URL means;
    # copied, not imported, so this migration keeps working when that module changes.
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), *parts[2:]))


def forwards(apps, schema_editor):
    Annotation = apps.get_model("annotations", "Annotation")
    Evidence = apps.get_model("annotations", "Evidence")
    Source = apps.get_model("annotations", "Source")
    Speaker = apps.get_model("annotations", "Speaker")

    speakers = {}
    for pk, name in Annotation.objects.exclude(old_speaker="").values_list("pk", "old_speaker"):
        # Compared as services.speakers.clean_name compares them: spaces collapsed, any case.
        name = " ".join(name.split())
        if not name:
            continue
        key = name.casefold()
        if key not in speakers:
            speakers[key] = Speaker.objects.create(name=name[:300])
        Annotation.objects.filter(pk=pk).update(speaker=speakers[key])

    stored = {}
    kept = {}  # (annotation id, source id) -> the link that stays
    for link in Evidence.objects.order_by("id").iterator():
        url = _lower_host(link.url)
        source = stored.get(url)
        if source is None:
            source = stored[url] = Source.objects.create(
                url=url,
                title=link.title,
                publisher=link.publisher,
                accessed_on=link.accessed_on,
                created_by_id=link.created_by_id,
            )
            Source.objects.filter(pk=source.pk).update(created_at=link.created_at)
        else:
            for field in ("title", "publisher", "accessed_on"):
                if not getattr(source, field) and getattr(link, field):
                    setattr(source, field, getattr(link, field))
                    Source.objects.filter(pk=source.pk).update(**{field: getattr(link, field)})
        twin = kept.get((link.annotation_id, source.pk))
        if twin is None:
            link.source = source
            link.save(update_fields=["source"])
            kept[(link.annotation_id, source.pk)] = link
            continue
        extra = link.quoted_passage
        if link.stance != twin.stance:
            extra = f"[{link.stance}] {extra}".strip()
        if extra and extra not in twin.quoted_passage:
            twin.quoted_passage = "\n\n".join(p for p in (twin.quoted_passage, extra) if p)
            twin.save(update_fields=["quoted_passage"])
        link.delete()
    _check_constraints_now(schema_editor)


def _check_constraints_now(schema_editor):
    """PostgreSQL defers foreign-key checks to the commit; the ALTER TABLEs that follow in
    this transaction refuse a table with such checks pending, so run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def backwards(apps, schema_editor):
    Annotation = apps.get_model("annotations", "Annotation")
    Evidence = apps.get_model("annotations", "Evidence")
    for link in Evidence.objects.select_related("source").iterator():
        link.url = link.source.url
        link.title = link.source.title
        link.publisher = link.source.publisher
        link.accessed_on = link.source.accessed_on
        link.save(update_fields=["url", "title", "publisher", "accessed_on"])
    for annotation in Annotation.objects.exclude(speaker=None).select_related("speaker"):
        annotation.old_speaker = annotation.speaker.name
        annotation.save(update_fields=["old_speaker"])
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0007_article_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The per-span rows become links; their table keeps its rows and ids.
        migrations.RenameModel("Source", "Evidence"),
        migrations.AlterModelOptions(
            name="evidence",
            options={
                "ordering": ["annotation", "id"],
                "verbose_name": "evidence link",
                "verbose_name_plural": "evidence links",
            },
        ),
        # The renamed table's index and foreign key on created_by keep their old names,
        # which the new Source table would generate again: drop them and create them
        # under the new table's name.
        migrations.AlterField(
            model_name="evidence",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_index=False,
                db_constraint=False,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="evidence_added",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="evidence_added",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="Source",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        max_length=2000,
                        unique=True,
                        validators=[annotations.models.source.http_url],
                    ),
                ),
                ("title", models.CharField(blank=True, max_length=500)),
                ("publisher", models.CharField(blank=True, max_length=300)),
                ("accessed_on", models.DateField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("version", models.PositiveIntegerField(db_default=1, default=1)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="sources_added",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["url"]},
        ),
        migrations.AddField(
            model_name="evidence",
            name="source",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence",
                to="annotations.source",
            ),
        ),
        migrations.CreateModel(
            name="Speaker",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=300)),
                (
                    "kind",
                    models.CharField(
                        choices=[("person", "Person"), ("organization", "Organisation")],
                        default="person",
                        max_length=20,
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        help_text="e.g. White House national security spokesman",
                        max_length=300,
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        blank=True, max_length=2000, validators=[annotations.models.source.http_url]
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="speakers_added",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="speaker_name_unique",
                        violation_error_message="A speaker with this name already exists.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="speaker_name_not_empty",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="RatingScale",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True)),
                ("description", models.TextField(blank=True)),
                (
                    "is_default",
                    models.BooleanField(
                        default=False, help_text="The scale the review page offers."
                    ),
                ),
            ],
            options={
                "ordering": ["-is_default", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_default", True)),
                        fields=("is_default",),
                        name="rating_scale_one_default",
                        violation_error_message="Another rating scale is already the default.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Rating",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("slug", models.SlugField(max_length=100)),
                (
                    "value",
                    models.PositiveSmallIntegerField(
                        help_text="Ordinal value: higher is truer; 0 for a verdict off the scale (unproven)."
                    ),
                ),
                ("description", models.TextField(blank=True)),
                (
                    "scale",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ratings",
                        to="annotations.ratingscale",
                    ),
                ),
            ],
            options={
                "ordering": ["scale", "-value", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scale", "value"),
                        name="rating_value_once_per_scale",
                        violation_error_message="Two verdicts of this scale have the same ordinal value.",
                    ),
                    models.UniqueConstraint(
                        fields=("scale", "slug"),
                        name="rating_slug_once_per_scale",
                        violation_error_message="Two verdicts of this scale have the same slug.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Relation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("denies", "Denies"),
                            ("responds_to", "Responds to"),
                            ("evidence_for", "Evidence for"),
                        ],
                        default="responds_to",
                        max_length=20,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="relations_added",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "from_span",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations_out",
                        to="annotations.annotation",
                    ),
                ),
                (
                    "to_span",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations_in",
                        to="annotations.annotation",
                    ),
                ),
            ],
            options={
                "ordering": ["from_span", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("from_span", models.F("to_span")), _negated=True),
                        name="relation_not_to_itself",
                        violation_error_message="A span cannot answer itself.",
                    ),
                    models.UniqueConstraint(
                        fields=("from_span", "to_span"),
                        name="relation_once_per_pair",
                        violation_error_message="These two spans are already linked.",
                    ),
                ],
            },
        ),
        migrations.RenameField("annotation", "speaker", "old_speaker"),
        migrations.AddField(
            model_name="annotation",
            name="speaker",
            field=models.ForeignKey(
                blank=True,
                help_text="Who made the claim or denial.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="annotations",
                to="annotations.speaker",
            ),
        ),
        migrations.AddField(
            model_name="annotation",
            name="verdict",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="annotations",
                to="annotations.rating",
            ),
        ),
        migrations.AddField(
            model_name="annotation",
            name="verdict_explanation",
            field=models.TextField(
                blank=True, help_text="Public: why this verdict (published as the review's body)."
            ),
        ),
        migrations.AddField(
            model_name="annotation",
            name="verdict_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="verdicts_given",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="annotation",
            name="verdict_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="label",
            name="takes_verdict",
            field=models.BooleanField(
                default=False, help_text="Spans with this label can be given a verdict (claims)."
            ),
        ),
        migrations.AlterField(
            model_name="historyevent",
            name="annotation_id_ref",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AlterField(
            model_name="historyevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("delete", "Deleted"),
                    ("restore", "Restored"),
                    ("merge", "Merged"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="historyevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("annotation", "Annotation"),
                    ("source", "Source"),
                    ("relation", "Relation"),
                    ("speaker", "Speaker"),
                    ("source_record", "Source record"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(add_default_scale, migrations.RunPython.noop),
        # Blank-able before it goes, so migrating back can add the column to full rows.
        migrations.AlterField(
            model_name="evidence",
            name="url",
            field=models.URLField(
                blank=True,
                default="",
                max_length=2000,
                validators=[annotations.models.source.http_url],
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField("evidence", "url"),
        migrations.RemoveField("evidence", "title"),
        migrations.RemoveField("evidence", "publisher"),
        migrations.RemoveField("evidence", "accessed_on"),
        migrations.RemoveField("annotation", "old_speaker"),
        migrations.AlterField(
            model_name="evidence",
            name="source",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence",
                to="annotations.source",
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.UniqueConstraint(
                fields=("annotation", "source"),
                name="evidence_source_once_per_span",
                violation_error_message="This span already cites this URL.",
            ),
        ),
    ]
