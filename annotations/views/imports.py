"""The import page: upload files, see what each one became.

The work is done by importers.service, the same code as `manage.py import_articles`.
With a collection chosen, every article the files hold (new or already here) joins it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..forms import MAX_UPLOAD_BYTES, ImportForm
from ..importers import FORMATS
from ..importers.service import import_file, imported_article_ids, totals
from ..services import collections

PAGE = "annotations/import.html"


@require_http_methods(["GET", "POST"])
def import_page(request):
    if not permissions.can_import(request.user):
        raise PermissionDenied("Only editors can import articles.")
    status, results, joined = 200, None, None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            results = [
                import_file(name=upload.name, data=upload.read(), user=request.user)
                for upload in form.cleaned_data["files"]
            ]
            collection = form.cleaned_data["collection"]
            if collection is not None:
                ids = imported_article_ids(results)
                added = (
                    collections.articles_add(
                        collection=collection, article_ids=ids, actor=request.user
                    )
                    if ids
                    else 0
                )
                joined = {"collection": collection, "added": added, "already": len(ids) - added}
            form = ImportForm(user=request.user, initial={"collection": collection})
        else:
            status = 422
    else:
        form = ImportForm(user=request.user)
    context = {
        "form": form,
        "results": results,
        "joined": joined,
        "totals": totals(results) if results else None,
        "formats": FORMATS,
        "max_upload": MAX_UPLOAD_BYTES,
        "nav": "import",
    }
    template = f"{PAGE}#import-region" if request.htmx else PAGE
    return render(request, template, context, status=status)
