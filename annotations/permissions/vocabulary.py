"""What the review page offers on an article: its collections' labels and rating scale.

A collection may narrow the label set (none chosen = every active label) and pick its
rating scale (none = the default). An article in several collections offers the union
of their labels and the scale of the first of them (by name) that picks one. The label
bar, the editor's pickers and the create service all ask here.

Which verdicts a span may be given is `rating_refusal` (the verdicts of the article's
scale; a span keeps the one it has even when its desk changed scales since): the
editor's picker (`article_ratings`, the same condition), the update service, "seen
before" copying, the admin's span form and the importers all ask it.
"""

from __future__ import annotations

from django.db.models import Q

from .desk import article_access

__all__ = [
    "article_label_ids",
    "article_rating_scale_id",
    "article_ratings",
    "label_refusal",
    "offered_labels",
    "rating_refusal",
    "scale_name",
]


def article_label_ids(article, user=None) -> set[int] | None:
    """Ids of the labels the article's collections allow, or None for "every active label".

    `user`, when given, lets the answer reuse the access check's query (which already knows
    whether any collection narrows the labels).
    """
    from ..models import Collection

    memo = article.__dict__.get("_desk_label_ids", ...)
    if memo is not ...:
        return memo
    if user is None:
        # Any access check already made on this instance knows (it is not per user).
        known = article.__dict__.get("_desk_access", {}).values()
        subset = next(iter(known)).label_subset if known else True
    else:
        subset = article_access(user, article).label_subset
    if not subset:
        ids = None
    else:
        rows = Collection.labels.through.objects.filter(collection__articles=article.pk)
        ids = set(rows.values_list("label_id", flat=True)) or None
    article.__dict__["_desk_label_ids"] = ids
    return ids


def offered_labels(article, labels, user=None) -> list:
    """Of `labels` (Label rows), those offered on the article: active and allowed."""
    allowed = article_label_ids(article, user)
    return [label for label in labels if label.active and (allowed is None or label.pk in allowed)]


def label_refusal(article, label) -> str | None:
    """Why a span of this label may not be created on the article (None: it may)."""
    allowed = article_label_ids(article)
    if allowed is None or label.pk in allowed:
        return None
    from ..models import Label

    names = ", ".join(
        Label.objects.filter(pk__in=allowed).order_by("name").values_list("name", flat=True)
    )
    return (
        f"The label “{label.name}” is not used in this article's collection. Use one of: {names}."
    )


def article_rating_scale_id(article, user=None) -> int | None:
    """The scale the article's collections pick (None: the default scale); `user` lets
    the answer come from the access check's query."""
    from ..models import Collection

    if user is not None and user.is_authenticated:
        return article_access(user, article).scale_id
    memo = article.__dict__.get("_desk_scale_id", ...)
    if memo is not ...:
        return memo
    scale_id = (
        Collection.objects.filter(articles=article.pk, rating_scale__isnull=False)
        .order_by("name")
        .values_list("rating_scale_id", flat=True)
        .first()
    )
    article.__dict__["_desk_scale_id"] = scale_id
    return scale_id


def _on_scale(scale_id: int | None) -> Q:
    """Ratings of the scale `scale_id`, or of the default scale when it is None."""
    return Q(scale_id=scale_id) if scale_id else Q(scale__is_default=True)


def article_ratings(article, *, keep_id=None):
    """The verdicts offered on the article (and `keep_id`, a span's current verdict, so
    it stays visible in the picker even from another scale)."""
    from ..models import Rating

    return Rating.objects.filter(_on_scale(article_rating_scale_id(article)) | Q(pk=keep_id))


def scale_name(scale_id: int | None) -> str:
    """The name of the scale `scale_id` (None: the default scale), "" when there is none."""
    from ..models import RatingScale

    where = {"pk": scale_id} if scale_id else {"is_default": True}
    return RatingScale.objects.filter(**where).values_list("name", flat=True).first() or ""


def rating_refusal(rating, *, article=None, scale_id=None, current_id=None) -> str | None:
    """Why a span may not be given the verdict `rating` (a Rating), or None when it may.

    The span is on `article` (its scale: article_rating_scale_id), or, for an article
    not stored yet (an import), on the scale `scale_id` (None: the default scale). The
    span's `current_id` verdict is always allowed: it keeps the verdict it has."""
    from ..models import Rating

    if rating is None or rating.pk == current_id:
        return None
    if article is not None:
        scale_id = article_rating_scale_id(article)
    if Rating.objects.filter(_on_scale(scale_id), pk=rating.pk).exists():
        return None
    if not Rating.objects.filter(pk=rating.pk).exists():
        return "That verdict no longer exists; choose another."
    used = scale_name(scale_id)
    theirs = rating.scale.name if rating.scale_id else ""
    where = f"the rating scale “{used}”" if used else "no rating scale (there is no default)"
    return (
        f"The verdict “{rating.name}” is on the rating scale “{theirs}”, but the article "
        f"uses {where}; only that scale's verdicts can be given."
    )
