"""Builders for the adjudication tests: a collection with its members, and reviewer spans."""

from __future__ import annotations

from annotations.models import Collection, Membership
from tests.factories import make_annotation


def make_collection(*articles, reviewers=(), editors=(), blind=True, slug="desk") -> Collection:
    collection = Collection.objects.create(name=slug.title(), slug=slug, blind=blind)
    collection.articles.add(*articles)
    for user in reviewers:
        Membership.objects.create(collection=collection, user=user, role="reviewer")
    for user in editors:
        Membership.objects.create(collection=collection, user=user, role="editor")
    return collection


def span_on(article, text: str, author, *, label_slug="claim", occurrence: int = 0, **fields):
    """A reviewer span over `text` (its n-th occurrence), straight to the table."""
    start = -1
    for _ in range(occurrence + 1):
        start = article.body.index(text, start + 1)
    return make_annotation(
        article, start, start + len(text), author=author, label_slug=label_slug, **fields
    )
