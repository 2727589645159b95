"""The guards every ModelAdmin gets (annotations/admin/guards.py, AdminGuards): a
hand-made id or date the admin's own pages never send is refused with a message, never
a 500, and nothing is stored."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import get_resolver, reverse

from annotations import services
from annotations.admin.guards import AdminGuards, GuardedAutocompletes
from annotations.models import Annotation, HistoryEvent
from tests.factories import label, make_annotation

HUGE = "99999999999999999999"  # past any 64-bit column

# The autocomplete fields the tester found (model.field), each in a form of its own.
KNOWN_AUTOCOMPLETES = {
    "annotation.article",
    "annotation.speaker",
    "relation.from_span",
    "relation.to_span",
    "evidence.annotation",
    "assignment.article",
    "assignment.reviewer",
    "collection.articles",
    "membership.user",
}


@pytest.fixture
def site():
    get_resolver().url_patterns  # noqa: B018 (loading the URLs registers the admins)
    return admin.site


def test_every_model_admin_and_inline_is_guarded(site, admin_user):
    """Every registered ModelAdmin (ours, Django's, the packages') has the guards, and
    so do its inlines."""
    request = RequestFactory().get("/")
    request.user = admin_user
    assert site._registry
    for model, model_admin in site._registry.items():
        assert isinstance(model_admin, AdminGuards), model
        for inline in model_admin.get_inline_instances(request):
            assert isinstance(inline, GuardedAutocompletes), (model, inline)


def _autocomplete_forms(site, request):
    """(model.field, form class) for every autocomplete field of every admin form and
    inline form."""
    for model_admin in site._registry.values():
        holders = [(model_admin, model_admin.get_form(request))]
        holders += [
            (inline, inline.get_formset(request).form)
            for inline in model_admin.get_inline_instances(request)
        ]
        for holder, form_class in holders:
            for name in holder.get_autocomplete_fields(request):
                if name in form_class.base_fields:
                    yield f"{holder.model._meta.model_name}.{name}", name, form_class


@pytest.mark.parametrize("value", ["abc", HUGE, "-1", "1.5", "a\x00b"])
def test_every_autocomplete_field_shows_a_bad_id_as_its_error(site, admin_user, value):
    """A value no row can have (text, past the column, negative, a NUL) in any
    autocomplete field: the form is shown again with the field's error (Django's widget
    looked the value up and raised ValueError, or OverflowError on SQLite)."""
    request = RequestFactory().get("/")
    request.user = admin_user
    seen = set()
    for where, name, form_class in _autocomplete_forms(site, request):
        seen.add(where)
        multiple = isinstance(form_class.base_fields[name], forms.ModelMultipleChoiceField)
        form = form_class(data={name: [value] if multiple else value})
        html = str(form[name])  # raised before
        assert form[name].errors, where
        assert f'value="{value}"' not in html, where
    assert seen >= KNOWN_AUTOCOMPLETES, KNOWN_AUTOCOMPLETES - seen


@pytest.mark.parametrize("field", ["speaker", "article"])
def test_a_span_with_a_non_numeric_id_is_refused_with_the_form(editor_client, article, field):
    """As an editor, adding a span with speaker=abc (or article=abc): the form comes back
    with "Select a valid choice" on that field, and no span is stored."""
    editor_client.raise_request_exception = False
    data = {
        "article": article.pk,
        "label": label().pk,
        "start": 0,
        "end": 5,
        "quote": "Kirby",
        "sources-TOTAL_FORMS": 0,
        "sources-INITIAL_FORMS": 0,
        field: "abc",
    }
    response = editor_client.post(reverse("admin:annotations_annotation_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Select a valid choice" in " ".join(errors[field])
    assert not Annotation.all_objects.exists()


def test_the_valid_choice_is_still_shown_beside_a_bad_one(site, admin_user, article, reviewer):
    """The guard drops only values no row can have: an existing article sent with a bad
    speaker is still shown selected."""
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = site._registry[Annotation].get_form(request)
    form = form_class(data={"article": str(article.pk), "speaker": "abc"})
    html = str(form["article"])
    assert f'<option value="{article.pk}" selected>' in html
    assert str(form["speaker"])


@pytest.mark.parametrize("bad", ["abc", HUGE, "1e3"])
def test_restoring_with_a_non_numeric_selected_id_does_nothing(
    admin_client, article, reviewer, bad
):
    """ "Restore selected deleted annotations" POSTed with _selected_action=abc beside a
    real deletion: a message naming the value, and nothing is restored."""
    admin_client.raise_request_exception = False
    span = make_annotation(article, 0, 5, author=reviewer)
    event = services.annotation_delete(annotation=span, actor=reviewer)
    events = HistoryEvent.objects.count()
    response = admin_client.post(
        reverse("admin:annotations_historyevent_changelist"),
        {"action": "restore_deleted_annotations", "_selected_action": [event.pk, bad]},
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [
        f"“{bad}” is not the id of any history event: select the rows in the list. "
        "Nothing was done."
    ]
    assert not Annotation.all_objects.exists()
    assert HistoryEvent.objects.count() == events


def test_restoring_with_real_ids_still_works(admin_client, article, reviewer):
    """The guard lets real ids through: the same action restores the span."""
    span = make_annotation(article, 0, 5, author=reviewer)
    event = services.annotation_delete(annotation=span, actor=reviewer)
    response = admin_client.post(
        reverse("admin:annotations_historyevent_changelist"),
        {"action": "restore_deleted_annotations", "_selected_action": [event.pk]},
    )
    assert response.status_code == 302
    assert Annotation.objects.filter(pk=span.pk).exists()
