"""How long import jobs are kept: deleting one removes what it left under var/imports/.

A job's folder normally goes when the worker is done with it (jobs.run_job), but a
worker killed mid-job leaves it behind; the admin's delete and `manage.py prune_exports`
remove it with the job, through delete_import_job()/prune_import_jobs().
"""

from __future__ import annotations

import shutil
from datetime import datetime

from ..models import ImportJob
from .jobs import job_folder

# A queued or running job still has (or waits for) a worker: never deleted by age.
FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED)


def delete_import_job(job: ImportJob) -> None:
    shutil.rmtree(job_folder(job.pk), ignore_errors=True)
    job.delete()


def prunable_import_jobs(cutoff: datetime):
    return ImportJob.objects.filter(created_at__lt=cutoff, status__in=FINISHED)


def prune_import_jobs(cutoff: datetime, *, dry_run: bool = False) -> int:
    """The finished jobs created before `cutoff`, deleted with their folders (or, with
    dry_run, only counted); how many."""
    ids = list(prunable_import_jobs(cutoff).values_list("pk", flat=True))
    if dry_run:
        return len(ids)
    for job_id in ids:
        shutil.rmtree(job_folder(job_id), ignore_errors=True)
    deleted = 0
    for start in range(0, len(ids), 500):  # bounded IN lists (SQLite's variable limit)
        chunk = ids[start : start + 500]
        deleted += prunable_import_jobs(cutoff).filter(pk__in=chunk).delete()[0]
    return deleted
