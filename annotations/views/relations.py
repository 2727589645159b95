"""Links between spans: a denial linked to the claim it denies, from the span's editor.

The link belongs to the span that points (from_span); the editor that was open is drawn
again with the link in it. A refusal (itself, another article, twice, a bad type) is the
editor again with the reason (422); a span deleted meanwhile is a 409 with who did it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import permissions, selectors, services
from ..conflicts import Gone
from ..models import Annotation, HistoryEvent, Relation
from .regions import PAGE, after_change, editor_context
from .review import span_or_gone

# Ids past this cannot be stored (bigint): asking for one is asking for nothing.
_LARGEST_ID = 2**63 - 1


def span_id(value) -> int | None:
    """A span id typed into a request, or None when it is not one."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    return int(value)


def existing_span_id(value, user, *, gone: str) -> int:
    """The id of a live span the user may see; Http404 for one that never was (or that
    they may not see), Gone (409) naming who deleted it for one that was."""
    pk = span_id(value)
    if pk is None or pk > _LARGEST_ID:
        raise Http404(permissions.NO_SUCH_SPAN)
    live = Annotation.objects.filter(pk=pk).select_related("article").first()
    if live is not None:
        permissions.require_visible_span(user, live)
        return pk
    deletion = selectors.latest_deletion(pk)
    if deletion is None:
        raise Http404(permissions.NO_SUCH_SPAN)
    permissions.require_visible_deleted_span(user, deletion)
    who = deletion.actor.get_username() if deletion.actor else "someone"
    raise Gone(gone.format(id=pk, who=who))


def refused(request, annotation, message: str, *, key: str):
    """The editor again with the reason beside the part refused (422); without htmx, the
    span's page with the message."""
    if not request.htmx:
        messages.error(request, message)
        return redirect("annotation-detail", annotation_id=annotation.pk)
    context = {"article": annotation.article, **editor_context(request, annotation), key: message}
    return render(request, f"{PAGE}#editor", context, status=422)


def _redrawn(request, annotation, message: str):
    # A link changes the editor only; its paragraph is what after_change redraws at least.
    return after_change(
        request,
        annotation.article,
        active=annotation,
        touched=[(annotation.start, annotation.end)],
        list_ops=[],
        message=message,
    )


@require_POST
def relation_create(request, annotation_id):
    origin = span_or_gone(annotation_id, request.user, related=("article", "label"))
    if not permissions.can_link_spans(request.user, origin):
        raise PermissionDenied("Only the span's author or an editor can link it.")
    if span_id(request.POST.get("to_span")) is None:
        return refused(
            request,
            origin,
            "Choose the span this one answers: click a highlight, or press j/k then Enter.",
            key="link_error",
        )
    target_id = existing_span_id(
        request.POST.get("to_span"),
        request.user,
        gone="Span #{id} was deleted by {who}; nothing was linked.",
    )
    try:
        relation = services.relation_create(
            from_span=origin,
            to_span_id=target_id,
            type=request.POST.get("type", ""),
            actor=request.user,
        )
    except ValidationError as error:
        return refused(request, origin, " ".join(error.messages), key="link_error")
    return _redrawn(request, origin, f"Linked: {relation}.")


@require_POST
def relation_delete(request, relation_id):
    relation = (
        Relation.objects.select_related("from_span__article", "to_span__article")
        .filter(pk=relation_id)
        .first()
    )
    if relation is None:
        removed = (
            HistoryEvent.objects.filter(kind=HistoryEvent.Kind.RELATION, object_id=relation_id)
            .order_by("-id")
            .first()
        )
        if removed and permissions.may_see_span_id(
            request.user, removed.annotation_id_ref, article_id=removed.article_id
        ):
            raise Gone("This link was already removed (or one of its spans was deleted).")
        raise Http404("No such link.")
    # A link is seen by who sees both its ends.
    for end in (relation.from_span, relation.to_span):
        if not permissions.may_see_span(request.user, end):
            raise Http404("No such link.")
    if not permissions.can_unlink_spans(request.user, relation.from_span):
        raise PermissionDenied("Only the linking span's author or an editor can remove this link.")
    services.relation_delete(relation=relation, actor=request.user)
    # The editor that was open stays open: either end of the link.
    ends = {relation.from_span_id: relation.from_span, relation.to_span_id: relation.to_span}
    shown = ends.get(span_id(request.POST.get("open")), relation.from_span)
    return _redrawn(request, shown, "Link removed.")
