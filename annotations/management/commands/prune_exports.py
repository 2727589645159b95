"""python manage.py prune_exports [--older-than DAYS] [--dry-run]

Deletes the finished exports (done, failed, interrupted) created more than DAYS ago, with
their files in the "exports" storage, and the finished import jobs (done, failed) as old,
with any folder they left under var/imports/. A queued or running one is never touched.
DAYS defaults to settings.FACTCHECK_EXPORTS_KEEP_DAYS (30 when unset). With --dry-run it
says what it would remove and removes nothing. Meant for cron or a systemd timer.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from annotations.exporters import retention as exports
from annotations.importers import retention as imports
from annotations.importers.limits import human_size


class Command(BaseCommand):
    help = "Delete finished exports (with their stored files) and import jobs older than DAYS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            dest="older_than",
            metavar="DAYS",
            help="Age in whole days (default: FACTCHECK_EXPORTS_KEEP_DAYS, else 30).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be removed; remove nothing."
        )

    def handle(self, *args, older_than=None, dry_run=False, **options):
        if older_than is None:
            days = _days(exports.keep_days(), "FACTCHECK_EXPORTS_KEEP_DAYS")
        else:
            days = _days(older_than, "--older-than")
        cutoff = timezone.now() - timedelta(days=days)
        pruned = exports.prune_exports(cutoff, dry_run=dry_run)
        jobs = imports.prune_import_jobs(cutoff, dry_run=dry_run)
        self.stdout.write(_summary(pruned, jobs, days, dry_run=dry_run))
        if pruned.kept:
            self.stderr.write(
                f"{_count(pruned.kept, 'export')} kept: the storage would not delete "
                "their files (the log says why); run again later."
            )


def _days(value, name: str) -> int:
    """A whole number of days, 0 or more; anything else is refused by name."""
    text = str(value).strip()
    try:
        days = int(text)
    except ValueError:
        days = None
    if days is None or days < 0:
        raise CommandError(f"{name} must be a whole number of days, 0 or more (got “{value}”).")
    if days > 36_500:  # now - DAYS must stay a date (year 1 and on)
        raise CommandError(f"{name} is more than a hundred years (got “{value}”).")
    return days


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summary(pruned: exports.Pruned, jobs: int, days: int, *, dry_run: bool) -> str:
    verb = "Would remove" if dry_run else "Removed"
    return (
        f"{verb} {_count(pruned.count, 'export')} ({human_size(pruned.size_bytes)}) and "
        f"{_count(jobs, 'import job')} older than {_count(days, 'day')}."
    )
