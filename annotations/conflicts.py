"""What a write can run into when someone else got there first.

Each is answered with 409 Conflict and its message; none is a 500. Pure Python, so the
services raise them and the views, the admin and the middleware turn them into pages.
"""

from __future__ import annotations


class Conflict(Exception):
    """The write cannot be made as asked because of what is stored now."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Gone(Conflict):
    """The thing being changed was deleted in the meantime: nothing is resurrected."""


class StaleEdit(Conflict):
    """An edit made from an older version changes a field that someone else changed too.

    `current` is the stored version's snapshot, `fields` the fields both changed,
    `changed_by`/`changed_at` who made the newer version and when (if known).
    """

    def __init__(
        self,
        message: str,
        *,
        current: dict,
        fields: tuple[str, ...],
        changed_by=None,
        changed_at=None,
    ):
        super().__init__(message)
        self.current = current
        self.fields = fields
        self.changed_by = changed_by
        self.changed_at = changed_at
