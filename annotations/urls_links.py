"""Routes of links between spans and of "seen before" (issue 7)."""

from django.urls import path

from .views import relations, seen_before

urlpatterns = [
    path(
        "annotations/<int:annotation_id>/links/",
        relations.relation_create,
        name="relation-create",
    ),
    path("links/<int:relation_id>/delete/", relations.relation_delete, name="relation-delete"),
    path(
        "annotations/<int:annotation_id>/seen-before/",
        seen_before.seen_before_panel,
        name="seen-before",
    ),
    path(
        "annotations/<int:annotation_id>/seen-before/<int:match_id>/copy/",
        seen_before.seen_before_copy,
        name="seen-before-copy",
    ),
]
