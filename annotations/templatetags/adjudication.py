"""Template tags for the adjudication hooks on other pages (the review page's status row)."""

from django import template

from .. import permissions

register = template.Library()


@register.filter
def adjudicable_by(article, user) -> bool:
    """Whether `user` may open the adjudication of `article` (the "Adjudicate" link)."""
    return article is not None and permissions.can_adjudicate(user, article)
