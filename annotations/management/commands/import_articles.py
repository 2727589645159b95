"""python manage.py import_articles PATH [PATH...] [--user USERNAME] [--collection NAME]

One line per file as it is imported, then the totals. With --collection, every article
the files hold (new or already here) joins that collection; an unknown collection stops
the command before anything is imported. Refused files do not make the
command fail (the report says why); a path that does not exist does, before anything runs.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.importers import accepted_extensions
from annotations.importers.service import (
    FileResult,
    collect_files,
    import_path,
    imported_article_ids,
    totals,
)
from annotations.models import Collection
from annotations.services.collections import articles_add

# Each file's created articles are listed up to this many; a big JSONL gets a count.
_LIST_TITLES = 3


class Command(BaseCommand):
    help = (
        "Import articles from files or folders (recursively): "
        f"{', '.join(accepted_extensions())}. Re-importing the same text is a no-op."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or folders to import.")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Who the import is attributed to; also gets spans whose annotator has no account.",
        )
        parser.add_argument(
            "--collection",
            metavar="NAME",
            help="Add the imported articles (and those already here) to this collection.",
        )

    def handle(self, *args, paths, user=None, collection=None, **options):
        importer = self._user(user) if user else None
        target = self._collection(collection) if collection else None
        try:
            files = collect_files(paths)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None

        results = []
        for path in files:
            result = import_path(path, user=importer)
            results.append(result)
            self._report(result)

        created, present, refused = totals(results)
        self.stdout.write(f"{created} created, {present} already present, {refused} refused")
        if target is not None:
            ids = imported_article_ids(results)
            added = articles_add(collection=target, article_ids=ids, actor=None) if ids else 0
            self.stdout.write(f"{added} added to the collection {target.name}")

    def _collection(self, name):
        found = Collection.objects.filter(name__iexact=name.strip()).first()
        if found is None:
            known = ", ".join(Collection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No collection named “{name}”. Collections: {known}.")
        return found

    def _user(self, username):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named “{username}”.") from None

    def _report(self, result: FileResult) -> None:
        if result.status == "refused":
            self.stdout.write(self.style.ERROR(f"refused: {result.name}: {result.reason}"))
        elif result.status == "created":
            self.stdout.write(self.style.SUCCESS(f"created: {result.name} — {_summary(result)}"))
        else:
            self.stdout.write(f"already present: {result.name} — {_titles(result.already_present)}")
        for line, reason in result.refused_lines:
            self.stdout.write(self.style.ERROR(f"refused: {result.name}, line {line}: {reason}"))


def _summary(result: FileResult) -> str:
    text = _titles(result.created)
    extra = []
    if result.already_present:
        extra.append(f"{len(result.already_present)} already present")
    if result.refused_lines:
        extra.append(f"{len(result.refused_lines)} refused")
    return f"{text} ({', '.join(extra)})" if extra else text


def _titles(refs) -> str:
    if len(refs) == 1:
        return f'"{refs[0].title}"'
    shown = ", ".join(f'"{ref.title}"' for ref in refs[:_LIST_TITLES])
    more = f" and {len(refs) - _LIST_TITLES} more" if len(refs) > _LIST_TITLES else ""
    return f"{len(refs)} articles: {shown}{more}"
