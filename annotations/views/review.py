"""The review page: read an article, highlight spans, label them, attach sources.

Every change re-renders the page's "workspace" partial (reading pane + sidebar) for
htmx, and redirects back to the page otherwise, so each URL also works without JS.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import permissions, selectors, services
from ..conflicts import Conflict, Gone, StaleEdit
from ..forms import AnnotationEditForm, SourceForm, SpanForm, StatusForm
from ..models import Annotation, Article, HistoryEvent, Label, Source
from ..offsets import SpanError
from ..rendering import highlighted_body, span_list_items

PAGE = "annotations/article_detail.html"


def _editor_context(request, active, *, edit_form=None, source_form=None, conflict=None) -> dict:
    """The span editor: the open span with its sources, and its forms if the user may edit."""
    if active is not None:
        active = selectors.annotation_for_editor(active.pk)
    can_edit_active = active is not None and permissions.can_edit_annotation(request.user, active)
    if can_edit_active:
        edit_form = edit_form or AnnotationEditForm(instance=active, prefix="edit")
        source_form = source_form or SourceForm(prefix="source")
    return {
        "active": active,
        "can_edit_active": can_edit_active,
        "can_delete_active": active is not None
        and permissions.can_delete_annotation(request.user, active),
        "edit_form": edit_form,
        "source_form": source_form,
        "conflict": selectors.conflict_summary(conflict) if conflict else None,
    }


def _review_context(
    request, article, *, active=None, edit_form=None, source_form=None, conflict=None
):
    labels = selectors.all_labels()
    annotations = selectors.article_annotations(article, labels)
    return {
        **_editor_context(
            request, active, edit_form=edit_form, source_form=source_form, conflict=conflict
        ),
        "article": article,
        "annotations": annotations,
        "highlighted": highlighted_body(article.body, annotations),
        "labels": [label for label in labels.values() if label.active],
        "deleted": selectors.deleted_annotations(article),
        "can_annotate": permissions.can_annotate(request.user),
        "can_set_status": permissions.can_set_status(request.user),
        "status_form": StatusForm(initial={"status": article.status}),
        # One reverse() for a thousand list links: "/annotations/" + id + "/".
        "span_list": span_list_items(
            annotations, reverse("annotation-detail", args=[0]).removesuffix("0/")
        ),
        "nav": "articles",
    }


def _workspace(request, article, *, status=200, **kwargs):
    """The whole page, or just the workspace region for htmx."""
    template = f"{PAGE}#workspace" if request.htmx else PAGE
    return render(request, template, _review_context(request, article, **kwargs), status=status)


def _after_change(request, article, active=None):
    if request.htmx:
        return _workspace(request, article, active=active)
    if active is not None:
        return redirect("annotation-detail", annotation_id=active.pk)
    return redirect("article-detail", article_id=article.pk)


def _plain_error(message: str, status: int = 400) -> HttpResponse:
    # htmx shows 4xx bodies in the page's message area (see review.js).
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _span_or_gone(annotation_id, related=("article",)) -> Annotation:
    """The span, or Gone naming who deleted it (a 409), or a 404 if it never existed."""
    annotation = Annotation.objects.select_related(*related).filter(pk=annotation_id).first()
    if annotation is not None:
        return annotation
    deletion = selectors.latest_deletion(annotation_id)
    if deletion is None:
        raise Http404("No such span.")
    who = deletion.actor.get_username() if deletion.actor else "someone"
    raise Gone(
        f"This span was deleted by {who}; nothing was changed. It can be restored from "
        "“Recently deleted” on its article."
    )


@require_GET
def article_detail(request, article_id):
    article = get_object_or_404(Article, pk=article_id)
    return _workspace(request, article)


@require_GET
def annotation_detail(request, annotation_id):
    annotation = _span_or_gone(annotation_id)
    if request.htmx:
        # Only the editor is swapped: no need to highlight the whole article.
        return render(request, f"{PAGE}#editor", _editor_context(request, annotation))
    return _workspace(request, annotation.article, active=annotation)


@require_POST
def annotation_create(request, article_id):
    article = get_object_or_404(Article, pk=article_id)
    if not permissions.can_annotate(request.user):
        raise PermissionDenied("Your account cannot add annotations.")
    form = SpanForm(request.POST)
    if not form.is_valid():
        return _plain_error(form.first_error())
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
        return _plain_error(_message(error))
    return _after_change(request, article, active=annotation)


def _update_annotation(request, annotation):
    # The form writes its values into its instance while validating; give it a copy so
    # `annotation` is still the stored version when the service records "before".
    copy = Annotation.objects.get(pk=annotation.pk)
    form = AnnotationEditForm(request.POST, instance=copy, prefix="edit")
    if not form.is_valid():
        return _workspace(
            request, annotation.article, active=annotation, edit_form=form, status=422
        )
    try:
        services.annotation_update(
            annotation=annotation,
            actor=request.user,
            label=form.cleaned_data["label"],
            speaker=form.cleaned_data["speaker"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except StaleEdit as conflict:
        return _stale_edit(request, annotation, conflict)
    except ValidationError as error:
        form.add_error(None, error)
        return _workspace(
            request, annotation.article, active=annotation, edit_form=form, status=422
        )
    if not request.htmx:
        messages.success(request, "Annotation saved.")
    return _after_change(request, annotation.article, active=annotation)


def _stale_edit(request, annotation, conflict: StaleEdit):
    """409: the saved version beside what this user typed, which stays in the form.

    The form now carries the saved version, so saving it again applies these values on
    top of the other person's change, knowingly.
    """
    data = request.POST.copy()
    data["edit-version"] = str(conflict.current["version"])
    form = AnnotationEditForm(
        data, instance=Annotation.objects.get(pk=annotation.pk), prefix="edit"
    )
    form.is_valid()
    return _workspace(
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
        annotation = _span_or_gone(annotation_id, related=("article", "label"))
        _require_edit(request, annotation)
        return _update_annotation(request, annotation)
    return annotation_detail(request, annotation_id)


@require_POST
def annotation_delete(request, annotation_id):
    annotation = _span_or_gone(annotation_id)
    if not permissions.can_delete_annotation(request.user, annotation):
        raise PermissionDenied("You can only delete your own annotations; ask an editor.")
    article = annotation.article
    services.annotation_delete(annotation=annotation, actor=request.user)
    if not request.htmx:
        messages.success(request, "Annotation deleted. You can restore it from the sidebar.")
    return _after_change(request, article)


@require_POST
def annotation_restore(request, event_id):
    event = get_object_or_404(HistoryEvent, pk=event_id)
    article = get_object_or_404(Article, pk=event.article_id)
    try:
        annotation = services.annotation_restore(event=event, actor=request.user)
    except Conflict as conflict:
        return _plain_error(conflict.message, status=409)
    return _after_change(request, article, active=annotation)


@require_POST
def source_create(request, annotation_id):
    annotation = _span_or_gone(annotation_id)
    if not permissions.can_add_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can add its sources.")
    form = SourceForm(request.POST, prefix="source")
    if not form.is_valid():
        # Re-render with the errors and everything typed, so nothing is lost.
        return _workspace(
            request, annotation.article, active=annotation, source_form=form, status=422
        )
    try:
        services.source_create(annotation=annotation, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return _workspace(
            request, annotation.article, active=annotation, source_form=form, status=422
        )
    return _after_change(request, annotation.article, active=annotation)


@require_POST
def source_delete(request, source_id):
    source = get_object_or_404(Source.objects.select_related("annotation__article"), pk=source_id)
    annotation = source.annotation
    if not permissions.can_delete_source(request.user, annotation):
        raise PermissionDenied("Only the span's author or an editor can remove its sources.")
    services.source_delete(source=source, actor=request.user)
    return _after_change(request, annotation.article, active=annotation)


@require_POST
def article_status(request, article_id):
    article = get_object_or_404(Article, pk=article_id)
    if not permissions.can_set_status(request.user):
        raise PermissionDenied("Your account cannot change an article's status.")
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _plain_error("Unknown status.")
    services.article_set_status(
        article=article, status=form.cleaned_data["status"], actor=request.user
    )
    return _after_change(request, article)


@require_GET
def label_stylesheet(request):
    """Label colours as CSS custom properties: no inline styles, so CSP stays strict."""
    rules = [
        f'[data-label="{label.slug}"] {{ --label-colour: {label.colour}; }}'
        for label in Label.objects.all()
        if _safe_colour(label.colour) and _safe_slug(label.slug)
    ]
    response = HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")
    patch_cache_control(response, private=True, max_age=60)
    return response


# Label values are written into CSS: only what the admin's validators allow gets through.
_SAFE_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _safe_colour(colour: str) -> bool:
    return _SAFE_COLOUR.fullmatch(colour) is not None


def _safe_slug(slug: str) -> bool:
    return _SAFE_SLUG.fullmatch(slug) is not None


def _require_edit(request, annotation):
    if not permissions.can_edit_annotation(request.user, annotation):
        raise PermissionDenied("You can only change your own annotations; ask an editor.")


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
