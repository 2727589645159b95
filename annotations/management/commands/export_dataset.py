"""manage.py export_dataset: the export page's formats and filters, from a shell.

    python manage.py export_dataset --format jsonl --output dataset.jsonl
    python manage.py export_dataset --format csv --label claim --since 2026-11-01 -o -
    python manage.py export_dataset --layer gold --collection election-desk -o gold.jsonl

The filters are validated by the export page's form, so they fail with the same messages.
A file is written next to its final name and renamed when complete, so an interrupted
export never leaves a truncated dataset behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from annotations.exporters import all_formats, get_format
from annotations.exporters.query import ExportStats, export_articles
from annotations.forms_export import ExportForm

# Form field -> the option a person typed, so errors name what they can fix.
OPTION_NAMES = {
    "format": "--format",
    "labels": "--label",
    "status": "--status",
    "reviewer": "--reviewer",
    "annotated_from": "--since",
    "annotated_to": "--until",
    "published_from": "--published-since",
    "published_to": "--published-until",
    "articles": "--article",
    "csv_raw": "--csv-raw",
    "layer": "--layer",
    "collection": "--collection",
}


class Command(BaseCommand):
    help = "Export annotated articles in one of the export formats (streamed, constant memory)."

    def add_arguments(self, parser):
        names = ", ".join(f.name for f in all_formats())
        parser.add_argument("--format", default="jsonl", help=f"One of: {names}. Default: jsonl.")
        parser.add_argument(
            "--output", "-o", default="-", help="File to write, or - for standard output (default)."
        )
        parser.add_argument(
            "--label", action="append", default=[], help="A label slug; repeat for several."
        )
        parser.add_argument(
            "--status", action="append", default=[], help="new, in_review or reviewed; repeatable."
        )
        parser.add_argument("--reviewer", help="Only spans by this user name.")
        parser.add_argument("--since", help="Only spans created on or after this day (YYYY-MM-DD).")
        parser.add_argument(
            "--until", help="Only spans created on or before this day (YYYY-MM-DD)."
        )
        parser.add_argument("--published-since", help="Articles published on or after this day.")
        parser.add_argument("--published-until", help="Articles published on or before this day.")
        parser.add_argument(
            "--article",
            action="append",
            default=[],
            help="An article id (or a comma list); repeatable.",
        )
        parser.add_argument(
            "--layer",
            default="all",
            help="all (every reviewer's spans, each naming its reviewer; the default), gold "
            "(the adjudicated spans of finished adjudications) or reviewer:NAME.",
        )
        parser.add_argument("--collection", help="Only the articles of this collection (slug).")
        parser.add_argument(
            "--csv-raw",
            action="store_true",
            help="CSV: write cells exactly as stored, for programs. By default a text cell "
            "starting with = + - @, a tab or CR gets a leading ' so spreadsheets do not run it.",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="The site's address (https://...), so JSON-LD ids link to it; else urn: ids.",
        )

    def handle(self, *args, **options):
        form = ExportForm(self._form_data(options))
        if not form.is_valid():
            raise CommandError(self._errors(form))
        export_format = get_format(form.cleaned_data["format"])
        stats = ExportStats()
        articles = export_articles(
            form.filters(), stats=stats, relations=export_format.uses_relations
        )
        chunks = export_format.stream(articles, form.options(base_url=options["base_url"]))
        started = time.perf_counter()

        output = options["output"]
        if output == "-":
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
            if options["verbosity"] < 2:
                return
        else:
            with _open_for_writing(Path(output)) as handle:
                for chunk in chunks:
                    handle.write(chunk)

        elapsed = time.perf_counter() - started
        rate = f", {stats.spans / elapsed:,.0f} spans/s" if elapsed > 0 and stats.spans else ""
        summary = (
            f"Wrote {stats.articles:,} article{'s' if stats.articles != 1 else ''} and "
            f"{stats.spans:,} span{'s' if stats.spans != 1 else ''} as {export_format.name} "
            f"to {output} in {elapsed:.2f} s{rate}."
        )
        if stats.skipped_spans:
            summary += (
                f" Left out {stats.skipped_spans:,} span(s) whose text no longer matches the "
                "article at their offsets."
            )
        self.stderr.write(summary)

    def _form_data(self, options) -> QueryDict:
        data = QueryDict(mutable=True)
        data["format"] = options["format"]
        data.setlist("labels", options["label"])
        data.setlist("status", options["status"])
        for field, option in (
            ("reviewer", "reviewer"),
            ("annotated_from", "since"),
            ("annotated_to", "until"),
            ("published_from", "published_since"),
            ("published_to", "published_until"),
            ("layer", "layer"),
            ("collection", "collection"),
        ):
            if options[option]:
                data[field] = options[option]
        data["articles"] = ",".join(options["article"])
        if options["csv_raw"]:
            data["csv_raw"] = "on"
        return data

    def _errors(self, form: ExportForm) -> str:
        lines = [
            f"{OPTION_NAMES.get(field, field)}: {error}" if field != "__all__" else error
            for field, errors in form.errors.items()
            for error in errors
        ]
        return "\n".join(lines)


@contextmanager
def _open_for_writing(path: Path):
    """A regular file is written to a temporary name and renamed when complete; a device
    or pipe (/dev/null, a FIFO) is written directly."""
    try:
        special = not stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        special = False
    except OSError as error:
        raise CommandError(f"Cannot write to {path}: {error.strerror}.") from None
    if special:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            yield handle
        return
    if not path.parent.is_dir():
        raise CommandError(f"Cannot write to {path}: the folder {path.parent} does not exist.")
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
