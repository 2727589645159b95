"""Who may see agreement figures: editors only (they compare reviewers with each other).

Built on annotations.permissions: a global (desk) editor everywhere, a collection's
editors for that collection and for the articles in it.
"""

from __future__ import annotations

from .. import permissions


def can_view_collection_agreement(user, collection) -> bool:
    return permissions.can_view_agreement(user, collection)


def can_view_article_agreement(user, article) -> bool:
    if not permissions._signed_in(user):
        return False
    if permissions.is_desk_editor(user):
        return True
    return article.collections.filter(id__in=permissions.editor_collection_ids(user)).exists()
