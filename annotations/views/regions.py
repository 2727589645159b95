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
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from .. import permissions, selectors
from ..forms import AnnotationEditForm, ArticleMetadataForm, SourceForm, StatusForm
from ..models import Annotation, Article, Speaker
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


def _label_counts(labels: dict, counts: dict, offered: list) -> list:
    """Each offered label with its count, and any other label that has spans here."""
    offered_ids = {label.pk for label in offered}
    return [
        (label, counts.get(label.pk, 0))
        for label in labels.values()
        if label.pk in offered_ids or counts.get(label.pk)
    ]


def _article_of(active, article):
    if article is not None:
        return article
    if "article" in active._state.fields_cache:
        return active.article
    return Article(pk=active.article_id)


def fit_to_article(form: AnnotationEditForm, article, user, labels=None) -> AnnotationEditForm:
    """The editor's label and verdict pickers offer what the article's collections use
    (permissions.vocabulary), plus the span's current label and verdict so neither is lost
    by saving. `labels` (all labels, by id), when the caller has them, fill the label
    picker without another query."""
    span = form.instance
    allowed = permissions.article_label_ids(article, user)
    if labels is not None:
        form.fields["label"].choices = [
            (label.pk, label.name)
            for label in labels.values()
            if label.pk == span.label_id
            or (label.active and (allowed is None or label.pk in allowed))
        ]
    elif allowed is not None:
        field = form.fields["label"]
        field.queryset = field.queryset.filter(Q(pk__in=allowed) | Q(pk=span.label_id))
    if permissions.article_rating_scale_id(article, user) is not None:
        form.fields["verdict"].queryset = permissions.article_ratings(
            article, keep_id=span.verdict_id
        )
    if permissions.is_blind_for(user, article):
        _hide_others_speaker_names(form, article, user)
    return form


def _hide_others_speaker_names(form, article, user) -> None:
    """The speaker guess completes names typed on the article's spans; in blind mode a
    name only another reviewer typed must not come back as a suggestion."""
    suggestion = form.speaker_suggestion  # a cached_property: replaced below if hidden
    if not suggestion:
        return
    typed_by_others = (
        Speaker.objects.filter(name=suggestion, annotations__article_id=article.pk)
        .exclude(
            Exists(
                Annotation.objects.filter(
                    speaker=OuterRef("pk"), article_id=article.pk, author_id=user.pk
                )
            )
        )
        .exists()
    )
    if typed_by_others:
        form.__dict__["speaker_suggestion"] = None


def hide_unseen_links(user, active, article) -> None:
    """The editor's links, without those to spans the user may not see (links stay within
    one article, so its blind check decides)."""
    if active is None or not permissions.is_blind_for(user, article):
        return
    cache = getattr(active, "_prefetched_objects_cache", {})
    for name, end in (("relations_out", "to_span"), ("relations_in", "from_span")):
        links = cache.get(name)
        if links is not None and links._result_cache is not None:
            links._result_cache = [
                link for link in links if getattr(link, f"{end}").author_id == user.pk
            ]


def editor_context(
    request, active, *, article=None, edit_form=None, source_form=None, conflict=None, labels=None
) -> dict:
    """The span editor: the open span with its sources, and its forms if the user may edit."""
    if active is not None and not getattr(active, "_prefetched_objects_cache", None):
        active = selectors.annotation_for_editor(active.pk)
    if active is not None:
        hide_unseen_links(request.user, active, _article_of(active, article))
    can_edit_active = active is not None and permissions.can_edit_annotation(request.user, active)
    if can_edit_active:
        if edit_form is None:
            edit_form = fit_to_article(
                AnnotationEditForm(instance=active, prefix="edit"),
                _article_of(active, article),
                request.user,
                labels,
            )
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


def spans_context(request, article, *, label_slug=None, reviewer=None, limit=LIST_PAGE) -> dict:
    """The reading pane, the span list with its counts and filters (its first `limit`
    items), and the deleted spans."""
    context = span_list_context(
        request, article, label_slug=label_slug, reviewer=reviewer, limit=limit
    )
    return {
        **context,
        "highlighted": highlighted_body(article.body, context["annotations"]),
        "deleted": selectors.deleted_annotations(request.user, article),
        "state_tag": selectors.article_state_tag(request.user, article),
    }


def span_list_context(
    request, article, *, label_slug=None, reviewer=None, offset=0, limit=LIST_PAGE
) -> dict:
    """The span list: its counts, its filter, and `limit` of its items from `offset`."""
    if label_slug is None or reviewer is None:
        label_slug, reviewer = list_filter(request)
    labels = selectors.all_labels()
    annotations = selectors.article_annotations(request.user, article, labels)
    listed = [span for span in annotations if span_matches(span, label_slug, reviewer)]
    counts = {}
    for span in annotations:
        counts[span.label.pk] = counts.get(span.label.pk, 0) + 1
    # The label bar: what the article's collections use.
    offered = permissions.offered_labels(article, labels.values(), request.user)
    return {
        "article": article,
        "annotations": annotations,
        "labels": offered,
        "label_counts": _label_counts(labels, counts, offered),
        "reviewers": sorted({span.author for span in annotations}),
        "span_filter": {"label": label_slug, "reviewer": reviewer},
        "listed_count": len(listed),
        "span_total": len(annotations),
        **list_page_context(article, listed, offset, limit),
    }


def list_page_context(article, listed: list, offset: int, limit: int = LIST_PAGE) -> dict:
    """One page of the span list (or `limit` items), and where the next one starts (None
    at the end)."""
    page = listed[offset : offset + limit]
    following = offset + limit if offset + limit < len(listed) else None
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
    around = selectors.spans_overlapping(request.user, article, *bounds, labels)
    counts = selectors.article_label_counts(request.user, article)
    total = sum(counts.values())
    ops = []
    prefix = _list_prefix()
    for kind, span_id in list_ops:
        summary = None
        if kind == "upsert":
            opened = active is not None and active.pk == span_id
            summary = (
                _summary_of(active)
                if opened
                else selectors.span_summary(request.user, article, span_id, labels)
            )
        if summary is not None and span_matches(summary, label_slug, reviewer):
            ops.append(
                {"kind": "upsert", "id": span_id, "html": span_list_items([summary], prefix)}
            )
        else:
            ops.append({"kind": "remove", "id": span_id, "html": ""})
    listed_count = total
    if label_slug or reviewer:
        listed_count = selectors.count_spans(request.user, article, label_slug, reviewer)
    return {
        "article": article,
        "changed_blocks": highlighted_blocks(article.body, around, touched),
        "label_counts": _label_counts(
            labels, counts, permissions.offered_labels(article, labels.values(), request.user)
        ),
        "span_total": total,
        "listed_count": listed_count,
        "list_ops": ops,
        # The deleted list changes when a span leaves or comes back, not otherwise.
        "deleted": selectors.deleted_annotations(request.user, article)
        if refresh_deleted
        else None,
        "state_tag": selectors.article_state_tag(request.user, article),
    }


def header_context(request, article, *, metadata_form=None, span_total=None) -> dict:
    can_edit_metadata = permissions.can_edit_article(request.user)
    # Prev/Next move among the articles this user may open.
    previous, following = selectors.neighbours(article, request.user)
    if span_total is None:
        span_total = selectors.article_spans(request.user, article).count()
    return {
        "article": article,
        "span_total": span_total,
        "can_set_status": permissions.can_set_status(request.user),
        # In blind mode the page says why other reviewers' spans are missing.
        "blind_review": permissions.is_blind_for(request.user, article),
        "status_form": StatusForm(initial={"status": article.status}),
        "status_choices": permissions.offered_statuses(request.user, article),
        # Why this user may not set the status by hand (it follows the assignments), if so:
        # then their "reviewed" is their assignment's "Done, next →" (queue_bar.html).
        "status_follows_assignments": permissions.rollup_refusal(request.user, article),
        "can_edit_metadata": can_edit_metadata,
        "metadata_form": metadata_form
        or (ArticleMetadataForm(instance=article) if can_edit_metadata else None),
        "previous_id": previous,
        "next_id": following,
    }


def page_context(request, article, *, active=None, **editor) -> dict:
    spans = spans_context(request, article)
    return {
        **editor_context(request, active, article=article, **editor),
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
    context = {"article": article, **editor_context(request, active, article=article, **editor)}
    return render(request, f"{PAGE}#editor", context, status=status)


def render_changes(
    request, article, *, touched, list_ops, active=None, toast=None, refresh_deleted=False
):
    """The editor, plus the touched paragraphs of the pane, the span's list item, the
    counts and the deleted spans as out-of-band swaps: nothing else."""
    labels = selectors.all_labels()
    editor = editor_context(request, active, article=article, labels=labels)
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
