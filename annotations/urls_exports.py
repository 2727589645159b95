"""Recorded exports: the list, one export (and its progress fragment), its download."""

from django.urls import path

from .views import export_records

urlpatterns = [
    path("exports/", export_records.export_records, name="export-records"),
    path("exports/<uuid:record_id>/", export_records.export_record, name="export-record"),
    path(
        "exports/<uuid:record_id>/download/",
        export_records.export_record_download,
        name="export-record-download",
    ),
]
