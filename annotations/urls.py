from django.urls import path

from .views import articles, export, imports, review

urlpatterns = [
    path("", articles.article_list, name="article-list"),
    path("labels.css", review.label_stylesheet, name="label-stylesheet"),
    path("articles/<int:article_id>/", review.article_detail, name="article-detail"),
    path("articles/<int:article_id>/status/", review.article_status, name="article-status"),
    path(
        "articles/<int:article_id>/annotations/",
        review.annotation_create,
        name="annotation-create",
    ),
    path(
        "annotations/<int:annotation_id>/",
        review.annotation_detail_or_update,
        name="annotation-detail",
    ),
    path(
        "annotations/<int:annotation_id>/delete/",
        review.annotation_delete,
        name="annotation-delete",
    ),
    path(
        "annotations/<int:annotation_id>/sources/",
        review.source_create,
        name="source-create",
    ),
    path("sources/<int:source_id>/delete/", review.source_delete, name="source-delete"),
    path("history/<int:event_id>/restore/", review.annotation_restore, name="annotation-restore"),
    path("import/", imports.import_page, name="import"),
    path("export/", export.export_page, name="export"),
    path("export/download/", export.export_download, name="export-download"),
]
