"""The editors' back office.

Writes to annotations, their sources, links and verdicts go through `services`, so the
admin keeps the same rules as the review page: offsets are checked against the body,
only the author or an editor changes a span, and every change lands in the history,
from which a deleted span can be restored. A service's refusal comes back as the form
with its message, never a 500. User text is only ever shown escaped (`format_html`,
never `mark_safe`).

One module per concern: annotations (spans), sources (shared records and the spans'
citations), speakers (and merging them), verdicts (rating scales), relations (links
between spans), articles, labels, history, users.
"""

from .annotations import AnnotationAdmin, AnnotationAdminForm
from .articles import ArticleAdmin, ArticleAdminForm
from .collections import AssignmentAdmin, CollectionAdmin  # noqa: F401 (registers them)
from .history import HistoryEventAdmin
from .jobs import ExportRecordAdmin, ImportJobAdmin  # noqa: F401 (registers them)
from .labels import LabelAdmin
from .relations import RelationAdmin
from .sources import EvidenceAdmin, EvidenceInline, SourceAdmin, SourceInline, SourceRecordAdmin
from .speakers import SpeakerAdmin
from .users import UserAdmin
from .verdicts import RatingScaleAdmin

__all__ = [
    "AnnotationAdmin",
    "AnnotationAdminForm",
    "ArticleAdmin",
    "ArticleAdminForm",
    "EvidenceAdmin",
    "EvidenceInline",
    "HistoryEventAdmin",
    "LabelAdmin",
    "RatingScaleAdmin",
    "RelationAdmin",
    "SourceAdmin",
    "SourceInline",
    "SourceRecordAdmin",
    "SpeakerAdmin",
    "UserAdmin",
]
