"""Collections: creating and configuring them, their members and their articles.

Every change is checked against the actor's rights in the collection
(permissions.can_create_collection / can_manage_collection), runs in one transaction and
is recorded in the history (kind "collection"). A refusal is a ValidationError or a
PermissionDenied with a message for a person; nothing is stored then.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .. import history, permissions
from ..conflicts import Gone
from ..models import Article, Collection, HistoryEvent, Membership
from .assignments import withdraw

NAME_TAKEN = "A collection with this name already exists."
# What collection_update may change (the name and slug stay: links point at the slug).
SETTINGS = (
    "description",
    "labels",
    "rating_scale",
    "blind",
    "requires_assignment",
    "reviewers_per_article",
)


def snapshot_collection(collection: Collection) -> dict:
    return {
        "id": collection.pk,
        "name": collection.name,
        "slug": collection.slug,
        "description": collection.description,
        "labels": sorted(collection.labels.values_list("slug", flat=True)),
        "rating_scale_id": collection.rating_scale_id,
        "blind": collection.blind,
        "requires_assignment": collection.requires_assignment,
        "reviewers_per_article": collection.reviewers_per_article,
    }


def _record(collection, action, actor, *, before=None, after=None):
    history.record(
        kind=HistoryEvent.Kind.COLLECTION,
        obj_id=collection.pk,
        annotation_id=None,
        article_id=None,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )


def _require_manager(actor, collection: Collection) -> None:
    if not permissions.can_manage_collection(actor, collection):
        raise PermissionDenied(f"Only editors of {collection.name} can change it.")


def _lock_collection(collection: Collection) -> None:
    if not list(Collection.objects.select_for_update().filter(pk=collection.pk).values("pk")):
        raise Gone(f"{collection.name} was deleted in the meantime; nothing was changed.")


def _free_slug(name: str) -> str:
    base = slugify(name)[:180] or "collection"
    slug, n = base, 1
    while Collection.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_settings(values: dict) -> None:
    per_article = values.get("reviewers_per_article")
    if per_article is not None and not (1 <= per_article <= 20):
        raise ValidationError("Reviewers per article must be between 1 and 20.")


def collection_create(*, name: str, actor, **settings) -> Collection:
    """A new collection, its creator its first editor."""
    if not permissions.can_create_collection(actor):
        raise PermissionDenied("Your account cannot create collections.")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the collection a name.")
    if len(name) > 200:
        raise ValidationError("A collection's name has at most 200 characters.")
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    _check_settings(settings)
    labels = settings.pop("labels", None)
    try:
        with transaction.atomic():
            if Collection.objects.filter(name__iexact=name).exists():
                raise ValidationError(NAME_TAKEN)
            collection = Collection.objects.create(
                name=name, slug=_free_slug(name), created_by=actor, **settings
            )
            if labels:
                collection.labels.set(labels)
            Membership.objects.create(
                collection=collection, user=actor, role=Membership.Role.EDITOR
            )
            _record(
                collection,
                HistoryEvent.Action.CREATE,
                actor,
                after=snapshot_collection(collection),
            )
    except IntegrityError:
        # Another editor created the same name (or slug) a moment ago.
        if Collection.objects.filter(name__iexact=name).exists():
            raise ValidationError(NAME_TAKEN) from None
        raise ValidationError("The collection could not be created; try again.") from None
    return collection


@transaction.atomic
def collection_update(*, collection: Collection, actor, changes: dict) -> Collection:
    _require_manager(actor, collection)
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise ValidationError(f"These settings cannot be changed: {', '.join(sorted(unknown))}.")
    _check_settings(changes)
    stored = Collection.objects.select_for_update().get(pk=collection.pk)
    before = snapshot_collection(stored)
    fields = [f for f in changes if f != "labels"]
    for f in fields:
        setattr(stored, f, changes[f])
    if fields:
        stored.save(update_fields=fields)
    if "labels" in changes:
        stored.labels.set(changes["labels"])
    after = snapshot_collection(stored)
    if after != before:
        _record(stored, HistoryEvent.Action.UPDATE, actor, before=before, after=after)
    return stored


# --- members ------------------------------------------------------------------------------


def _member_event(collection, actor, *, before=None, after=None):
    _record(collection, HistoryEvent.Action.UPDATE, actor, before=before, after=after)


def _role(role: str) -> str:
    if role not in Membership.Role.values:
        raise ValidationError(f"Unknown role “{role[:40]}”: reviewer or editor.")
    return role


def member_refusal(collection: Collection, user) -> str | None:
    """Why `user` cannot join `collection` (None if they can): the one rule for the desk's
    "Add member" and the admin's member rows."""
    if not user.is_active:
        return f"{user.get_username()}'s account is deactivated."
    if collection.pk and Membership.objects.filter(collection=collection, user=user).exists():
        return f"{user.get_username()} is already a member of {collection.name}."
    return None


@transaction.atomic
def member_add(*, collection: Collection, username: str, role: str, actor) -> Membership:
    _require_manager(actor, collection)
    role = _role(role)
    username = (username or "").strip()
    User = get_user_model()
    user = User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).first()
    if user is None:
        raise ValidationError(f"No user named “{username[:60]}”.")
    if refusal := member_refusal(collection, user):
        raise ValidationError(refusal)
    membership = Membership.objects.create(collection=collection, user=user, role=role)
    _member_event(collection, actor, after={"member": user.get_username(), "role": role})
    return membership


@transaction.atomic
def member_set_role(*, membership: Membership, role: str, actor) -> Membership:
    _require_manager(actor, membership.collection)
    role = _role(role)
    stored = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership.pk)
        .first()
    )
    if stored is None:
        raise ValidationError("This member was removed in the meantime.")
    if stored.role != role:
        before = {"member": stored.user.get_username(), "role": stored.role}
        stored.role = role
        stored.save(update_fields=["role"])
        _member_event(membership.collection, actor, before=before, after={**before, "role": role})
    return stored


@transaction.atomic
def member_remove(*, membership: Membership, actor) -> int:
    """Remove a member; their unfinished assignments in the collection go with them. What
    they finished stays as a record of who reviewed it, but grants a non-member nothing
    (permissions.standing_assignments): no access, no place in a queue, no reopening.
    Returns how many assignments were withdrawn."""
    collection = membership.collection
    _require_manager(actor, collection)
    # The collection first, as `assign` takes it: an assignment made meanwhile is either
    # in before the removal (and withdrawn) or refused as for a non-member.
    _lock_collection(collection)
    stored = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=membership.pk)
        .first()
    )
    if stored is None:
        return 0
    withdrawn = withdraw(collection, actor=actor, reviewer_id=stored.user_id, keep_done=True)
    stored.delete()
    _member_event(
        collection, actor, before={"member": stored.user.get_username(), "role": stored.role}
    )
    return withdrawn


# --- articles -----------------------------------------------------------------------------


def _article_ids(article_ids: Iterable) -> list[int]:
    ids = list(dict.fromkeys(getattr(a, "pk", a) for a in article_ids))
    if not ids:
        raise ValidationError("Choose at least one article.")
    found = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            f"No article with id {', '.join(map(str, missing))}. Nothing was changed."
        )
    return ids


def _refuse_unseen(actor, article_ids: list[int]) -> None:
    """Only articles the actor opens and sees in full join a collection they edit (its
    editors see every span: permissions.collection_article_refusals)."""
    refusals = permissions.collection_article_refusals(actor, article_ids)
    if refusals:
        reasons = "; ".join(f"article #{pk}: {why}" for pk, why in refusals.items())
        raise ValidationError(
            f"{reasons[0].upper()}{reasons[1:]}. Only articles you can open and see in full "
            "(every reviewer's spans) can be added to a collection. Nothing was added."
        )


@transaction.atomic
def articles_add(*, collection: Collection, article_ids: Iterable, actor) -> int:
    """Add articles (ids or instances); those already in are left. Returns how many were
    added. `actor` None is the importer or the command line, already checked; anyone
    else must manage the collection and may add only articles they open and see in full
    (refused with ValidationError naming each article and why, nothing added)."""
    if actor is not None:
        _require_manager(actor, collection)
    ids = _article_ids(article_ids)
    present = set(collection.articles.filter(pk__in=ids).values_list("pk", flat=True))
    new = [pk for pk in ids if pk not in present]
    if actor is not None:
        _refuse_unseen(actor, new)
    Collection.articles.through.objects.bulk_create(
        Collection.articles.through(collection_id=collection.pk, article_id=pk) for pk in new
    )
    if new:
        _record(collection, HistoryEvent.Action.UPDATE, actor, after={"articles_added": new})
    return len(new)


@transaction.atomic
def articles_remove(*, collection: Collection, article_ids: Iterable, actor) -> int:
    """Take articles out, and their assignments in the collection with them (their spans
    stay): the article's status then rolls up from its other collections."""
    _require_manager(actor, collection)
    ids = _article_ids(article_ids)
    _lock_collection(collection)  # as `assign` does: no assignment lands on a removed one
    withdraw(collection, actor=actor, article_ids=ids, keep_done=False)
    removed, _ = Collection.articles.through.objects.filter(
        collection_id=collection.pk, article_id__in=ids
    ).delete()
    if removed:
        _record(collection, HistoryEvent.Action.UPDATE, actor, before={"articles_removed": ids})
    return removed
