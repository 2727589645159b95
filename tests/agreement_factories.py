"""Builders for the agreement tests: a collection, its members and assignments."""

from __future__ import annotations

import itertools

from annotations.models import Assignment, Collection, Membership

_counter = itertools.count(1)


def make_collection(name: str | None = None, *, articles=(), editors=(), reviewers=()):
    n = next(_counter)
    name = name or f"Desk {n}"
    collection = Collection.objects.create(name=name, slug=f"desk-{n}")
    collection.articles.add(*articles)
    for user in editors:
        Membership.objects.create(collection=collection, user=user, role="editor")
    for user in reviewers:
        Membership.objects.create(collection=collection, user=user, role="reviewer")
    return collection


def assign(collection, article, *reviewers):
    for reviewer in reviewers:
        Assignment.objects.create(collection=collection, article=article, reviewer=reviewer)
