"""Tasks for Django's task framework (TASKS in settings: django-tasks-db's database
backend, run by `manage.py db_worker`, which `make run` and `make serve` start)."""

from django.tasks import task


@task
def run_import_job(job_id: str) -> None:
    """Import what an ImportJob holds (importers/jobs.py); a job already claimed by
    another worker is left alone."""
    from .importers.jobs import run_job

    run_job(job_id)


@task
def run_export_job(record_id: str) -> None:
    """Write the export an ExportRecord asks for to the exports storage
    (exporters/jobs.py); a job already claimed by another worker is left alone."""
    from .exporters.jobs import run_job

    run_job(record_id)


@task
def index_search_backlog() -> None:
    """Add the articles a bulk import queued to the search index (search_index.py), a
    batch per transaction, until none is left; several at once share the queue."""
    from .search_index import catch_up

    catch_up()
