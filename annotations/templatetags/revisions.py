"""The review page's revision hook: "Revisions (2)" and the count of spans that need
attention after the text changed (templates/annotations/revisions/article_notice.html)."""

from django import template

from .. import permissions
from ..models import Annotation
from ..services.revisions import REVISIONS_KEY

register = template.Library()


def _revision_count(article) -> int:
    """From the article row the page already read (revise_article keeps the count in its
    import metadata): no query for an article that was never revised."""
    if "import_metadata" in article.__dict__:
        count = (article.import_metadata or {}).get(REVISIONS_KEY, 0)
        return count if isinstance(count, int) and count > 0 else 0
    return article.revisions.count()


@register.inclusion_tag("annotations/revisions/_notice.html")
def revision_notice(article, user):
    revisions = _revision_count(article) if article is not None and article.pk else 0
    attention = 0
    if revisions:  # only a revision leaves spans unplaced
        unplaced = Annotation.all_objects.filter(article_id=article.pk, needs_attention=True)
        attention = permissions.visible_annotations(user, unplaced, article=article).count()
    return {"article": article, "revisions": revisions, "attention": attention}
