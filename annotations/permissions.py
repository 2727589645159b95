"""Who may do what. Every view asks here, so the rule lives once."""

from __future__ import annotations

EXPORT_PERMISSION = "annotations.export_dataset"
IMPORT_PERMISSION = "annotations.import_articles"
EDIT_ANY_PERMISSION = "annotations.change_any_annotation"

REVIEWERS = "Reviewers"
EDITORS = "Editors"


def can_annotate(user) -> bool:
    return user.is_authenticated and user.has_perm("annotations.add_annotation")


def can_edit_annotation(user, annotation) -> bool:
    """A reviewer edits their own spans; editors and admins edit anyone's."""
    if not user.is_authenticated:
        return False
    if user.has_perm(EDIT_ANY_PERMISSION):
        return True
    return annotation.author_id == user.pk and user.has_perm("annotations.change_annotation")


def can_export(user) -> bool:
    return user.is_authenticated and user.has_perm(EXPORT_PERMISSION)


def can_import(user) -> bool:
    return user.is_authenticated and user.has_perm(IMPORT_PERMISSION)


def can_set_status(user) -> bool:
    """Whoever annotates may mark an article in review or reviewed."""
    return can_annotate(user)
