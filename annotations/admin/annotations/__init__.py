"""Annotations in the admin: label, speaker, verdict and the sources a span cites; every
write goes through the services.

- span_form.py: a span's form (AnnotationAdminForm), with its choice of verdicts
  (VerdictChoiceField), the message refusing a verdict to a span that is not a claim
  (verdict_refusal), and its stale-edit check (_FIELD_NAMES names the fields to a person).
- span_admin.py: the admin (AnnotationAdmin): the list of spans with its filters and
  search, a span's page with the sources it cites (EvidenceInline), its links to other
  spans and its history, and the saves and deletions through the services (_delete).

What other code uses is imported from here.
"""

from .span_admin import AnnotationAdmin
from .span_form import AnnotationAdminForm, VerdictChoiceField, verdict_refusal

__all__ = ["AnnotationAdmin", "AnnotationAdminForm", "VerdictChoiceField", "verdict_refusal"]
