"""Template tags of the history hooks on the review page (so its views need no change)."""

from django import template

from ..history_selectors import span_event_count

register = template.Library()


@register.simple_tag
def history_count(annotation) -> int:
    """How many events a span's history holds (the "History (N)" of its editor)."""
    return span_event_count(annotation.pk, annotation.article_id)


@register.simple_tag
def article_deletion_impact(articles):
    """What deleting these articles takes with it (the admin's bulk confirmation)."""
    from ..services.articles import deletion_impact

    return deletion_impact([article.pk for article in articles])


@register.filter
def ago(moment) -> str:
    """ "just now", or "3 hours ago" (timesince, which says "0 minutes" for a fresh one)."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
