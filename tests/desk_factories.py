"""Builders for the desk tests: collections with members and articles, straight to the
tables (the services under test are not used to set up their own tests)."""

from __future__ import annotations

from annotations.models import Assignment, Collection, Membership
from tests.factories import make_article


def make_collection(name: str = "Desk", *, members=(), editors=(), articles=(), **fields):
    collection = Collection.objects.create(
        name=name, slug=fields.pop("slug", name.lower().replace(" ", "-")), **fields
    )
    for user in members:
        Membership.objects.create(collection=collection, user=user, role="reviewer")
    for user in editors:
        Membership.objects.create(collection=collection, user=user, role="editor")
    if articles:
        collection.articles.add(*articles)
    return collection


def make_articles(count: int, collection=None, **fields):
    articles = [make_article(**fields) for _ in range(count)]
    if collection is not None:
        collection.articles.add(*articles)
    return articles


def make_assignment(collection, article, reviewer, status="todo", **fields):
    return Assignment.objects.create(
        collection=collection, article=article, reviewer=reviewer, status=status, **fields
    )
