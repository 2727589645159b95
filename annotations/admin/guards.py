"""The guards every ModelAdmin gets (guard_every_admin, called once the admin's
registrations are loaded).

Django's admin answers a few hand-made requests with a 500 (a crafted POST or URL, never
a page's own links): a non-numeric id in an autocomplete field when the invalid form is
shown again, a date-hierarchy or year parameter at the edge of what a date can hold,
and a non-numeric id among the rows selected for an action. guard_every_admin() puts
AdminGuards in front of every registered ModelAdmin (ours, Django's, the packages'),
so each of these is refused once, here, the way Django refuses other bad input.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db import connections, router

from ._common import _short


def past_the_column(field, value, using: str) -> bool:
    """Whether `value` is a number the model field's column cannot hold (10**20 for an
    id): SQLite cannot even be asked about it (OverflowError)."""
    try:
        python = field.to_python(value)
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    if not isinstance(python, int):
        return False
    limits = connections[using].ops.integer_field_ranges.get(field.get_internal_type())
    return limits is not None and not limits[0] <= python <= limits[1]


def holds(field, value, using: str) -> bool:
    """Whether `value` (from a request) is a value the model field can hold on this
    database: "abc" is no id, nor is 10**20 (past the column)."""
    try:
        field.to_python(value)
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    return not past_the_column(field, value, using)


class _OnlyHeldValues:
    """An autocomplete widget that looks up only the values its field could hold.

    Shown again with an invalid form, Django's widget looks the submitted values up
    (AutocompleteMixin.optgroups): "abc" for an id raised ValueError there, a 500 in
    place of the form and its "Select a valid choice" error. A value no row can have
    has no option to show, so it is left out of the look-up."""

    def optgroups(self, name, value, attr=None):
        remote_opts = self.field.remote_field.model._meta
        to_field = remote_opts.get_field(
            getattr(self.field.remote_field, "field_name", None) or remote_opts.pk.name
        )
        using = self.db or router.db_for_read(self.field.remote_field.model)
        held = [v for v in value if v in (None, "") or holds(to_field, v, using)]
        return super().optgroups(name, held, attr)


class GuardedAutocompleteSelect(_OnlyHeldValues, AutocompleteSelect):
    pass


class GuardedAutocompleteSelectMultiple(_OnlyHeldValues, AutocompleteSelectMultiple):
    pass


class GuardedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A many-to-many choice that refuses an id past its column as no available choice:
    Django's field looks such an id up, which SQLite answers with OverflowError."""

    def _check_values(self, value):
        opts = self.queryset.model._meta
        target = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        for pk in value if isinstance(value, (list, tuple)) else ():
            if isinstance(pk, (str, int)) and past_the_column(target, pk, self.queryset.db):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class GuardedAutocompletes:
    """ModelAdmin and inline mixin: autocomplete fields use the guarded widgets, and
    every many-to-many field refuses ids past its column."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = GuardedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", GuardedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class GuardedLookups:
    """ChangeList mixin: a lookup parameter no date can hold is an invalid lookup.

    Django turns most bad parameters into IncorrectLookupParameters, which the list
    answers with its own redirect to "?e=1" ("Please correct the errors below" style),
    but not all: the date hierarchy's bounds past year 9999 (?created_at__year=9999
    asks for the year up to 10000-01-01: ValueError; with __month=12 or __day=31:
    OverflowError; a year of 20 digits: OverflowError), and a year lookup on any other
    date field (?created_at__year=99999), which fails only when the query is compiled.
    Both are caught here: the filters as they are built, the query by compiling it once
    (no database query)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            queryset.query.get_compiler(queryset.db).as_sql()
        except (EmptyResultSet, FullResultSet):
            pass  # a filter that matches nothing (or everything): Django's to run
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        return queryset


_GUARDED: dict[type, type] = {}


def _guarded(cls: type, guard: type) -> type:
    """`cls` with `guard` in front, made once per class."""
    if issubclass(cls, guard):
        return cls
    key = (cls, guard)
    if key not in _GUARDED:
        _GUARDED[key] = type(cls.__name__, (guard, cls), {"__module__": cls.__module__})
    return _GUARDED[key]


class AdminGuards(GuardedAutocompletes):
    """What every ModelAdmin gets (see guard_every_admin): guarded autocompletes (its
    inlines' too), guarded list lookups, and the ids selected for an action checked."""

    def get_changelist(self, request, **kwargs):
        return _guarded(super().get_changelist(request, **kwargs), GuardedLookups)

    def get_inlines(self, request, obj):
        return [
            _guarded(inline, GuardedAutocompletes) for inline in super().get_inlines(request, obj)
        ]

    def response_action(self, request, queryset, *args, **kwargs):
        # Django filters the list by pk__in=the selected values: "abc" raised ValueError
        # (a 500) before the action ran. The list's checkboxes only ever send ids.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        using = router.db_for_read(self.model)
        wrong = [value for value in selected if not holds(self.opts.pk, value, using)]
        if wrong:
            shown = ", ".join(f"“{_short(value, 40)}”" for value in wrong[:3])
            self.message_user(
                request,
                f"{shown} {'is' if len(wrong) == 1 else 'are'} not the id of any "
                f"{self.opts.verbose_name}: select the rows in the list. Nothing was done.",
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset, *args, **kwargs)


def guard_every_admin(site: admin.AdminSite = admin.site) -> None:
    """Put AdminGuards in front of every ModelAdmin registered on `site`: called once
    the admin's registrations are loaded (factcheck/urls.py, after autodiscover), so
    it holds for the ModelAdmins of every module and package alike."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AdminGuards):
            continue
        site.unregister(model)
        site.register(model, _guarded(type(model_admin), AdminGuards))
