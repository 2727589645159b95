"""The import page: upload files, see what each one became.

The work is done by importers.service, the same code as `manage.py import_articles`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..importers import FORMATS, accepted_extensions
from ..importers.service import import_file, totals

PAGE = "annotations/import.html"

# A news article is kilobytes; 20 MB is a JSONL batch of about 10,000 articles.
# Bigger imports belong to `manage.py import_articles`, which reads from disk.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """FileField cleans one upload; this one cleans each of several."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, (list, tuple)) else [data]) if u]
        if not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


class ImportForm(forms.Form):
    files = MultipleFileField(
        # Empty files are reported below with their names, not by FileField's generic message.
        allow_empty_file=True,
        widget=MultipleFileInput(
            attrs={"accept": ",".join(accepted_extensions()), "aria-describedby": "import-help"}
        ),
        error_messages={"required": "Choose at least one file to import."},
    )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        errors = []
        for upload in uploads:
            if not upload.size:
                errors.append(f"“{upload.name}” is empty.")
            elif upload.size > MAX_UPLOAD_BYTES:
                errors.append(
                    f"“{upload.name}” is {filesizeformat(upload.size)}; the limit is "
                    f"{filesizeformat(MAX_UPLOAD_BYTES)} a file "
                    "(use manage.py import_articles for more)."
                )
        if errors:
            errors.append("Nothing was imported; choose the files again.")
            raise ValidationError(errors)
        return uploads


@require_http_methods(["GET", "POST"])
def import_page(request):
    if not permissions.can_import(request.user):
        raise PermissionDenied("Only editors can import articles.")
    status, results = 200, None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            results = [
                import_file(name=upload.name, data=upload.read(), user=request.user)
                for upload in form.cleaned_data["files"]
            ]
            form = ImportForm()  # a clean form for the next batch
        else:
            status = 422
    else:
        form = ImportForm()
    context = {
        "form": form,
        "results": results,
        "totals": totals(results) if results else None,
        "formats": FORMATS,
        "max_upload": MAX_UPLOAD_BYTES,
        "nav": "import",
    }
    template = f"{PAGE}#import-region" if request.htmx else PAGE
    return render(request, template, context, status=status)
