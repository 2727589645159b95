"""Sources in the admin: the shared records (one per URL) and the spans' citations of
them (Evidence links); every write goes through services.sources.

- records.py: the shared records (SourceRecordForm, SourceRecordAdmin), and how a
  form's fields are compared with a record's (_same, _retyped), which both forms use.
- citation_forms.py: a citation's form (EvidenceForm) and a span's set of them
  (EvidenceFormSet).
- citations.py: the citations inline on a span's page (EvidenceInline) and in a list of
  their own (EvidenceAdmin), with their old names SourceInline and SourceAdmin, and the
  help text both show under a source's shared fields (SHARED_HELP).

What other code uses is imported from here.
"""

from .citation_forms import EvidenceForm, EvidenceFormSet
from .citations import SHARED_HELP, EvidenceAdmin, EvidenceInline, SourceAdmin, SourceInline
from .records import SourceRecordAdmin, SourceRecordForm

__all__ = [
    "SHARED_HELP",
    "EvidenceAdmin",
    "EvidenceForm",
    "EvidenceFormSet",
    "EvidenceInline",
    "SourceAdmin",
    "SourceInline",
    "SourceRecordAdmin",
    "SourceRecordForm",
]
