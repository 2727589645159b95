"""How long recorded exports are kept: deleting one removes its stored file with it.

The admin (a single delete or the bulk action) and `manage.py prune_exports` both delete
through delete_export(), so a record never goes while its file stays behind in the
"exports" storage. The file goes first: when the storage refuses (a bucket unreachable),
the record is kept, because it is the only thing a later prune finds the file by.
A file already gone is no refusal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from ..models import ExportRecord
from .jobs import export_storage

logger = logging.getLogger(__name__)

DEFAULT_KEEP_DAYS = 30

# Statuses an export never leaves: a queued or running one still has a worker on it.
FINISHED = (
    ExportRecord.Status.DONE,
    ExportRecord.Status.FAILED,
    ExportRecord.Status.INTERRUPTED,
)


def keep_days() -> int:
    return getattr(settings, "FACTCHECK_EXPORTS_KEEP_DAYS", DEFAULT_KEEP_DAYS)


def delete_export(record: ExportRecord) -> bool:
    """Delete the record and its stored file; False (nothing deleted, the reason logged)
    when the storage refused to delete the file."""
    if record.storage_path and not _delete_file(record.storage_path):
        return False
    record.delete()
    return True


def _delete_file(path: str) -> bool:
    storage = export_storage()
    try:
        storage.delete(path)  # a missing file is fine (FileSystemStorage, S3 alike)
    except FileNotFoundError:
        pass
    except Exception:  # any backend's error (OSError, botocore's): keep the record
        logger.exception("Could not delete the stored export %s; its record is kept.", path)
        return False
    _remove_empty_folder(storage, posixpath.dirname(path))
    return True


def _remove_empty_folder(storage, folder: str) -> None:
    """A background export is stored as <id>/<file name>: on the file system, its folder
    would stay behind empty. Object storage has no folders (no path())."""
    if not folder:
        return
    # Not local (no path()), not empty, or already gone: nothing to tidy.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(storage.path(folder))


@dataclass(frozen=True, slots=True)
class Pruned:
    count: int = 0
    size_bytes: int = 0
    kept: int = 0  # whose file the storage would not delete (logged)


def prunable_exports(cutoff: datetime):
    return ExportRecord.objects.filter(created_at__lt=cutoff, status__in=FINISHED)


def prune_exports(cutoff: datetime, *, dry_run: bool = False) -> Pruned:
    """The finished exports created before `cutoff`, deleted with their files (or, with
    dry_run, only counted)."""
    # Read first, then delete: no cursor stays open over the rows being deleted.
    records = list(prunable_exports(cutoff).only("pk", "storage_path", "size_bytes"))
    count = size = kept = 0
    for record in records:
        if dry_run or delete_export(record):
            count += 1
            size += record.size_bytes if record.storage_path else 0
        else:
            kept += 1
    return Pruned(count=count, size_bytes=size, kept=kept)
