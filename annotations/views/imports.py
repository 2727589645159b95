"""The import page: upload files, see what each one became.

The work is done by importers.service, the same code as `manage.py import_articles`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..forms import MAX_UPLOAD_BYTES, ImportForm
from ..importers import FORMATS
from ..importers.service import import_file, totals

PAGE = "annotations/import.html"


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
