"""Who may link and unlink spans, asked from the editor's templates (the rule stays in
annotations.permissions: a link belongs to the span that points)."""

from django import template

from .. import permissions

register = template.Library()


@register.filter
def linkable_by(annotation, user) -> bool:
    return permissions.can_link_spans(user, annotation)


@register.filter
def unlinkable_by(relation, user) -> bool:
    return permissions.can_unlink_spans(user, relation.from_span)
