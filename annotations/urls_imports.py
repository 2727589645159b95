"""The import page's jobs: one job's page, its progress fragment, the recent imports."""

from django.urls import path

from .views import imports

urlpatterns = [
    path("imports/", imports.import_jobs, name="import-jobs"),
    path("imports/<uuid:job_id>/", imports.import_job, name="import-job"),
    path(
        "imports/<uuid:job_id>/progress/",
        imports.import_job_progress,
        name="import-job-progress",
    ),
]
