"""Label colours as a stylesheet."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from ..models import Label

# Label values are written into CSS: only what the admin's validators allow gets through.
_SAFE_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@require_GET
def label_stylesheet(request):
    """Label colours as CSS custom properties: no inline styles, so CSP stays strict."""
    rules = [
        f'[data-label="{label.slug}"] {{ --label-colour: {label.colour}; }}'
        for label in Label.objects.all()
        if _SAFE_COLOUR.fullmatch(label.colour) and _SAFE_SLUG.fullmatch(label.slug)
    ]
    response = HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")
    patch_cache_control(response, private=True, max_age=60)
    return response
