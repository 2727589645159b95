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


def collection_admin_form(collection, *, articles, memberships, delete=()) -> dict:
    """The POST of the collection's admin change page: its fields as stored, these
    articles, these member rows (those in `delete` ticked for deletion)."""
    data = {
        "name": collection.name,
        "slug": collection.slug,
        "description": collection.description,
        "reviewers_per_article": collection.reviewers_per_article,
        "rating_scale": "",
        "articles": [a.pk for a in articles],
        "memberships-TOTAL_FORMS": len(memberships),
        "memberships-INITIAL_FORMS": len(memberships),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    if collection.blind:
        data["blind"] = "on"
    if collection.requires_assignment:
        data["requires_assignment"] = "on"
    for i, m in enumerate(memberships):
        data |= {
            f"memberships-{i}-id": m.pk,
            f"memberships-{i}-collection": collection.pk,
            f"memberships-{i}-user": m.user_id,
            f"memberships-{i}-role": m.role,
        }
        if m in delete:
            data[f"memberships-{i}-DELETE"] = "on"
    return data
