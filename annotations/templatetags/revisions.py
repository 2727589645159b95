"""The review page's revision hook: "Revisions (2)" and the count of spans that need
attention after the text changed (templates/annotations/revisions/article_notice.html)."""

from django import template

from .. import permissions
from ..models import Annotation

register = template.Library()


@register.inclusion_tag("annotations/revisions/_notice.html")
def revision_notice(article, user):
    if article is None or not getattr(article, "pk", None):
        return {"article": article, "revisions": 0, "attention": 0}
    unplaced = Annotation.all_objects.filter(article_id=article.pk, needs_attention=True)
    return {
        "article": article,
        "revisions": article.revisions.count(),
        "attention": permissions.visible_annotations(user, unplaced, article=article).count(),
    }
