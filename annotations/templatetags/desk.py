"""What the desk's template hooks show (the top bar's queue link, the review page's queue
bar), fetched here so the pages' views stay as they are.

The top bar's counts are kept on the request's user for the rest of the request, so the
queue bar of a page whose user has no assignment at all asks nothing more."""

from django import template

from .. import desk_queries

register = template.Library()

_NAV = "_desk_nav_counts"


@register.simple_tag
def desk_nav(user):
    counts = desk_queries.nav_counts(user)
    if getattr(user, "is_authenticated", False):
        setattr(user, _NAV, counts)
    return counts


@register.simple_tag
def queue_place(user, article):
    """The user's assignment for `article` and its place in their queue, or None."""
    if article is None or getattr(article, "pk", None) is None:
        return None
    counts = getattr(user, _NAV, None)
    if counts is not None and counts.all_items == 0:
        return None
    return desk_queries.queue_place(user, article.pk)
