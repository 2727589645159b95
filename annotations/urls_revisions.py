"""An article's revisions and the spans that need attention after one (included by
annotations.urls)."""

from django.urls import path

from .views import revisions

urlpatterns = [
    path(
        "articles/<int:article_id>/revisions/",
        revisions.article_revisions,
        name="article-revisions",
    ),
    path(
        "articles/<int:article_id>/revisions/<int:number>/",
        revisions.article_revision,
        name="article-revision",
    ),
    path(
        "articles/<int:article_id>/attention/",
        revisions.article_attention,
        name="article-attention",
    ),
    path(
        "articles/<int:article_id>/attention/<int:annotation_id>/place/",
        revisions.attention_place,
        name="attention-place",
    ),
    path(
        "articles/<int:article_id>/attention/<int:annotation_id>/discard/",
        revisions.attention_discard,
        name="attention-discard",
    ),
]
