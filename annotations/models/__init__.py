from .annotation import Annotation
from .article import Article
from .collection import Adjudication, Assignment, Collection, Membership
from .history import HistoryEvent
from .label import Label
from .relation import Relation
from .source import Evidence, Source
from .speaker import Speaker
from .verdict import Rating, RatingScale

__all__ = [
    "Adjudication",
    "Annotation",
    "Article",
    "Assignment",
    "Collection",
    "Evidence",
    "HistoryEvent",
    "Label",
    "Membership",
    "Rating",
    "RatingScale",
    "Relation",
    "Source",
    "Speaker",
]
