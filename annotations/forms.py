"""The review and import pages' forms, by topic, re-exported here so that
`from annotations.forms import X` keeps working:

- forms_spans.py: a new span (SpanForm) and a span's editor (AnnotationEditForm), with
  the speaker suggested for a span (speaker_suggestion_for);
- forms_sources.py: a span's sources (SourceForm, SourceEditForm, STANCE_ICONS);
- forms_articles.py: an article's status and metadata (StatusForm, ArticleMetadataForm);
- forms_autocomplete.py: what an autocomplete asks (OptionsQueryForm);
- forms_import.py: the import form (ImportForm) and its several-files field.

The other pages' forms live beside them: forms_adjudication.py, forms_desk.py and
forms_export.py.
"""

from .forms_articles import ArticleMetadataForm, StatusForm
from .forms_autocomplete import OptionsQueryForm
from .forms_import import ImportForm, MultipleFileField, MultipleFileInput
from .forms_sources import STANCE_ICONS, SourceEditForm, SourceForm
from .forms_spans import AnnotationEditForm, SpanForm, speaker_suggestion_for

__all__ = [
    "STANCE_ICONS",
    "AnnotationEditForm",
    "ArticleMetadataForm",
    "ImportForm",
    "MultipleFileField",
    "MultipleFileInput",
    "OptionsQueryForm",
    "SourceEditForm",
    "SourceForm",
    "SpanForm",
    "StatusForm",
    "speaker_suggestion_for",
]
