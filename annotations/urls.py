from django.urls import include, path

from .views import articles, desk, export, imports, labels, review, sources

urlpatterns = [
    path("", articles.article_list, name="article-list"),
    path("labels.css", labels.label_stylesheet, name="label-stylesheet"),
    path("articles/<int:article_id>/", review.article_detail, name="article-detail"),
    path("articles/<int:article_id>/status/", desk.article_status, name="article-status"),
    path("articles/<int:article_id>/details/", desk.article_metadata, name="article-metadata"),
    path(
        "articles/<int:article_id>/reviewed-next/",
        desk.article_reviewed_next,
        name="article-reviewed-next",
    ),
    path("articles/<int:article_id>/state/", desk.article_state, name="article-state"),
    path("articles/<int:article_id>/spans/", desk.span_list, name="span-list"),
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
        sources.source_create,
        name="source-create",
    ),
    path(
        "annotations/<int:annotation_id>/sources/form/",
        sources.source_form,
        name="source-form",
    ),
    path("sources/<int:source_id>/delete/", sources.source_delete, name="source-delete"),
    path("history/<int:event_id>/restore/", review.annotation_restore, name="annotation-restore"),
    path("", include("annotations.urls_editor")),
    path("", include("annotations.urls_links")),
    path("", include("annotations.urls_collections")),
    path("", include("annotations.urls_agreement")),
    path("", include("annotations.urls_adjudication")),
    path("", include("annotations.urls_history")),
    path("", include("annotations.urls_revisions")),
    path("import/", imports.import_page, name="import"),
    path("", include("annotations.urls_imports")),
    path("export/", export.export_page, name="export"),
    path("export/download/", export.export_download, name="export-download"),
    path("", include("annotations.urls_exports")),
]
