"""The review page's regions, and the answers that update only what changed.

The page is one template (annotations/article_detail.html) whose regions are partials:
the reading pane, the span editor, the span list, the recently deleted spans and the
article's header. A change answers with the editor (the request's target) plus the other
regions it touched as out-of-band swaps, so the reader's scroll position, the sidebar's
scroll and the keyboard focus stay where they were. Without htmx, every action redirects
back to the page, so each URL also works on a full reload.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from .. import permissions, selectors
from ..forms import AnnotationEditForm, ArticleMetadataForm, SourceForm, StatusForm
from ..rendering import block_bounds, highlighted_blocks, highlighted_body, span_list_items
from ..sentences import sentence_boundaries_attr

PAGE = "annotations/article_detail.html"
STATE_HEADER = "X-Article-State"
# Span list items sent at once; more load as the list is scrolled (5,000 spans would be
# a megabyte of list the reviewer mostly never sees).
LIST_PAGE = 200


def _list_prefix() -> str:
    # One reverse() for a thousand list links: "/annotations/" + id + "/".
    return reverse("annotation-detail", args=[0]).removesuffix("0/")


def span_matches(span, label_slug: str, reviewer: str) -> bool:
    """Whether a span passes the span list's filter (empty parts match everything)."""
    return (not label_slug or span.label.slug == label_slug) and (
        not reviewer or span.author == reviewer
    )


def _label_counts(labels: dict, counts: dict) -> list:
    return [
        (label, counts.get(label.pk, 0))
        for label in labels.values()
        if label.active or counts.get(label.pk)
    ]


def editor_context(
    request, active, *, edit_form=None, source_form=None, conflict=None, labels=None
) -> dict:
    """The span editor: the open span with its sources, and its forms if the user may edit.

    `labels` (all labels, by id), when the caller has them, fill the label picker without
    another query.
    """
    if active is not None and not getattr(active, "_prefetched_objects_cache", None):
        active = selectors.annotation_for_editor(active.pk)
    can_edit_active = active is not None and permissions.can_edit_annotation(request.user, active)
    if can_edit_active:
        if edit_form is None:
            edit_form = AnnotationEditForm(instance=active, prefix="edit")
            if labels is not None:
                edit_form.fields["label"].choices = [
                    (label.pk, label.name)
                    for label in labels.values()
                    if label.active or label.pk == active.label_id
                ]
        # htmx answers leave the source form to be fetched when "Add a source" opens.
        if source_form is None and not request.htmx:
            source_form = SourceForm(prefix="source")
    return {
        "active": active,
        "can_edit_active": can_edit_active,
        "can_delete_active": active is not None
        and permissions.can_delete_annotation(request.user, active),
        "edit_form": edit_form,
        "source_form": source_form,
        "conflict": selectors.conflict_summary(conflict) if conflict else None,
    }


def list_filter(request) -> tuple[str, str]:
    """The span list's filter as the page sends it with every request (review.js)."""
    data = request.POST if request.method == "POST" else request.GET
    return data.get("list_label", "").strip()[:100], data.get("list_reviewer", "").strip()[:150]


def spans_context(request, article, *, label_slug=None, reviewer=None) -> dict:
    """The reading pane, the span list with its counts and filters, and the deleted spans."""
    context = span_list_context(request, article, label_slug=label_slug, reviewer=reviewer)
    return {
        **context,
        "highlighted": highlighted_body(article.body, context["annotations"]),
        "deleted": selectors.deleted_annotations(article),
        "state_tag": selectors.article_state_tag(article.pk),
    }


def span_list_context(request, article, *, label_slug=None, reviewer=None, offset=0) -> dict:
    """The span list: its counts, its filter, and one page of its items."""
    if label_slug is None or reviewer is None:
        label_slug, reviewer = list_filter(request)
    labels = selectors.all_labels()
    annotations = selectors.article_annotations(article, labels)
    listed = [span for span in annotations if span_matches(span, label_slug, reviewer)]
    counts = {}
    for span in annotations:
        counts[span.label.pk] = counts.get(span.label.pk, 0) + 1
    return {
        "article": article,
        "annotations": annotations,
        "labels": [label for label in labels.values() if label.active],
        "label_counts": _label_counts(labels, counts),
        "reviewers": sorted({span.author for span in annotations}),
        "span_filter": {"label": label_slug, "reviewer": reviewer},
        "listed_count": len(listed),
        "span_total": len(annotations),
        **list_page_context(article, listed, offset),
    }


def list_page_context(article, listed: list, offset: int) -> dict:
    """One page of the span list, and where the next one starts (None at the end)."""
    page = listed[offset : offset + LIST_PAGE]
    following = offset + LIST_PAGE if offset + LIST_PAGE < len(listed) else None
    return {
        "article": article,
        "span_list": span_list_items(page, _list_prefix()),
        "more_offset": following,
    }


def _summary_of(annotation) -> selectors.SpanSummary:
    """The list's view of a span the editor has loaded already (label, author, sources)."""
    return selectors.SpanSummary(
        annotation.pk,
        annotation.label,
        annotation.start,
        annotation.end,
        annotation.quote,
        annotation.speaker.name if annotation.speaker_id else "",
        len(annotation.sources.all()),
        annotation.author.get_username(),
        (annotation.verdict.name, annotation.verdict.value) if annotation.verdict_id else None,
    )


def changes_context(
    request, article, *, touched, list_ops, labels, active=None, refresh_deleted=False
) -> dict:
    """What a change to one span needs redrawn: the blocks (paragraphs) of the pane it
    touched, the counts, that span's list item, the deleted spans when a span was deleted
    or restored. Nothing here grows with the article's other spans."""
    label_slug, reviewer = list_filter(request)
    bounds = block_bounds(article.body, touched)
    around = selectors.spans_overlapping(article, *bounds, labels)
    counts = selectors.article_label_counts(article.pk)
    total = sum(counts.values())
    ops = []
    prefix = _list_prefix()
    for kind, span_id in list_ops:
        summary = None
        if kind == "upsert":
            opened = active is not None and active.pk == span_id
            summary = _summary_of(active) if opened else selectors.span_summary(span_id, labels)
        if summary is not None and span_matches(summary, label_slug, reviewer):
            ops.append(
                {"kind": "upsert", "id": span_id, "html": span_list_items([summary], prefix)}
            )
        else:
            ops.append({"kind": "remove", "id": span_id, "html": ""})
    listed_count = total
    if label_slug or reviewer:
        listed_count = selectors.count_spans(article.pk, label_slug, reviewer)
    return {
        "article": article,
        "changed_blocks": highlighted_blocks(article.body, around, touched),
        "label_counts": _label_counts(labels, counts),
        "span_total": total,
        "listed_count": listed_count,
        "list_ops": ops,
        # The deleted list changes when a span leaves or comes back, not otherwise.
        "deleted": selectors.deleted_annotations(article) if refresh_deleted else None,
        "state_tag": selectors.article_state_tag(article.pk),
    }


def header_context(request, article, *, metadata_form=None, span_total=None) -> dict:
    can_edit_metadata = permissions.can_edit_article(request.user)
    previous, following = selectors.neighbours(article)
    return {
        "article": article,
        "span_total": article.annotations.count() if span_total is None else span_total,
        "can_set_status": permissions.can_set_status(request.user),
        "status_form": StatusForm(initial={"status": article.status}),
        "can_edit_metadata": can_edit_metadata,
        "metadata_form": metadata_form
        or (ArticleMetadataForm(instance=article) if can_edit_metadata else None),
        "previous_id": previous,
        "next_id": following,
    }


def page_context(request, article, *, active=None, **editor) -> dict:
    spans = spans_context(request, article)
    return {
        **editor_context(request, active, **editor),
        **header_context(request, article, span_total=spans["span_total"]),
        **spans,
        "can_annotate": permissions.can_annotate(request.user),
        "sentences": sentence_boundaries_attr(article.body),
        "nav": "articles",
    }


def _with_state(response: HttpResponse, tag: str) -> HttpResponse:
    response[STATE_HEADER] = tag
    return response


def render_page(request, article, *, status=200, active=None, **editor) -> HttpResponse:
    context = page_context(request, article, active=active, **editor)
    return _with_state(render(request, PAGE, context, status=status), context["state_tag"])


def render_editor(request, article, *, status=200, active=None, **editor) -> HttpResponse:
    """Only the editor: opening a span, a form error (422), a stale edit (409)."""
    if not request.htmx:
        return render_page(request, article, status=status, active=active, **editor)
    context = {"article": article, **editor_context(request, active, **editor)}
    return render(request, f"{PAGE}#editor", context, status=status)


def render_changes(
    request, article, *, touched, list_ops, active=None, toast=None, refresh_deleted=False
):
    """The editor, plus the touched paragraphs of the pane, the span's list item, the
    counts and the deleted spans as out-of-band swaps: nothing else."""
    labels = selectors.all_labels()
    editor = editor_context(request, active, labels=labels)
    context = {
        **editor,
        **changes_context(
            request,
            article,
            touched=touched,
            list_ops=list_ops,
            labels=labels,
            active=editor["active"],
            refresh_deleted=refresh_deleted,
        ),
        "toast": toast,
    }
    response = render(request, f"{PAGE}#changes", context)
    return _with_state(response, context["state_tag"])


def after_change(
    request,
    article,
    *,
    touched,
    list_ops,
    active=None,
    toast=None,
    message=None,
    refresh_deleted=False,
):
    """htmx: the changed regions; otherwise back to the page (or the span's URL).

    `touched` lists the [start, end) ranges of text whose highlights changed, `list_ops`
    the span list items to refresh: ("upsert", id) or ("remove", id); `refresh_deleted`
    redraws "Recently deleted" (a span was deleted or restored).
    """
    if request.htmx:
        return render_changes(
            request,
            article,
            touched=touched,
            list_ops=list_ops,
            active=active,
            toast=toast,
            refresh_deleted=refresh_deleted,
        )
    if message:
        messages.success(request, message)
    if active is not None:
        return redirect("annotation-detail", annotation_id=active.pk)
    return redirect("article-detail", article_id=article.pk)


def plain_error(message: str, status: int = 400) -> HttpResponse:
    # htmx shows 4xx bodies in the page's message area (see review.js).
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
