"""The adjudication page: every reviewer's spans over the article, the gold layer beside
them, and the posts that accept, reject, merge, edit and remove spans, finish and reopen.

Each post answers an htmx request with the redrawn board (the text, the candidates, the
gold list) and a refusal with the board and its message (422); without htmx it redirects
back to the page with the message. The rules are the service's
(services/adjudication/); this module reads the request and draws the answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import permissions, selectors
from ..conflicts import Conflict, StaleEdit
from ..forms_adjudication import GoldEditForm, MergeForm, SpanChoiceForm
from ..models import Adjudication, Annotation, Article, Label
from ..offsets import SpanError
from ..services import adjudication as service
from .adjudication_board import build_board, marked_text

PAGE = "annotations/adjudication/page.html"


def _article_for(request, article_id) -> Article:
    article = get_object_or_404(Article, pk=article_id)
    if not permissions.can_adjudicate(request.user, article):
        raise PermissionDenied(service.NOT_AN_ADJUDICATOR)
    return article


def board_context(article: Article) -> dict:
    spans = list(service.reviewer_spans(article.pk).select_related("label", "author"))
    gold = list(service.gold_spans(article.pk).select_related("label"))
    links = list(
        Annotation.adjudicated_from.through.objects.filter(
            from_annotation__article_id=article.pk
        ).values_list("from_annotation_id", "to_annotation_id")
    )
    board = build_board(spans, gold, links, service.rejected_span_ids(article.pk))
    adjudication = (
        Adjudication.objects.filter(article_id=article.pk).select_related("adjudicator").first()
    )
    return {
        "article": article,
        "adjudication": adjudication,
        # Spans can be accepted, rejected, merged and edited only while this is true.
        "is_open": adjudication is not None and adjudication.finished_at is None,
        "board": board,
        "marked_text": marked_text(article.body, board),
        "labels": [label for label in Label.objects.all() if label.active],
    }


def _board(request, article: Article, *, error: str = "", notice: str = "", status: int = 200):
    article.refresh_from_db(fields=["status"])
    context = {**board_context(article), "error": error, "notice": notice}
    return render(request, f"{PAGE}#board", context, status=status)


def _answer(request, article: Article, action, *, done: str):
    """Run `action`; answer with the board (htmx) or a redirect, a refusal as a message."""
    try:
        action()
    except StaleEdit:
        raise  # shown in place, beside what was typed, by the view that edits
    except (ValidationError, SpanError, Conflict) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        if request.htmx:
            return _board(request, article, error=message, status=422)
        messages.error(request, message)
        return redirect("article-adjudicate", article.pk)
    if request.htmx:
        return _board(request, article, notice=done)
    messages.success(request, done)
    return redirect("article-adjudicate", article.pk)


def _form_error(request, article: Article, form) -> object:
    errors = form.errors.get("__all__") or next(iter(form.errors.values()))
    if request.htmx:
        return _board(request, article, error=" ".join(errors), status=422)
    messages.error(request, " ".join(errors))
    return redirect("article-adjudicate", article.pk)


@require_GET
def adjudication_page(request, article_id):
    article = _article_for(request, article_id)
    return render(request, PAGE, {**board_context(article), "nav": "articles"})


@require_POST
def adjudication_start(request, article_id):
    article = _article_for(request, article_id)
    return _answer(
        request,
        article,
        lambda: service.adjudication_start(article=article, actor=request.user),
        done="Adjudication started: spans every reviewer marked alike are in the gold layer.",
    )


def _on_one_span(request, article_id, act, *, done: str):
    """A post naming one reviewer span: `act(article, span_id)` once the form is valid."""
    article = _article_for(request, article_id)
    form = SpanChoiceForm(request.POST)
    if not form.is_valid():
        return _form_error(request, article, form)
    span_id = form.cleaned_data["span"]
    return _answer(request, article, lambda: act(article, span_id), done=done)


@require_POST
def span_accept(request, article_id):
    return _on_one_span(
        request,
        article_id,
        lambda article, span_id: service.accept_span(
            article=article, span_id=span_id, actor=request.user
        ),
        done="Accepted into the gold layer.",
    )


@require_POST
def span_reject(request, article_id):
    return _on_one_span(
        request,
        article_id,
        lambda article, span_id: service.reject_span(
            article=article, span_id=span_id, actor=request.user
        ),
        done="Rejected: kept out of the gold layer.",
    )


@require_POST
def spans_merge(request, article_id):
    article = _article_for(request, article_id)
    span_ids = service.reviewer_spans(article.pk).values_list("pk", flat=True)
    form = MergeForm(request.POST, span_ids=list(span_ids))
    if not form.is_valid():
        return _form_error(request, article, form)
    return _answer(
        request,
        article,
        lambda: service.merge_spans(
            article=article,
            span_ids=form.cleaned_data["spans"],
            actor=request.user,
            **form.changes(),
        ),
        done="Merged into one gold span.",
    )


@require_POST
def gold_edit(request, article_id, gold_id):
    article = _article_for(request, article_id)
    form = GoldEditForm(request.POST)
    if not form.is_valid():
        return _form_error(request, article, form)
    try:
        return _answer(
            request,
            article,
            lambda: service.edit_gold_span(
                article=article,
                gold_id=gold_id,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(),
            ),
            done="Gold span changed.",
        )
    except StaleEdit as conflict:
        return _stale_gold_edit(request, article, gold_id, form, conflict)


def _stale_gold_edit(request, article: Article, gold_id: int, form, conflict: StaleEdit):
    """409: the board with the saved label and bounds beside what this editor typed, which
    stays in the gold span's form. The form now carries the saved version, so saving it
    again applies these values on top of the other editor's change, knowingly."""
    article.refresh_from_db(fields=["status"])
    typed = form.cleaned_data
    current = conflict.current
    context = {
        **board_context(article),
        "error": f"Not saved: {conflict.message} Their version is beside yours below.",
        "gold_conflict": {
            "id": gold_id,
            "label_id": typed["label"].pk if typed.get("label") else current["label_id"],
            "start": current["start"] if typed.get("start") is None else typed["start"],
            "end": current["end"] if typed.get("end") is None else typed["end"],
            "version": current["version"],
            "summary": selectors.conflict_summary(conflict),
        },
    }
    if request.htmx:
        return render(request, f"{PAGE}#board", context, status=409)
    return render(request, PAGE, {**context, "nav": "articles"}, status=409)


@require_POST
def gold_remove(request, article_id, gold_id):
    article = _article_for(request, article_id)
    return _answer(
        request,
        article,
        lambda: service.remove_gold_span(article=article, gold_id=gold_id, actor=request.user),
        done="Removed from the gold layer.",
    )


@require_POST
def adjudication_finish(request, article_id):
    article = _article_for(request, article_id)
    return _answer(
        request,
        article,
        lambda: service.finish_adjudication(article=article, actor=request.user),
        done="Adjudication finished: the article is adjudicated.",
    )


@require_POST
def adjudication_reopen(request, article_id):
    article = _article_for(request, article_id)
    return _answer(
        request,
        article,
        lambda: service.reopen_adjudication(article=article, actor=request.user),
        done="Adjudication reopened.",
    )
