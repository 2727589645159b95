"""A span's evidence sources, added and removed from its editor."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from .. import permissions, services
from ..forms import SourceForm
from ..models import Evidence
from .regions import PAGE, after_change, render_editor
from .review import span_or_gone


@require_GET
def source_form(request, annotation_id):
    """The "Add a source" form, fetched when the reviewer opens it."""
    annotation = span_or_gone(annotation_id)
    if not permissions.can_add_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    context = {"active": annotation, "source_form": SourceForm(prefix="source")}
    return render(request, "annotations/editor/sources.html#source-form", context)


@require_POST
def source_create(request, annotation_id):
    annotation = span_or_gone(annotation_id)
    if not permissions.can_add_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    form = SourceForm(request.POST, prefix="source")
    if form.is_valid():
        try:
            services.source_create(annotation=annotation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _changed(request, annotation)
    # The errors beside everything typed, so nothing is lost.
    return render_editor(
        request, annotation.article, active=annotation, source_form=form, status=422
    )


@require_POST
def source_delete(request, source_id):
    source = get_object_or_404(Evidence.objects.select_related("annotation__article"), pk=source_id)
    annotation = source.annotation
    if not permissions.can_delete_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can remove its sources.")
    services.source_delete(source=source, actor=request.user)
    return _changed(request, annotation)


def _changed(request, annotation):
    # A source changes the span's list item (its count), not its highlight.
    return after_change(
        request,
        annotation.article,
        active=annotation,
        touched=[(annotation.start, annotation.end)],
        list_ops=[("upsert", annotation.pk)],
    )
