"""Sources in the admin: the forms for the spans' citations of the shared records
(Evidence links), one citation's and a span's set of them; every write goes through
services.sources."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField

from ... import permissions, services
from ...models import Evidence
from ...services.sources import RECORD_FIELDS
from .._common import (
    VersionField,
    _bump_version,
    _copy_saved,
    _plural,
    _stale_message,
)
from .records import _retyped, _same


class EvidenceForm(forms.ModelForm):
    """A span citing a source: the URL picks the shared record (found, or created when
    new), stance and passage are this span's own."""

    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": "https://…"}),
        error_messages={"required": "Enter the URL of the source."},
    )
    title = forms.CharField(
        max_length=500, required=False, widget=forms.TextInput(attrs={"size": 36})
    )
    publisher = forms.CharField(
        max_length=300, required=False, widget=forms.TextInput(attrs={"size": 20})
    )
    accessed_on = forms.DateField(required=False, label="Accessed on", widget=AdminDateWidget)
    version = VersionField()
    record_version = VersionField()

    # Set by the admin that builds the form: whose permissions the checks use.
    request_user = None

    class Meta:
        model = Evidence
        fields = [
            "annotation",
            "url",
            "stance",
            "quoted_passage",
            "title",
            "publisher",
            "accessed_on",
        ]
        widgets = {"quoted_passage": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            record = self.instance.source
            self.initial.update(
                url=record.url,
                title=record.title,
                publisher=record.publisher,
                accessed_on=record.accessed_on,
                version=self.instance.version,
                record_version=record.version,
            )
        self._stored = None

    def clean_url(self):
        return services.clean_url(self.cleaned_data["url"])

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._check_stored(cleaned)
        annotation = cleaned.get("annotation")
        url = cleaned.get("url")
        # In a span's inline the formset checks its rows together (EvidenceFormSet).
        inline = isinstance(self.fields.get("annotation"), InlineForeignKeyField)
        if annotation is not None and annotation.pk and url and not inline:
            twin = (
                Evidence.objects.filter(annotation=annotation, source__url=url)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if twin is not None:
                self.add_error(
                    "url",
                    f"Span #{annotation.pk} already cites this URL (citation #{twin.pk}): "
                    "edit that citation instead of citing it twice.",
                )
        return cleaned

    def _check_stored(self, cleaned) -> None:
        stored = Evidence.objects.filter(pk=self.instance.pk).select_related("source").first()
        if stored is None:
            raise ValidationError("This source was deleted in the meantime; nothing was saved.")
        self._stored = stored
        record = stored.source
        url_kept = cleaned.get("url") in (None, record.url)
        retyped = _retyped(cleaned, record)
        version, record_version = cleaned.get("version"), cleaned.get("record_version")
        link_stale = version is not None and version != stored.version
        # Someone changed the shared record: only a problem if this form would overwrite it.
        record_stale = (
            url_kept and retyped and record_version is not None and record_version != record.version
        )
        if link_stale or record_stale:
            _bump_version(self, stored.version)
            self.data[self.add_prefix("record_version")] = str(record.version)
            raise _stale_message(
                "source",
                {
                    "URL": record.url,
                    "title": record.title,
                    "publisher": record.publisher,
                    "stance": stored.get_stance_display(),
                },
            )
        user = self.request_user
        if (
            url_kept
            and retyped
            and user is not None
            and not permissions.can_change_source_record(user, record)
        ):
            cited = record.evidence.count()
            self.add_error(
                retyped[0],
                f"This source is shared ({_plural(cited, 'span')} cite it): only an "
                "editor or whoever added it can change its title, publisher or date.",
            )

    def save_through_services(self, actor, *, annotation) -> Evidence:
        """Write what this form holds through the services; returns the stored link."""
        data = self.cleaned_data
        record_values = {f: data.get(f) for f in RECORD_FIELDS}
        if self.instance.pk is None:
            saved = services.source_create(
                annotation=annotation,
                actor=actor,
                url=data["url"],
                stance=data["stance"],
                quoted_passage=data.get("quoted_passage", ""),
                title=record_values["title"] or "",
                publisher=record_values["publisher"] or "",
                accessed_on=record_values["accessed_on"],
            )
        else:
            stored = self._stored
            record_changes = {}
            if data["url"] != stored.source.url:
                # Another URL: its record is found, or created from what was typed; an
                # existing record keeps what it says (only its blanks are filled).
                services.source_record_for(
                    data["url"],
                    actor=actor,
                    title=record_values["title"] or "",
                    publisher=record_values["publisher"] or "",
                    accessed_on=record_values["accessed_on"],
                )
            else:
                record_changes = {
                    f: v
                    for f, v in record_values.items()
                    if not _same(f, v, getattr(stored.source, f))
                }
            saved = services.source_update(
                source=stored,
                actor=actor,
                expected_version=data.get("version"),
                annotation=annotation,
                url=data["url"],
                stance=data["stance"],
                quoted_passage=data.get("quoted_passage", ""),
                **record_changes,
            )
        _copy_saved(saved, self.instance)
        return saved


class EvidenceFormSet(BaseInlineFormSet):
    """A span's citations: one URL at most once, counting rows changed together."""

    def clean(self):
        super().clean()
        rows = [
            form
            for form in self.forms
            if form not in self.deleted_forms
            and getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("url")
        ]
        seen = {}
        for form in rows:
            url = form.cleaned_data["url"]
            if url in seen:
                form.add_error("url", "This URL is cited twice on this span: keep one row.")
            seen.setdefault(url, form)
        if self.instance.pk and seen:
            # Citations stored since the page was opened (not among these rows).
            in_rows = [f.instance.pk for f in self.forms if f.instance.pk]
            stored = (
                Evidence.objects.filter(annotation=self.instance, source__url__in=list(seen))
                .exclude(pk__in=in_rows)
                .select_related("source")
            )
            for link in stored:
                seen[link.source.url].add_error(
                    "url",
                    f"This span already cites this URL (citation #{link.pk}, added in the "
                    "meantime): reload the page to edit it.",
                )

    def save_through_services(self, actor) -> None:
        # commit=False: nothing is written here; it fills new/changed/deleted_objects,
        # which the admin's change message reads.
        self.save(commit=False)
        for form in self.initial_forms:
            if form in self.deleted_forms:
                services.source_delete(source=form.instance, actor=actor)
            elif form.has_changed():
                form.save_through_services(actor, annotation=self.instance)
        for form in self.extra_forms:
            if form.has_changed() and form not in self.deleted_forms:
                form.save_through_services(actor, annotation=self.instance)
