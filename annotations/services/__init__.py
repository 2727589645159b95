"""Business rules: every write to spans, sources, links, speakers and their history goes
through here.

Views, the admin, the commands and the importer call these functions, so each rule
(offset checks, who may do what, locking, versions, the history record, when a restore
is allowed) lives once. Each function locks what it changes and checks the actor's
permission inside its transaction; see annotations.conflicts for what it may refuse.
"""

from ..history import snapshot_annotation, snapshot_source
from .annotations import annotation_create, annotation_delete, annotation_update, merge_edit
from .articles import article_mark_reviewed, article_set_status, article_update
from .relations import relation_create, relation_delete
from .restore import annotation_restore, restore_refusal
from .sources import (
    clean_url,
    source_create,
    source_delete,
    source_record_for,
    source_record_update,
    source_update,
)
from .speakers import SPEAKER_FIELDS, speaker_merge, speaker_named, speaker_update

__all__ = [
    "SPEAKER_FIELDS",
    "annotation_create",
    "annotation_delete",
    "annotation_restore",
    "annotation_update",
    "article_mark_reviewed",
    "article_set_status",
    "article_update",
    "clean_url",
    "merge_edit",
    "relation_create",
    "relation_delete",
    "restore_refusal",
    "snapshot_annotation",
    "snapshot_source",
    "source_create",
    "source_delete",
    "source_record_for",
    "source_record_update",
    "source_update",
    "speaker_merge",
    "speaker_named",
    "speaker_update",
]
