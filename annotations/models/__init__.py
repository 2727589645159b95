from .annotation import Annotation
from .article import Article
from .history import HistoryEvent
from .label import Label
from .source import Source

__all__ = ["Annotation", "Article", "HistoryEvent", "Label", "Source"]
