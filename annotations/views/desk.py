"""The review desk around an article: its status, its metadata, moving on to the next
one, the span list's filters, and the cheap check that tells an open page something
changed (two reviewers on one article see each other's spans without a reload)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from .. import permissions, selectors, services
from ..forms import ArticleMetadataForm, StatusForm
from ..models import Article, Label
from .queue import open_next_in_queue
from .regions import (
    LIST_PAGE,
    PAGE,
    STATE_HEADER,
    header_context,
    list_filter,
    plain_error,
    span_list_context,
    spans_context,
)


def _header(request, article, *, status=200, metadata_form=None):
    if not request.htmx:
        return redirect("article-detail", article_id=article.pk)
    context = header_context(request, article, metadata_form=metadata_form)
    return render(request, f"{PAGE}#article-meta", context, status=status)


@require_POST
def article_status(request, article_id):
    article = permissions.openable_article_or_refuse(request.user, article_id)
    if not permissions.can_set_status(request.user):
        raise PermissionDenied("Your account cannot change an article's status.")
    form = StatusForm(request.POST)
    if not form.is_valid():
        return plain_error("Unknown status.")
    refusal = permissions.status_refusal(request.user, article, form.cleaned_data["status"])
    if refusal:
        raise PermissionDenied(refusal)
    services.article_set_status(
        article=article, status=form.cleaned_data["status"], actor=request.user
    )
    return _header(request, article)


@require_POST
def article_metadata(request, article_id):
    article = permissions.openable_article_or_refuse(request.user, article_id)
    if not permissions.can_edit_article(request.user):
        raise PermissionDenied("Only editors can change an article's details.")
    # A copy for the form to write into; the service saves from its own locked row.
    form = ArticleMetadataForm(request.POST, instance=get_object_or_404(Article, pk=article.pk))
    if not form.is_valid():
        return _header(request, article, status=422, metadata_form=form)
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    saved = services.article_update(article=article, actor=request.user, changes=changes)
    return _header(request, saved)


@require_POST
def article_reviewed_next(request, article_id):
    """Mark this article reviewed and open the next one that is not; or, for a reviewer on
    an article whose status follows its assignments, mark their assignment done and open
    the next one in their queue (the service decides which)."""
    article = permissions.openable_article_or_refuse(request.user, article_id)
    done = services.article_mark_reviewed(article=article, actor=request.user)
    if done is not None:
        already = "" if done else " already"
        follows = f"the article is {article.get_status_display().lower()}"
        if article.status in (Article.Status.NEW, Article.Status.IN_REVIEW):
            follows += " until enough reviewers are done"
        return open_next_in_queue(
            request,
            after_id=done[-1].pk if done else None,
            done=f"Your assignment on “{article.title}” is done{already}; {follows}.",
        )
    following = selectors.next_to_review(article, request.user)
    if following is None:
        messages.success(request, "Marked reviewed. Every article is reviewed now.")
        url = reverse("article-list")
    else:
        messages.success(request, f"“{article.title}” marked reviewed.")
        url = reverse("article-detail", args=[following])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
def article_state(request, article_id):
    """304 while nothing changed since the tag the page holds; otherwise the pane, the
    span list and the deleted spans as out-of-band regions (never the open editor)."""
    article = Article.objects.only("pk", "status").filter(pk=article_id).first()
    if article is None:
        return plain_error("This article was deleted.", status=404)
    permissions.require_open(request.user, article)
    # The tag counts only what this user may see (blind mode).
    tag = selectors.article_state_tag(request.user, article)
    if request.headers.get("If-None-Match", "").strip('"') == tag:
        response = HttpResponseNotModified()
    else:
        # As many list items as the page holds (whole pages): the pages it has loaded
        # stay, and it merges the answer into its list entry by entry (review.js).
        held = request.GET.get("list_count", "0")
        if not held.isdigit() or len(held) > 9:
            return plain_error("The list count must be a whole number.")
        pages = max(1, -(-int(held) // LIST_PAGE))
        article = get_object_or_404(Article, pk=article_id)
        context = {
            **spans_context(request, article, limit=pages * LIST_PAGE),
            "can_annotate": permissions.can_annotate(request.user),
        }
        response = render(request, f"{PAGE}#state", context)
    response["ETag"] = f'"{tag}"'
    response[STATE_HEADER] = tag
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_GET
def span_list(request, article_id):
    """The sidebar's span list, filtered by label and reviewer."""
    article = permissions.openable_article_or_refuse(request.user, article_id)
    label_slug, reviewer = list_filter(request)
    known_labels = dict(Label.objects.values_list("slug", "name"))
    if label_slug and label_slug not in known_labels:
        return plain_error(
            f"There is no label “{label_slug[:40]}”. Known labels: {', '.join(known_labels)}."
        )
    offset = request.GET.get("offset", "0")
    if not offset.isdigit() or len(offset) > 9:
        return plain_error("The list offset must be a whole number.")
    # The list alone: no pane, no deleted spans, no state tag.
    context = span_list_context(
        request, article, label_slug=label_slug, reviewer=reviewer, offset=int(offset)
    )
    if reviewer and reviewer not in context["reviewers"]:
        names = ", ".join(context["reviewers"]) or "nobody yet"
        return plain_error(f"“{reviewer[:40]}” has no spans on this article. Reviewers: {names}.")
    if not request.htmx:
        return redirect("article-detail", article_id=article.pk)
    if int(offset):
        # The next page of items, for the list's "more" row.
        return render(request, f"{PAGE}#span-items", context)
    # The filter's own form stays; the items and the "N of M" change.
    return render(request, f"{PAGE}#span-filtered", context)
