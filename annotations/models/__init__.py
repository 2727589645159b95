from .annotation import Annotation
from .article import Article
from .collection import Adjudication, Assignment, Collection, Membership
from .exports import ExportRecord
from .history import HistoryEvent
from .imports import ArticleRevision, ImportJob
from .label import Label
from .relation import Relation
from .source import Evidence, Source
from .speaker import Speaker
from .verdict import Rating, RatingScale

__all__ = [
    "Adjudication",
    "Annotation",
    "Article",
    "ArticleRevision",
    "Assignment",
    "Collection",
    "Evidence",
    "ExportRecord",
    "HistoryEvent",
    "ImportJob",
    "Label",
    "Membership",
    "Rating",
    "RatingScale",
    "Relation",
    "Source",
    "Speaker",
]
