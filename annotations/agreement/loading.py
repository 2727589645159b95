"""The one module that reads the database: a selection of articles, its reviewers and
their spans, in a constant four queries whatever the number of articles."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, QuerySet

from ..models import Annotation, Assignment, Label, Membership
from .report import ArticleAnnotations, Span


@dataclass(frozen=True)
class Selection:
    articles: list[ArticleAnnotations]
    label_order: list[str]  # every label slug, in label order
    label_names: dict[str, str]


def load_selection(articles: QuerySet, *, collection=None) -> Selection:
    """The articles of `articles` with, for each, every counted reviewer's spans.

    Counted reviewers: those assigned the article (in `collection` only, when given)
    and every author of a reviewer-layer span on it.
    """
    ids = articles.values("pk")
    rows = list(articles.order_by("pk").values_list("pk", "title", "body"))
    assignments = Assignment.objects.filter(article__in=ids)
    if collection is not None:
        assignments = assignments.filter(collection=collection)
    spans: dict[int, dict[str, list[Span]]] = defaultdict(lambda: defaultdict(list))
    for article_id, reviewer in assignments.order_by().values_list(
        "article_id", "reviewer__username"
    ):
        spans[article_id][reviewer]
    for article_id, author, start, end, label in (
        Annotation.objects.filter(article__in=ids, layer=Annotation.Layer.REVIEWER)
        .order_by()
        .values_list("article_id", "author__username", "start", "end", "label__slug")
    ):
        spans[article_id][author].append(Span(start, end, label))
    labels = list(Label.objects.values_list("slug", "name"))
    return Selection(
        articles=[
            ArticleAnnotations(pk, title, body, dict(spans.get(pk, {}))) for pk, title, body in rows
        ],
        label_order=[slug for slug, _ in labels],
        label_names=dict(labels),
    )


def has_two_reviewers(article, *, editor=None) -> bool:
    """Whether at least two reviewers count on the article (assigned in any collection,
    or authors of its reviewer spans): one query, reading at most two rows.

    With `editor`, also whether that user edits one of the article's collections (False
    if not), in the same query: the review page's link then costs one query for anyone.
    """
    assigned = Assignment.objects.filter(article=article)
    authors = Annotation.objects.filter(article=article, layer=Annotation.Layer.REVIEWER)
    if editor is not None:
        edits = Membership.objects.filter(
            user_id=editor.pk,
            role=Membership.Role.EDITOR,
            collection__articles=article,
        )
        assigned, authors = assigned.filter(Exists(edits)), authors.filter(Exists(edits))
    assigned = assigned.order_by().values_list("reviewer_id")
    authors = authors.order_by().values_list("author_id")
    return len(assigned.union(authors).order_by()[:2]) >= 2
