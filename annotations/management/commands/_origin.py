"""Commands that write record "command" as the origin of their history events.

(A module whose name starts with "_" is not a command itself.) The import command keeps
its own "import" origin, set by the importer.
"""

from django.core.management.base import BaseCommand

from annotations.history import recording_origin

COMMAND = "command"


class RecordedCommand(BaseCommand):
    """A BaseCommand whose every history event says it came from a command."""

    def execute(self, *args, **options):
        with recording_origin(COMMAND):
            return super().execute(*args, **options)
