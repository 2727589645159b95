"""A reviewer's queue: the articles assigned to them, in order, and moving through them
("Start", "Done, next →", "Reopen"). Each is a POST that redirects (an htmx request
gets HX-Redirect), so the buttons work without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from .. import desk_queries
from ..forms_desk import QueueFilterForm
from ..models import Assignment, Collection
from ..services import assignments

PAGE = "annotations/queue.html"


def _go(request, url):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _mine(request, assignment_id) -> Assignment:
    """One of the user's own assignments in their queue (someone else's, or one kept as a
    record after they left its collection, is not found: a 404)."""
    row = (
        desk_queries.queue(request.user).select_related("collection").filter(pk=assignment_id)
    ).first()
    if row is None:
        raise Http404("No such assignment in your queue.")
    return row


@require_GET
def my_queue(request):
    form = QueueFilterForm(request.GET)
    problems, collection, status = [], None, ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        slug = form.cleaned_data["collection"]
        if slug:
            collection = Collection.objects.filter(slug=slug).first()
            if collection is None:
                problems.append(f"There is no collection “{slug[:60]}”; showing all of them.")
    else:
        problems.append("Unknown filter; showing your whole queue.")
    rows = list(desk_queries.queue(request.user, collection=collection, status=status))
    open_count = sum(1 for row in rows if row.status != Assignment.Status.DONE)
    context = {
        "rows": rows,
        "open_count": open_count if not status else None,
        "collections": desk_queries.queue_collections(request.user),
        "statuses": Assignment.Status.choices,
        "filters": {"collection": collection.slug if collection else "", "status": status},
        "problems": problems,
        "nav": "queue",
    }
    return render(request, PAGE, context)


@require_POST
def queue_start(request, assignment_id):
    """Open a queued article: to do becomes in progress."""
    row = assignments.start(_mine(request, assignment_id), request.user)
    return _go(request, reverse("article-detail", args=[row.article_id]))


@require_POST
def queue_done(request, assignment_id):
    """Mark this one done and open the next to-do item of the queue."""
    done = assignments.mark_done(_mine(request, assignment_id), request.user)
    return open_next_in_queue(request, after_id=done.pk, done="Done.")


def open_next_in_queue(request, *, after_id: int | None, done: str):
    """After `done` (what was just finished, said first): the next to-do item of the
    user's queue, started, or the queue itself when nothing is left."""
    following = desk_queries.next_in_queue(request.user, after_id=after_id)
    if following is None:
        messages.success(request, f"{done} Your queue is empty.")
        return _go(request, reverse("my-queue"))
    assignments.start(following, request.user)
    messages.success(request, f"{done} Here is the next article in your queue.")
    return _go(request, reverse("article-detail", args=[following.article_id]))


@require_POST
def queue_reopen(request, assignment_id):
    row = assignments.set_status(
        _mine(request, assignment_id), Assignment.Status.IN_PROGRESS, request.user
    )
    messages.success(request, "Reopened: it is in progress again.")
    return _go(request, reverse("article-detail", args=[row.article_id]))
