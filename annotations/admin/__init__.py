"""The editors' back office.

Writes to annotations and sources go through `services`, so the admin keeps the same
rules as the review page: offsets are checked against the body, only the author or an
editor changes a span, and every change lands in the history, from which a deleted span
can be restored. User text is only ever shown escaped (`format_html`, never
`mark_safe`).
"""

from .annotations import AnnotationAdmin, AnnotationAdminForm, SourceAdmin, SourceInline
from .articles import ArticleAdmin, ArticleAdminForm
from .history import HistoryEventAdmin
from .factcheck import RatingScaleAdmin, RelationAdmin, SourceRecordAdmin, SpeakerAdmin
from .labels import LabelAdmin
from .users import UserAdmin

__all__ = [
    "AnnotationAdmin",
    "AnnotationAdminForm",
    "ArticleAdmin",
    "ArticleAdminForm",
    "HistoryEventAdmin",
    "LabelAdmin",
    "SourceAdmin",
    "SourceInline",
    "UserAdmin",
]
