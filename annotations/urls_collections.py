"""The collections pages' and the reviewer's queue's URLs (included by annotations.urls)."""

from django.urls import path

from .views import collections, queue

urlpatterns: list = [
    path("collections/", collections.collection_list, name="collection-list"),
    path("collections/<slug:slug>/", collections.collection_detail, name="collection-detail"),
    path("collections/<slug:slug>/members/", collections.member_add, name="collection-member-add"),
    path(
        "collections/<slug:slug>/members/<int:membership_id>/role/",
        collections.member_role,
        name="collection-member-role",
    ),
    path(
        "collections/<slug:slug>/members/<int:membership_id>/remove/",
        collections.member_remove,
        name="collection-member-remove",
    ),
    path(
        "collections/<slug:slug>/articles/",
        collections.articles_add,
        name="collection-articles-add",
    ),
    path(
        "collections/<slug:slug>/articles/remove/",
        collections.articles_remove,
        name="collection-articles-remove",
    ),
    path(
        "collections/<slug:slug>/assign/", collections.collection_assign, name="collection-assign"
    ),
    path(
        "collections/<slug:slug>/assignments/<int:assignment_id>/remove/",
        collections.assignment_remove,
        name="collection-assignment-remove",
    ),
    path("queue/", queue.my_queue, name="my-queue"),
    path("queue/<int:assignment_id>/start/", queue.queue_start, name="queue-start"),
    path("queue/<int:assignment_id>/done/", queue.queue_done, name="queue-done"),
    path("queue/<int:assignment_id>/reopen/", queue.queue_reopen, name="queue-reopen"),
]
