"""The agreement pages' URLs (included by annotations.urls)."""

from django.urls import path

from .views import agreement

urlpatterns = [
    path(
        "collections/<slug:slug>/agreement/",
        agreement.collection_agreement,
        name="collection-agreement",
    ),
    path(
        "articles/<int:article_id>/agreement/",
        agreement.article_agreement,
        name="article-agreement",
    ),
]
