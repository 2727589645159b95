"""The desk's rules: collection roles, who may open an article, whose spans a user sees.

A global Editor (the Editors group's `change_any_annotation`) or a superuser acts as an
editor in every collection. Within a collection, a member's role decides the rest:
editors assign, adjudicate and see every span; reviewers annotate, and in a blind
collection see only their own spans until the article is adjudicated. An article in no
collection is open to every signed-in user, as before collections existed.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from .actions import EDIT_ANY_PERMISSION, _signed_in

ADJUDICATE_PERMISSION = "annotations.adjudicate_article"

__all__ = [
    "ADJUDICATE_PERMISSION",
    "blind_article_ids",
    "can_adjudicate",
    "can_assign",
    "can_create_collection",
    "can_manage_collection",
    "can_open_article",
    "editor_collection_ids",
    "is_blind_for",
    "is_desk_editor",
    "openable_articles",
    "visible_annotations",
]


def is_desk_editor(user) -> bool:
    """An editor everywhere: sees all spans in every collection."""
    return _signed_in(user) and (user.is_superuser or user.has_perm(EDIT_ANY_PERMISSION))


def editor_collection_ids(user):
    from ..models import Membership

    return Membership.objects.filter(user_id=user.pk, role=Membership.Role.EDITOR).values(
        "collection_id"
    )


def _is_collection_editor(user, collection) -> bool:
    if is_desk_editor(user):
        return True
    return collection.memberships.filter(user_id=user.pk, role="editor").exists()


def can_create_collection(user) -> bool:
    return _signed_in(user) and user.has_perm("annotations.add_collection")


def can_manage_collection(user, collection) -> bool:
    """Settings, members and labels of a collection: its editors, or a global editor."""
    if not _signed_in(user):
        return False
    if user.has_perm("annotations.change_collection") and is_desk_editor(user):
        return True
    return _is_collection_editor(user, collection)


def can_assign(user, collection) -> bool:
    return _signed_in(user) and _is_collection_editor(user, collection)


def can_adjudicate(user, article) -> bool:
    """Editors of one of the article's collections (or global editors) with the grant."""
    if not (_signed_in(user) and user.has_perm(ADJUDICATE_PERMISSION)):
        return False
    if is_desk_editor(user):
        return True
    return article.collections.filter(id__in=editor_collection_ids(user)).exists()


def openable_articles(user, queryset: QuerySet) -> QuerySet:
    """The articles of `queryset` the user may open (see can_open_article)."""
    from ..models import Assignment, Collection, Membership

    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    in_any = Collection.articles.through.objects.filter(article_id=OuterRef("pk"))
    # A collection grants access through membership; one that requires assignment only
    # to the reviewers assigned the article there (and to its editors).
    granting = Collection.articles.through.objects.filter(article_id=OuterRef("pk")).filter(
        Q(collection__in=editor_collection_ids(user))
        | Q(
            collection__requires_assignment=False,
            collection__in=Membership.objects.filter(user_id=user.pk).values("collection_id"),
        )
        | Q(
            collection__requires_assignment=True,
            collection__in=Assignment.objects.filter(
                reviewer_id=user.pk, article_id=OuterRef(OuterRef("pk"))
            ).values("collection_id"),
        )
    )
    return queryset.filter(~Exists(in_any) | Exists(granting))


def can_open_article(user, article) -> bool:
    from ..models import Article

    return openable_articles(user, Article.objects.filter(pk=article.pk)).exists()


def blind_article_ids(user):
    """Ids of the articles whose other reviewers' spans the user may not see yet."""
    from ..models import Article, Collection

    blind = Collection.articles.through.objects.filter(
        collection__blind=True, article_id=OuterRef("pk")
    ).exclude(collection__in=editor_collection_ids(user))
    return (
        Article.objects.filter(Exists(blind))
        .exclude(status=Article.Status.ADJUDICATED)
        .values("pk")
    )


def is_blind_for(user, article) -> bool:
    if is_desk_editor(user):
        return False
    from ..models import Article

    return Article.objects.filter(pk=article.pk, pk__in=blind_article_ids(user)).exists()


def visible_annotations(user, queryset: QuerySet, *, article=None) -> QuerySet:
    """The spans of `queryset` the user may see (blind mode), in any screen or endpoint.

    Given the one article a page is about, one cheap check replaces the subquery.
    """
    if not _signed_in(user):
        return queryset.none()
    if is_desk_editor(user):
        return queryset
    if article is not None:
        return queryset.filter(author_id=user.pk) if is_blind_for(user, article) else queryset
    return queryset.exclude(Q(article_id__in=blind_article_ids(user)) & ~Q(author_id=user.pk))
