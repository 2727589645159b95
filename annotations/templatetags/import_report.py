"""Filters of the import report (templates/annotations/imports/report.html)."""

from django import template

register = template.Library()


@register.filter
def beyond(count, listed) -> int:
    """How many of `count` things are not in `listed` (the report lists the first few):
    the "and N more" of a list, whatever the report's limits (importers/report.py)."""
    return max(0, int(count or 0) - len(listed or ()))
