"""Who may open a stored export: its record's page, its file, its row in the lists.

A stored export holds what its maker could see when it ran (the export applies
visible_annotations for them: blind collections), so it is theirs to open again. Anyone
else may open it only if nothing it could hold is hidden from them: who sees every span
in every collection (is_desk_editor: global editors, superusers). A collection editor or
another exporter could otherwise download spans blind mode hides from them.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .actions import can_export
from .desk import is_desk_editor

__all__ = ["can_open_export_record", "openable_export_records", "opens_every_export"]


def opens_every_export(user) -> bool:
    """Whether the user may open anyone's export: nothing one holds is hidden from them."""
    return can_export(user) and is_desk_editor(user)


def openable_export_records(user, queryset: QuerySet) -> QuerySet:
    """The ExportRecords of `queryset` the user may open (see the module's rule)."""
    if opens_every_export(user):
        return queryset
    if not can_export(user):
        return queryset.none()
    return queryset.filter(created_by_id=user.pk)


def can_open_export_record(user, record) -> bool:
    """Whether the user may open this export's page and download its file."""
    if opens_every_export(user):
        return True
    return can_export(user) and record.created_by_id == user.pk
