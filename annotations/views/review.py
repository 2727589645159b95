"""The review page and its spans: read an article, highlight spans, label, edit, delete,
restore. Each change answers with only the regions it touched (views/regions.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import permissions, selectors, services
from ..conflicts import Conflict, Gone, StaleEdit
from ..forms import AnnotationEditForm, SpanForm
from ..models import Annotation, Article, HistoryEvent
from ..offsets import SpanError
from .regions import after_change, fit_to_article, plain_error, render_editor, render_page


def span_or_gone(annotation_id, user, related=("article",)) -> Annotation:
    """The span, or Gone naming who deleted it (a 409), or a 404 if it never existed or
    the user may not see it (another reviewer's, in blind mode): the same 404 either way."""
    spans = Annotation.objects.select_related(*related) if related else Annotation.objects
    annotation = spans.filter(pk=annotation_id).first()
    if annotation is not None:
        permissions.require_visible_span(user, annotation)
        return annotation
    deletion = selectors.latest_deletion(annotation_id)
    if deletion is None:
        raise Http404(permissions.NO_SUCH_SPAN)
    permissions.require_visible_deleted_span(user, deletion)
    who = deletion.actor.get_username() if deletion.actor else "someone"
    raise Gone(
        f"This span was deleted by {who}; nothing was changed. It can be restored from "
        "“Recently deleted” on its article."
    )


@require_GET
def article_detail(request, article_id):
    article = permissions.openable_article_or_refuse(request.user, article_id)
    return render_page(request, article)


@require_GET
def annotation_detail(request, annotation_id):
    # Read once, with what the editor shows; the article (its body can be megabytes) only
    # for a full page.
    annotation = selectors.annotation_for_editor(annotation_id)
    if annotation is None:
        annotation = span_or_gone(annotation_id, request.user)
    permissions.require_visible_span(request.user, annotation)
    article = annotation.article if not request.htmx else Article(pk=annotation.article_id)
    return render_editor(request, article, active=annotation)


@require_POST
def annotation_create(request, article_id):
    article = permissions.openable_article_or_refuse(request.user, article_id)
    if not permissions.can_annotate(request.user):
        raise PermissionDenied("Your account cannot add annotations.")
    form = SpanForm(request.POST)
    if not form.is_valid():
        return plain_error(form.first_error())
    try:
        annotation = services.annotation_create(
            article=article,
            label=form.cleaned_data["label"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            quote=form.cleaned_data["quote"],
            author=request.user,
        )
    except (SpanError, ValidationError) as error:
        return plain_error(_message(error))
    return after_change(
        request,
        article,
        active=selectors.new_span_for_editor(annotation, request.user),
        touched=[(annotation.start, annotation.end)],
        list_ops=[("upsert", annotation.pk)],
    )


def _update_annotation(request, annotation):
    # The form writes its values into its instance while validating; give it a copy so
    # `annotation` is still the stored version when the service records "before".
    # Deleted a moment ago: a 409, not a 500.
    copy = span_or_gone(annotation.pk, request.user, related=())
    form = fit_to_article(
        AnnotationEditForm(request.POST, instance=copy, prefix="edit"),
        annotation.article,
        request.user,
    )
    if not form.is_valid():
        return render_editor(
            request, annotation.article, active=annotation, edit_form=form, status=422
        )
    try:
        saved = services.annotation_update(
            annotation=annotation,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            **form.changes(),
        )
    except StaleEdit as conflict:
        return _stale_edit(request, annotation, conflict)
    except ValidationError as error:
        form.add_error(None, error)
        return render_editor(
            request, annotation.article, active=annotation, edit_form=form, status=422
        )
    return after_change(
        request,
        annotation.article,
        active=saved,
        touched=[(saved.start, saved.end)],
        list_ops=[("upsert", saved.pk)],
        message="Annotation saved.",
    )


def _stale_edit(request, annotation, conflict: StaleEdit):
    """409: the saved version beside what this user typed, which stays in the form.

    The form now carries the saved version, so saving it again applies these values on
    top of the other person's change, knowingly.
    """
    data = request.POST.copy()
    data["edit-version"] = str(conflict.current["version"])
    stored = span_or_gone(annotation.pk, request.user, related=())
    form = fit_to_article(
        AnnotationEditForm(data, instance=stored, prefix="edit"), annotation.article, request.user
    )
    form.is_valid()
    return render_editor(
        request,
        annotation.article,
        active=annotation,
        edit_form=form,
        conflict=conflict,
        status=409,
    )


@require_http_methods(["GET", "POST"])
def annotation_detail_or_update(request, annotation_id):
    if request.method == "POST":
        annotation = span_or_gone(annotation_id, request.user, related=("article", "label"))
        if not permissions.can_edit_annotation(request.user, annotation):
            raise PermissionDenied("You can only change your own annotations; ask an editor.")
        return _update_annotation(request, annotation)
    return annotation_detail(request, annotation_id)


@require_POST
def annotation_delete(request, annotation_id):
    annotation = span_or_gone(annotation_id, request.user)
    if not permissions.can_delete_annotation(request.user, annotation):
        raise PermissionDenied("You can only delete your own annotations; ask an editor.")
    deletion = services.annotation_delete(annotation=annotation, actor=request.user)
    return after_change(
        request,
        annotation.article,
        touched=[(annotation.start, annotation.end)],
        list_ops=[("remove", annotation.pk)],
        refresh_deleted=True,
        toast={"text": "Span deleted.", "undo_event": deletion.pk},
        message="Annotation deleted. You can restore it from the sidebar.",
    )


@require_POST
def annotation_restore(request, event_id):
    event = get_object_or_404(HistoryEvent, pk=event_id)
    # Someone else's deleted span on a blind article is one that never was, here too.
    permissions.require_visible_deleted_span(request.user, event)
    article = permissions.openable_article_or_refuse(request.user, event.article_id)
    try:
        annotation = services.annotation_restore(event=event, actor=request.user)
    except Conflict as conflict:
        return plain_error(conflict.message, status=409)
    return after_change(
        request,
        article,
        active=annotation,
        touched=[(annotation.start, annotation.end)],
        list_ops=[("upsert", annotation.pk)],
        refresh_deleted=True,
    )


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
