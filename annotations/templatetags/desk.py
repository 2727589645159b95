"""What the desk's template hooks show (the top bar's queue link, the review page's queue
bar), fetched here so the pages' views stay as they are."""

from django import template

from .. import desk_queries

register = template.Library()


@register.simple_tag
def queue_place(user, article):
    """The user's assignment for `article` and its place in their queue, or None."""
    if article is None or getattr(article, "pk", None) is None:
        return None
    return desk_queries.queue_place(user, article.pk)


@register.simple_tag
def desk_nav(user):
    return desk_queries.nav_counts(user)
