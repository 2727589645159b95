"""Routes of the span editor's fact-check fields: speakers, verdicts, sources (issue 7)."""

urlpatterns = []
