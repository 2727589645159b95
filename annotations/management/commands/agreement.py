"""manage.py agreement: the Agreement page's figures, from a shell.

    python manage.py agreement --collection "Election desk" --format json
    python manage.py agreement --article 12,15 --format csv

Without --collection or --article: every article (those with fewer than two reviewers
are listed under "skipped"). With both: those articles, counting the reviewers the
collection assigned them (and every author of their reviewer spans).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from annotations.agreement import compute
from annotations.agreement.loading import load_selection
from annotations.agreement.serialise import as_csv, as_json
from annotations.models import Article, Collection


def parse_article_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part.isdigit() or len(part) > 12:
                raise CommandError(f"--article: “{part[:40]}” is not an article id (a number).")
            ids.append(int(part))
    return ids


class Command(BaseCommand):
    help = "Inter-annotator agreement (span F1, token kappa and alpha) as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--collection", help="A collection's name or slug.")
        parser.add_argument(
            "--article",
            action="append",
            default=[],
            help="An article id (or a comma list); repeatable.",
        )
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, **options):
        articles = Article.objects.all()
        collection = None
        if options["collection"]:
            name = options["collection"]
            collection = Collection.objects.filter(Q(name__iexact=name) | Q(slug=name)).first()
            if collection is None:
                raise CommandError(f"--collection: there is no collection “{name}”.")
            articles = collection.articles.all()
        if options["article"]:
            ids = parse_article_ids(options["article"])
            found = set(articles.filter(pk__in=ids).values_list("pk", flat=True))
            missing = [str(pk) for pk in ids if pk not in found]
            if missing:
                where = f" in “{collection.name}”" if collection else ""
                raise CommandError(f"--article: no article {', '.join(missing)}{where}.")
            articles = articles.filter(pk__in=ids)
        selection = load_selection(articles, collection=collection)
        report = compute(selection.articles, selection.label_order)
        if options["format"] == "csv":
            self.stdout.write(as_csv(report), ending="")
        else:
            self.stdout.write(json.dumps(as_json(report), indent=2, ensure_ascii=False))
