"""Template tags of the history hooks on the review page (so its views need no change)."""

from django import template

from ..history_selectors import span_event_count

register = template.Library()


@register.simple_tag
def history_count(annotation) -> int:
    """How many events a span's history holds (the "History (N)" of its editor)."""
    return span_event_count(annotation.pk)
