"""python manage.py import_articles [PATH...] [--url URL...] [--user USERNAME]
[--collection NAME] [--atomic]

One line per file as it is imported (per member for a ZIP archive), then the totals; on
a terminal, a progress bar (files, lines, articles) while it works. Runs in this
process, no task worker needed (importers/jobs.run_import, the worker's own loop).

With --collection, every article the files hold (new or already here) joins that
collection; an unknown collection stops the command before anything is imported. With
--atomic the import is all or nothing. Refused files do not make the command fail (the
report says why); a path that does not exist does, before anything runs, as does a set
of files over the upload limit (FACTCHECK_IMPORT_MAX_UPLOAD_BYTES, the page's too).
"""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.importers import accepted_extensions, limits
from annotations.importers.jobs import Listener, Source, add_to_collection, run_import
from annotations.importers.report import LISTED_LINES
from annotations.importers.service import FileResult, collect_files, totals
from annotations.models import Collection

# Each file's created articles are listed up to this many; a big JSONL gets a count.
_LIST_TITLES = 3


class Command(BaseCommand):
    # System checks import every view (the URL check) for nothing a run of this command
    # uses: over a second of its start-up. `manage.py check` and the server run them.
    requires_system_checks = []

    help = (
        "Import articles from files or folders (recursively) or web pages: "
        f"{', '.join(accepted_extensions())}. Re-importing the same text is a no-op."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="Files or folders to import.")
        parser.add_argument(
            "--url",
            dest="urls",
            nargs="+",
            action="extend",
            default=[],
            metavar="URL",
            help="Web pages to fetch and import (http or https).",
        )
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
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="All or nothing: if any file or line is refused, nothing is imported.",
        )

    def handle(self, *args, paths, urls, user=None, collection=None, atomic=False, **options):
        if not paths and not urls:
            raise CommandError("Name at least one file or folder, or give --url.")
        bad = [url for url in urls if url.split(":", 1)[0].lower() not in ("http", "https")]
        if bad:
            raise CommandError(f"Not a web address: {bad[0]} (give http:// or https:// URLs).")
        importer = self._user(user) if user else None
        target = self._collection(collection) if collection else None
        try:
            files = collect_files(paths)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        if problem := limits.upload_size_problem(sum(_size(path) for path in files)):
            raise CommandError(f"{problem} Nothing was imported.")

        sources = [Source(name=str(path), path=path) for path in files]
        sources += [Source(name=url, url=url) for url in urls]
        listener = _Progress(self, total=len(sources), live=_is_terminal(self.stdout))
        outcome = run_import(
            sources, user=importer, atomic=atomic, listener=listener, collection=target
        )
        listener.clear()

        created, present, refused = totals(outcome.results)
        revised = sum(len(result.revised) for result in outcome.results)
        if outcome.rolled_back:
            self.stdout.write(
                self.style.ERROR(
                    f"--atomic: {refused} refused, so nothing was imported "
                    "(the lines above say what to fix)."
                )
            )
            return
        extra = f", {revised} revised" if revised else ""
        self.stdout.write(f"{created} created, {present} already present{extra}, {refused} refused")
        joined = add_to_collection(outcome, target)
        if joined is not None:
            self.stdout.write(f"{joined['added']} added to the collection {target.name}")

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

    def report(self, result: FileResult) -> None:
        if result.status == "skipped":
            self.stdout.write(f"skipped: {result.name}: {result.reason}")
        elif result.status == "refused":
            self.stdout.write(self.style.ERROR(f"refused: {result.name}: {result.reason}"))
        elif result.status == "created":
            self.stdout.write(self.style.SUCCESS(f"created: {result.name} — {_summary(result)}"))
            # A file may create some articles and revise others (a later line with an
            # earlier one's URL): what each revision did is said here too.
            self._revision_notes(result)
        elif result.status == "revised":
            self.stdout.write(f"revised: {result.name} — {_titles(result.revised)}")
            self._revision_notes(result)
        else:
            self.stdout.write(f"already present: {result.name} — {_titles(result.already_present)}")
        if result.encoding not in ("", "utf-8"):
            self.stdout.write(f"  read as {result.encoding} ({result.how})")
        for line, reason in result.refused_lines[:LISTED_LINES]:
            where = f", line {line}" if line else ""
            self.stdout.write(self.style.ERROR(f"refused: {result.name}{where}: {reason}"))
        hidden = result.refused_lines.total - min(len(result.refused_lines), LISTED_LINES)
        if hidden:
            self.stdout.write(self.style.ERROR(f"refused: {result.name}: and {hidden} more lines"))

    def _revision_notes(self, result: FileResult) -> None:
        for ref in result.revised.shown:
            if ref.note:
                self.stdout.write(f"  {ref.title}: {ref.note}")
        if len(result.revised) > len(result.revised.shown):
            hidden = len(result.revised) - len(result.revised.shown)
            self.stdout.write(f"  and {hidden} more revised articles")


class _Progress(Listener):
    """The file reports as each file ends; on a terminal, a bar redrawn in place."""

    _WIDTH = 30

    def __init__(self, command: Command, *, total: int, live: bool):
        self.command = command
        self.total = total
        self.live = live
        self.done = 0
        self.lines = self.articles = 0
        self._shown = False
        self._size = 0  # of the file being imported, when known

    def file_started(self, source: Source) -> None:
        self._size = _size(source.path) if source.path is not None else 0
        self._draw(source.name)

    def chunk_stored(self, result: FileResult) -> None:
        self._draw(result.name, result)

    def file_finished(self, results: list[FileResult]) -> None:
        self.clear()
        self.done += 1
        for result in results:
            self.lines += result.lines
            self.articles += len(result.created)
            self.command.report(result)

    def _draw(self, name: str, current: FileResult | None = None) -> None:
        if not self.live:
            return
        lines = self.lines + (current.lines if current else 0)
        articles = self.articles + (len(current.created) if current else 0)
        # Files done, plus how far the current one has been read (a streamed file says).
        reading = min(current.bytes_read / self._size, 1) if current and self._size else 0
        filled = int(self._WIDTH * (self.done + reading) / max(self.total, 1))
        bar = "#" * filled + "-" * (self._WIDTH - filled)
        text = (
            f"[{bar}] {self.done}/{self.total} files, {lines:,} lines, "
            f"{articles:,} articles  {name[-40:]}"
        )
        self.command.stdout.write(f"\r\033[K{text}", ending="")
        self.command.stdout.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.command.stdout.write("\r\033[K", ending="")
            self._shown = False


def _is_terminal(stream) -> bool:
    target = getattr(stream, "_out", stream)
    return target is sys.stdout and target.isatty()


def _size(path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _summary(result: FileResult) -> str:
    text = _titles(result.created)
    extra = []
    if result.already_present:
        extra.append(f"{len(result.already_present)} already present")
    if result.revised:
        extra.append(f"{len(result.revised)} revised")
    if result.refused_lines:
        extra.append(f"{result.refused_lines.total} refused")
    return f"{text} ({', '.join(extra)})" if extra else text


def _titles(refs) -> str:
    if len(refs) == 1:
        return f'"{refs.shown[0].title}"'
    shown = ", ".join(f'"{ref.title}"' for ref in refs.shown[:_LIST_TITLES])
    more = f" and {len(refs) - _LIST_TITLES} more" if len(refs) > _LIST_TITLES else ""
    return f"{len(refs)} articles: {shown}{more}"
