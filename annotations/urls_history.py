"""The history pages' URLs (included by annotations.urls)."""

from django.urls import path

from .views import history

urlpatterns = [
    path(
        "annotations/<int:annotation_id>/history/",
        history.annotation_history,
        name="annotation-history",
    ),
    path("articles/<int:article_id>/history/", history.article_history, name="article-history"),
]
