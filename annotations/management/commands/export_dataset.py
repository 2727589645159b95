"""manage.py export_dataset: the export page's formats and filters, from a shell.

    python manage.py export_dataset --format jsonl --output dataset.jsonl
    python manage.py export_dataset --format csv --label claim --since 2026-11-01 -o -
    python manage.py export_dataset --layer gold --collection election-desk -o gold.jsonl
    python manage.py export_dataset --format csv --excel --gzip -o exports/
    python manage.py export_dataset --format claimreview --jsonl -o reviews.jsonl

The filters are validated by the export page's form, so they fail with the same messages.
A file is written next to its final name and renamed when complete, so an interrupted
export never leaves a truncated dataset behind. `--output` naming a folder writes the
page's file name there (factcheck-<format>-<day>-<filter summary>.<extension>[.gz]).
Binary output (datapackage, parquet, spacy, --gzip) is refused on a terminal, before
anything is read or written; redirected (`-o - > out.parquet`, `| gunzip`) it is written.
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
from django.utils import timezone

from annotations.exporters import all_formats, export_stream
from annotations.exporters.base import gzip_stream, utf8_stream
from annotations.exporters.frozen import objects_so_far_frozen
from annotations.exporters.naming import filter_summary
from annotations.exporters.progress import TerminalProgress
from annotations.exporters.query import ExportStats, export_summary
from annotations.exporters.records import export_request, recorded
from annotations.forms_export import ExportForm
from factcheck.db_router import read_alias, read_from_replica, reading_from_replica

# --jsonl asks for the one-object-a-line variant of a JSON-array format.
JSONL_VARIANTS = {"claimreview": "claimreview-jsonl"}

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
    "excel": "--excel",
    "gzip": "--gzip",
    "layer": "--layer",
    "collection": "--collection",
}


class Command(BaseCommand):
    # System checks import every view (the URL check) for nothing a run of this command
    # uses: over a second of its start-up. `manage.py check` and the server run them.
    requires_system_checks = []

    help = "Export annotated articles in one of the export formats (streamed, constant memory)."

    def add_arguments(self, parser):
        names = ", ".join(
            f.name if f.available else f"{f.name} (needs {f.requires})" for f in all_formats()
        )
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
            "--excel",
            action="store_true",
            help="CSV: for Excel, a UTF-8 byte-order mark first (rows end in CRLF).",
        )
        parser.add_argument(
            "--gzip",
            action="store_true",
            help="Compress the output with gzip as it streams (the default name ends in .gz).",
        )
        parser.add_argument(
            "--jsonl",
            action="store_true",
            help="ClaimReview: one standalone JSON-LD object a line instead of a JSON array.",
        )
        parser.add_argument(
            "--user",
            help="Who the export is recorded as (a user name); by default nobody.",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="The site's address (https://...), so JSON-LD ids link to it; else urn: ids.",
        )

    def handle(self, *args, **options):
        with objects_so_far_frozen():  # full collections skip start-up's objects
            return self._export(options)

    def _export(self, options):
        if options["jsonl"]:
            if options["format"] not in JSONL_VARIANTS:
                raise CommandError(
                    "--jsonl: only for "
                    + ", ".join(JSONL_VARIANTS)
                    + f" (a JSON array); {options['format']} is written as it is."
                )
            options["format"] = JSONL_VARIANTS[options["format"]]
        form = ExportForm(self._form_data(options))
        if not form.is_valid():
            raise CommandError(self._errors(form))
        user = self._user(options["user"])
        export_format = form.chosen_format()
        filters = form.filters()
        export_options = form.options(base_url=options["base_url"])
        gzip = form.cleaned_data["gzip"]
        if options["output"] == "-":
            self._check_stdout_takes(export_format, gzip=gzip)
        stats = ExportStats()
        text = read_from_replica(export_stream(export_format, filters, export_options, stats=stats))
        stdout_is_terminal = options["output"] == "-" and self.stdout.isatty()
        progress = TerminalProgress.for_stream(
            self.stderr._out, stats, data_on_same_terminal=stdout_is_terminal
        )
        if progress is not None:
            with reading_from_replica():
                progress.total = export_summary(filters, using=read_alias())["articles"]
            text = progress.follow(text)
        asked = export_request(form, base_url=options["base_url"])
        chunks = recorded(
            gzip_stream(text) if gzip else utf8_stream(text),
            asked,
            stats,
            user=user,
            via="command",
        )
        started = time.perf_counter()

        output = options["output"]
        if output == "-":
            binary = self._stdout_bytes()
            if binary is not None:
                self.stdout.flush()
                for chunk in chunks:
                    binary.write(chunk)
                binary.flush()
            else:
                for chunk in chunks:
                    self.stdout.write(chunk.decode("utf-8"), ending="")
            self.stdout.flush()
            if options["verbosity"] < 2:
                # The data went to stdout: stderr stays quiet but for what was left out.
                if notes := export_options.notes.sentences():
                    self.stderr.write(" ".join(notes))
                return
        else:
            path = Path(output)
            if path.is_dir():
                path = path / export_format.filename(
                    timezone.localdate(), filter_summary(filters), gzip=gzip
                )
                output = str(path)
            with _open_for_writing(path) as handle:
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
        if not stats.articles:
            summary += " No articles match these filters: the file is empty."
        for sentence in export_options.notes.sentences():
            summary += " " + sentence
        self.stderr.write(summary)

    def _stdout_bytes(self):
        """Standard output's byte stream, None when it is text only (a StringIO)."""
        return getattr(getattr(self.stdout, "_out", None), "buffer", None)

    def _check_stdout_takes(self, export_format, *, gzip: bool) -> None:
        """Refuse, before anything is read or written, binary output (a ZIP, a DocBin,
        Parquet, gzip) that standard output cannot take: a terminal (the bytes would be
        garbage on the screen, as `gzip` refuses too) or a text-only stream. Redirected
        to a file or a pipe (`> out.parquet`, `| gunzip`) it is written."""
        binary_format = getattr(export_format, "binary", False)
        if not (gzip or binary_format):
            return
        option = "--gzip" if gzip else f"--format {export_format.name}"
        what = "gzip-compressed" if gzip else "binary"
        if self.stdout.isatty():
            raise CommandError(
                f"{option}: the output is {what} data, not written to a terminal; use "
                "--output FILE, or redirect standard output to a file or a pipe."
            )
        if self._stdout_bytes() is None:
            raise CommandError(
                f"{option}: standard output is not a binary stream; use --output FILE."
            )

    def _user(self, name: str | None):
        if not name:
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"--user: nobody is called “{name[:40]}”.")
        return user

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
        for flag in ("csv_raw", "excel", "gzip"):
            if options[flag]:
                data[flag] = "on"
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
        with open(path, "wb") as handle:
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
        with open(descriptor, "wb") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
