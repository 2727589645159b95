"""Create the three demo accounts that `make run` prints: reviewer, editor, admin.

The password of each is its user name, so this only runs against the local default
database unless --force says otherwise. Re-running keeps existing accounts as they are
(a changed password stays changed) and only makes sure each is in its group.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction

from annotations.management.commands._origin import RecordedCommand
from annotations.permissions import EDITORS, REVIEWERS

URL = "http://127.0.0.1:8000/"

# username, group, is_staff, is_superuser, what the account can do
ACCOUNTS = [
    ("reviewer", REVIEWERS, False, False, "annotate articles; edit and delete own spans"),
    ("editor", EDITORS, True, False, "also import, export, edit anyone's spans; the admin"),
    ("admin", None, True, True, "everything, including users in the admin"),
]


class Command(RecordedCommand):
    help = (
        "Create the demo accounts reviewer, editor and admin (password = user name) "
        "on the local database. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create them even though DATABASE_URL points at another database.",
        )
        parser.add_argument("--url", default=URL, help="Where the app is served, to print.")

    def handle(self, *args, force=False, **options):
        if not getattr(settings, "USING_LOCAL_DEFAULT_DATABASE", False) and not force:
            raise CommandError(
                "Refusing to create demo accounts with well-known passwords: DATABASE_URL "
                "points at a database other than the local default. If this database is "
                "a throwaway one, run again with --force."
            )
        rows = self._ensure_accounts()
        self._print(rows, url=options.get("url") or URL)

    @transaction.atomic
    def _ensure_accounts(self):
        User = get_user_model()
        rows = []
        for username, group_name, is_staff, is_superuser, can in ACCOUNTS:
            user = User.objects.filter(username=username).first()
            created = user is None
            if created:
                user = User(username=username, is_staff=is_staff, is_superuser=is_superuser)
                user.set_password(username)
                user.save()
            if group_name is not None:
                try:
                    group = Group.objects.get(name=group_name)
                except Group.DoesNotExist:
                    raise CommandError(
                        f"The group “{group_name}” does not exist; run `manage.py migrate` first."
                    ) from None
                user.groups.add(group)
            rows.append((username, username, can, created))
        return rows

    def _print(self, rows, *, url):
        table = [("user", "password", "account", "can")] + [
            (username, password, "created" if created else "kept", can)
            for username, password, can, created in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        self.stdout.write("Demo accounts (local use only; existing passwords are never reset):")
        for row in table:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))
        self.stdout.write(self.style.SUCCESS(f"Sign in at {url}"))
