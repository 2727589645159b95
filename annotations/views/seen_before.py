"""The "seen before" panel: similar claims of other articles in a claim's editor, and copying
one's verdict and sources onto it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from .. import permissions, similar
from ..models import Annotation
from .regions import after_change
from .relations import existing_span_id, refused
from .review import span_or_gone

RESULTS = "annotations/editor/seen_before.html#seen-before-results"


def _may_copy(user, annotation) -> bool:
    return permissions.can_give_verdict(user, annotation) and permissions.can_add_source(
        user, annotation
    )


@require_GET
def seen_before_panel(request, annotation_id):
    """The matches, loaded by the editor once it is open (the lookup never slows it)."""
    annotation = span_or_gone(annotation_id, request.user, related=("label",))
    matches = similar.seen_before(annotation, user=request.user)
    context = {
        "active": annotation,
        "matches": matches,
        "applied": similar.already_applied(annotation, matches),
        "can_copy": _may_copy(request.user, annotation),
    }
    return render(request, RESULTS, context)


@require_POST
def seen_before_copy(request, annotation_id, match_id):
    annotation = span_or_gone(annotation_id, request.user, related=("article", "label", "verdict"))
    if not _may_copy(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can change its verdict.")
    existing_span_id(
        str(match_id),
        request.user,
        gone="The claim #{id} was deleted by {who}; nothing was copied.",
    )
    match = Annotation.objects.select_related("verdict__scale").get(pk=match_id)
    try:
        outcome = similar.copy_from_match(annotation=annotation, match=match, actor=request.user)
    except ValidationError as error:
        return refused(request, annotation, " ".join(error.messages), key="seen_error")
    return after_change(
        request,
        annotation.article,
        active=annotation,
        touched=[(annotation.start, annotation.end)],
        list_ops=[("upsert", annotation.pk)],
        toast={"text": outcome.message},
        message=outcome.message,
    )
