"""Who may do what: one function per action, driven by the groups' Django permissions.

The services call these before every write (so the admin, the views and the commands
share them), and the views and templates call them to decide what to offer. Taking a
permission away from a group takes the action away everywhere.
"""

from __future__ import annotations

EXPORT_PERMISSION = "annotations.export_dataset"
IMPORT_PERMISSION = "annotations.import_articles"
EDIT_ANY_PERMISSION = "annotations.change_any_annotation"
SET_STATUS_PERMISSION = "annotations.set_article_status"

REVIEWERS = "Reviewers"
EDITORS = "Editors"


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _owns_or_edits_any(user, author_id) -> bool:
    """A reviewer acts on their own spans; an editor on anyone's."""
    return author_id == user.pk or user.has_perm(EDIT_ANY_PERMISSION)


def can_annotate(user) -> bool:
    return _signed_in(user) and user.has_perm("annotations.add_annotation")


def can_change_annotation(user, annotation) -> bool:
    if not _signed_in(user):
        return False
    if user.has_perm(EDIT_ANY_PERMISSION):
        return True
    return annotation.author_id == user.pk and user.has_perm("annotations.change_annotation")


# The editor form is offered to whoever may change the span.
can_edit_annotation = can_change_annotation


def can_delete_annotation(user, annotation) -> bool:
    return (
        _signed_in(user)
        and user.has_perm("annotations.delete_annotation")
        and _owns_or_edits_any(user, annotation.author_id)
    )


def can_restore_annotation(user, author_id: int | None) -> bool:
    """Restoring a deleted span re-creates it: its author or an editor may."""
    return (
        _signed_in(user)
        and user.has_perm("annotations.add_annotation")
        and _owns_or_edits_any(user, author_id)
    )


def can_add_source(user, annotation) -> bool:
    return (
        _signed_in(user)
        and user.has_perm("annotations.add_evidence")
        and _owns_or_edits_any(user, annotation.author_id)
    )


def can_change_source(user, annotation) -> bool:
    return (
        _signed_in(user)
        and user.has_perm("annotations.change_evidence")
        and _owns_or_edits_any(user, annotation.author_id)
    )


def can_delete_source(user, annotation) -> bool:
    return (
        _signed_in(user)
        and user.has_perm("annotations.delete_evidence")
        and _owns_or_edits_any(user, annotation.author_id)
    )


def can_change_source_record(user, record) -> bool:
    """A shared source's title, publisher and date: whoever added it, or an editor."""
    if not _signed_in(user):
        return False
    if user.has_perm("annotations.change_source"):
        return True
    return record.created_by_id == user.pk and user.has_perm("annotations.change_evidence")


def can_link_spans(user, from_span) -> bool:
    """A relation belongs to the span that points: who may change that span may link it."""
    return can_change_annotation(user, from_span) and user.has_perm("annotations.add_relation")


def can_unlink_spans(user, from_span) -> bool:
    return can_change_annotation(user, from_span) and user.has_perm("annotations.delete_relation")


def can_add_speaker(user) -> bool:
    """Typing a new name on a span creates the speaker."""
    return _signed_in(user) and user.has_perm("annotations.add_speaker")


def can_merge_speakers(user) -> bool:
    return (
        _signed_in(user)
        and user.has_perm("annotations.change_speaker")
        and user.has_perm("annotations.delete_speaker")
    )


def can_give_verdict(user, annotation) -> bool:
    return can_change_annotation(user, annotation)


def can_set_status(user) -> bool:
    return _signed_in(user) and user.has_perm(SET_STATUS_PERMISSION)


def can_export(user) -> bool:
    return _signed_in(user) and user.has_perm(EXPORT_PERMISSION)


def can_import(user) -> bool:
    return _signed_in(user) and user.has_perm(IMPORT_PERMISSION)


def can_edit_article(user) -> bool:
    """Editors correct an article's title, author, date and source link."""
    return _signed_in(user) and user.has_perm("annotations.change_article")
