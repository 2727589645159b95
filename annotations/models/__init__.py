from .annotation import Annotation
from .article import Article
from .history import HistoryEvent
from .label import Label
from .relation import Relation
from .source import Evidence, Source
from .speaker import Speaker
from .verdict import Rating, RatingScale

__all__ = [
    "Annotation",
    "Article",
    "Evidence",
    "HistoryEvent",
    "Label",
    "Rating",
    "RatingScale",
    "Relation",
    "Source",
    "Speaker",
]
