"""Background jobs whose worker went away: one rule for import jobs and exports.

A worker writes a job's progress (and `heartbeat_at` with it) every second or so while it
runs. A worker killed mid-job (a restart, the machine going down, an out-of-memory kill)
writes nothing more, and its job would say "running" forever. `reap_stalled` marks such
jobs failed with a message saying what happened, once they have been silent for longer
than `stalled_after_seconds()`; the pages that show jobs and the worker (before each job)
call it. A read finds the candidates first, so a page never waits on a writer when there
is nothing to reap.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)


def stalled_after_seconds() -> int:
    """A running job with no progress for this long has lost its worker."""
    return getattr(settings, "FACTCHECK_JOB_STALLED_SECONDS", 600)


def stalled_minutes() -> int:
    return max(1, stalled_after_seconds() // 60)


def reap_stalled(model, *, message: str) -> list:
    """Mark failed (status FAILED, `error` = message) the RUNNING rows of `model` silent
    since before the cutoff; the ids reaped (empty when none, or when SQLite is busy with
    another job's write: the next call tries again)."""
    Status = model.Status
    cutoff = timezone.now() - timedelta(seconds=stalled_after_seconds())
    stale = model.objects.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff)
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return []
    try:
        stale.filter(pk__in=ids).update(
            status=Status.FAILED, finished_at=timezone.now(), error=message
        )
    except OperationalError:
        logger.warning("Could not mark stalled %s rows failed now; will retry.", model.__name__)
        return []
    logger.warning("Marked %d stalled %s row(s) failed: %s", len(ids), model.__name__, ids)
    return ids
