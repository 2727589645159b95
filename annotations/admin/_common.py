"""Small helpers the admin pages share."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.text import Truncator


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
