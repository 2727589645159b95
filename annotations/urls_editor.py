"""Routes of the span editor's fact-check fields: speakers, verdicts, sources (issue 7)."""

from django.urls import path

from .views import sources, speakers

urlpatterns = [
    path("speakers/options/", speakers.speaker_options, name="speaker-options"),
    path("sources/options/", sources.source_options, name="source-options"),
    path("sources/<int:source_id>/", sources.source_edit, name="source-edit"),
]
