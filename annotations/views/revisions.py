"""An article's earlier texts (with a diff of each against the next) and the spans a new
text could not place, for a reviewer to place or discard. Thin: the rules are in
services.revisions, the diff in annotations.revision_diff."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import anchoring, offsets, permissions
from ..conflicts import Conflict
from ..models import Annotation, Article, ArticleRevision
from ..revision_diff import CONTEXT, TextDiff, word_diff
from ..services import revisions as service

PER_PAGE = 10
# A revision number past any column is no revision (a 404, not an overflow).
_MAX_NUMBER = 2**31 - 1
NO_SUCH_SPAN = "No such span needs attention on this article."
# Up to this many characters the attention page shows the current text to pick from.
PICK_TEXT_LIMIT = 300_000


def _article(user, article_id) -> Article:
    return permissions.openable_article_or_refuse(user, article_id)


@dataclass(frozen=True)
class RevisionRow:
    revision: ArticleRevision
    next_label: str  # "revision 3" or "the current text"
    diff: TextDiff


def _next_texts(article: Article, revisions: list[ArticleRevision]) -> dict[int, str]:
    """Each revision's successor text: the revision numbered after it, or the article's."""
    numbers = [r.number for r in revisions]
    later = dict(
        ArticleRevision.objects.filter(
            article=article, number__in=[n + 1 for n in numbers]
        ).values_list("number", "body")
    )
    return {n: later.get(n + 1, article.body) for n in numbers}


def _rows(article: Article, revisions: list[ArticleRevision], latest: int) -> list[RevisionRow]:
    following = _next_texts(article, revisions)
    return [
        RevisionRow(
            revision=r,
            next_label="the current text" if r.number == latest else f"revision {r.number + 1}",
            diff=word_diff(r.body, following[r.number]),
        )
        for r in revisions
    ]


@require_GET
def article_revisions(request, article_id):
    article = _article(request.user, article_id)
    revisions = article.revisions.select_related("replaced_by").order_by("-number")
    latest = revisions.values_list("number", flat=True).first() or 0
    page = Paginator(revisions, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "annotations/revisions/list.html",
        {"article": article, "page": page, "rows": _rows(article, list(page.object_list), latest)},
    )


@require_GET
def article_revision(request, article_id, number):
    article = _article(request.user, article_id)
    revision = (
        article.revisions.select_related("replaced_by").filter(number=number).first()
        if number <= _MAX_NUMBER
        else None
    )
    if revision is None:
        raise Http404("This article has no such revision.")
    latest = article.revisions.order_by("-number").values_list("number", flat=True).first()
    full = request.GET.get("context") == "all"
    following = _next_texts(article, [revision])[number]
    row = RevisionRow(
        revision=revision,
        next_label="the current text" if number == latest else f"revision {number + 1}",
        diff=word_diff(revision.body, following, context=None if full else CONTEXT),
    )
    return render(
        request,
        "annotations/revisions/revision.html",
        {"article": article, "row": row, "full": full},
    )


# --- spans that need attention ----------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A place the span could go: offsets and the text around them, for the form."""

    start: int
    end: int
    before: str
    text: str
    after: str
    score: int  # percent
    method: str


@dataclass(frozen=True)
class AttentionItem:
    span: Annotation
    old_before: str
    old_after: str
    choices: list[Choice]
    may_change: bool
    may_discard: bool


def _choices(body: str, placements: list[anchoring.Placement]) -> list[Choice]:
    width = offsets.CONTEXT_WIDTH
    return [
        Choice(
            p.start,
            p.end,
            body[max(0, p.start - width) : p.start],
            body[p.start : p.end],
            body[p.end : p.end + width],
            round(p.score * 100),
            p.method,
        )
        for p in placements
    ]


def _unplaced(user, article: Article):
    spans = Annotation.all_objects.filter(article=article, needs_attention=True)
    return permissions.visible_annotations(user, spans, article=article)


def _attention_items(user, article: Article) -> list[AttentionItem]:
    items = []
    spans = _unplaced(user, article).select_related("label", "author", "anchored_in")
    for span in spans.order_by("anchored_in__number", "start", "pk"):
        span.article = article
        old = span.anchored_in.body if span.anchored_in else ""
        width = offsets.CONTEXT_WIDTH * 3
        items.append(
            AttentionItem(
                span=span,
                old_before=old[max(0, span.start - width) : span.start],
                old_after=old[span.end : span.end + width],
                choices=_choices(article.body, service.placement_candidates(span)),
                may_change=permissions.can_change_annotation(user, span),
                may_discard=permissions.can_delete_annotation(user, span),
            )
        )
    return items


@require_GET
def article_attention(request, article_id):
    article = _article(request.user, article_id)
    return render(
        request,
        "annotations/revisions/attention.html",
        {
            "article": article,
            "items": _attention_items(request.user, article),
            "revision_count": article.revisions.count(),
            # The whole text to pick from, unless it would make the page huge.
            "show_text": len(article.body) <= PICK_TEXT_LIMIT,
        },
    )


class PlaceForm(forms.Form):
    """Where to put the span: a proposed place ("start-end") or offsets typed in."""

    choice = forms.RegexField(regex=r"^\d{1,10}-\d{1,10}$", required=False)
    start = forms.IntegerField(min_value=0, max_value=_MAX_NUMBER, required=False)
    end = forms.IntegerField(min_value=1, max_value=_MAX_NUMBER, required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("start") is not None and data.get("end") is not None:
            data["offsets"] = (data["start"], data["end"])
        elif data.get("choice"):
            start, end = data["choice"].split("-")
            data["offsets"] = (int(start), int(end))
        else:
            raise forms.ValidationError(
                "Choose one of the proposed places, or type a start and an end."
            )
        return data

    def first_error(self) -> str:
        for field, errors in self.errors.items():
            name = "" if field == "__all__" else f"{field.capitalize()}: "
            return f"{name}{errors[0]}"
        return "The form is not valid."


def _unplaced_span(user, article: Article, annotation_id) -> Annotation:
    """The span a Place or Discard button names; a 404 if it is not one of this article's
    that the user may see, a 409 if it is but is placed (a stale page: someone placed it
    meanwhile), with the service's own message."""
    spans = permissions.visible_annotations(
        user, Annotation.all_objects.filter(article=article), article=article
    )
    span = (
        spans.select_related("anchored_in").filter(pk=annotation_id).first()
        if annotation_id <= 2**63 - 1
        else None
    )
    if span is None:
        raise Http404(NO_SUCH_SPAN)
    if not span.needs_attention:
        raise Conflict(service.PLACED_MEANWHILE)
    span.article = article
    return span


def _back(article: Article):
    return redirect("article-attention", article_id=article.pk)


@require_POST
def attention_place(request, article_id, annotation_id):
    article = _article(request.user, article_id)
    span = _unplaced_span(request.user, article, annotation_id)
    form = PlaceForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Span #{span.pk} was not placed. {form.first_error()}")
        return _back(article)
    start, end = form.cleaned_data["offsets"]
    try:
        placed = service.place_span(annotation=span, start=start, end=end, actor=request.user)
    except (offsets.SpanError, Conflict) as refusal:
        messages.error(request, f"Span #{span.pk} was not placed. {refusal}")
        return _back(article)
    messages.success(request, f"Span #{placed.pk} placed on “{placed.quote[:80]}”.")
    return _back(article)


@require_POST
def attention_discard(request, article_id, annotation_id):
    article = _article(request.user, article_id)
    span = _unplaced_span(request.user, article, annotation_id)
    try:
        service.discard_span(annotation=span, actor=request.user)
    except Conflict as refusal:
        messages.error(request, f"Span #{span.pk} was not discarded. {refusal}")
        return _back(article)
    messages.success(
        request,
        f"Span #{span.pk} discarded. Its record stays in the article's history, "
        "from where it can be restored.",
    )
    return _back(article)
