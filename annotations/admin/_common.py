"""Small helpers the admin pages share."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import (
    PermissionDenied,
    ValidationError,
)
from django.db.models import Count
from django.utils.html import format_html
from django.utils.text import Truncator

from .. import offsets


def _short(text: str, length: int = 80) -> str:
    return Truncator(text or "").chars(length)


def _pretty_json(value) -> str:
    if value in (None, {}, []):
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0; font-size: 0.85rem">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


def _copy_saved(saved, obj) -> None:
    """Make the admin's instance the row a service just wrote (the admin keeps using it
    for inlines, the log entry and the redirect)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You are not allowed to do this."


def _counts(rows, field: str) -> dict:
    """{value of `field`: how many of `rows` have it}, in one query."""
    return dict(rows.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


class VersionField(forms.IntegerField):
    """The version a change form was rendered from (see Annotation.version)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**31 - 1, required=False, **kwargs)


def _stale_message(what: str, changed: dict[str, object]) -> ValidationError:
    saved = "; ".join(
        f"{name}: “{_short(str(value or '—'), 120)}”" for name, value in changed.items()
    )
    return ValidationError(
        f"Someone else changed this {what} after you opened it (saved now: {saved}). Your "
        "values are still in the form: check them, then save again to replace theirs.",
        code="stale",
    )


def _bump_version(form, stored_version: int) -> None:
    """The next save of this form applies its values over the saved ones, knowingly."""
    form.data = form.data.copy()
    form.data[form.add_prefix("version")] = str(stored_version)


class ProtectedFirst:
    """ModelAdmin mixin for a model that rows PROTECT (a speaker, a label, a rating
    scale, a source: their spans or citations). The deletion page asks protected_by()
    first, a query or two whatever the number of rows selected and of rows protecting
    them, and says in words what stops the deletion. Only when nothing does is Django's
    collector asked what would go: it lists every protected row one by one (its str(),
    a delete permission check and a link each: 6,808 queries for a rating scale whose
    verdicts 6,801 spans carry), a list the page would have replaced by these words."""

    def protected_by(self, objs: list) -> list[str]:
        raise NotImplementedError

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        protected = self.protected_by(objs)
        if protected:
            return [], {}, set(), protected
        return super().get_deleted_objects(objs, request)


# What a service may refuse with a message for a person (offsets.SpanError is a
# ValueError that only the offset checks raise).
REFUSALS = (ValidationError, PermissionDenied, offsets.SpanError)


class ServiceRefusalsAsFormErrors:
    """A ModelAdmin mixin: when a service refuses a save (a ValidationError raised while
    saving, after the form was valid: a rule only the service checks, or a race with
    another writer), everything the save did is rolled back and the same form comes back
    with the service's message and what the user typed, instead of a 500.

    A conflict with another writer (a row deleted, a stale edit the form did not catch)
    stays a 409 with its message (annotations.conflict_middleware).
    """

    _REFUSAL = "_service_refusal"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # The admin runs a POST in one transaction; an exception undoes all of it.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except REFUSALS as exc:
            if request.method != "POST" or hasattr(request, self._REFUSAL):
                raise
            setattr(request, self._REFUSAL, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, self._REFUSAL, None)
        if refusal is None:
            return form_class
        message = _error_text(refusal)
        if "nothing" not in message.lower():
            message += " Nothing was saved."

        def clean(form):
            form_class.clean(form)
            raise ValidationError(message, code="refused")

        return type(form_class.__name__, (form_class,), {"clean": clean})


class ConstraintsCheckedInClean:
    """ModelForm mixin: Django's own check of the model's constraints leaves out the
    fields in `checked_in_clean`, which the form checks itself with a message that says
    what to do (a label's key, a speaker's name, the one default scale)."""

    checked_in_clean: frozenset[str] = frozenset()

    def validate_constraints(self):
        exclude = self._get_validation_exclusions() | self.checked_in_clean
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as e:
            self._update_errors(e)
