"""Export formats, in the style of Datasette's output renderers.

Each module in `formats/` defines `FORMAT = ExportFormat(...)`, with a `render(articles,
options)` generator; dropping in a new module is all it takes to add a format. The data
comes from `query.export_articles`, the same for every format, the page and the command.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from . import formats
from .base import CODE_POINTS, ExportFormat, ExportOptions, UnknownFormat

__all__ = [
    "CODE_POINTS",
    "ExportFormat",
    "ExportOptions",
    "UnknownFormat",
    "all_formats",
    "get_format",
]


@cache
def _registry() -> dict[str, ExportFormat]:
    found = []
    for module_info in pkgutil.iter_modules(formats.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{formats.__name__}.{module_info.name}")
        export_format = getattr(module, "FORMAT", None)
        if isinstance(export_format, ExportFormat):
            found.append(export_format)
    found.sort(key=lambda f: (f.order, f.name))
    registry = {}
    for export_format in found:
        if export_format.name in registry:
            raise RuntimeError(f"Two export formats are called {export_format.name!r}.")
        registry[export_format.name] = export_format
    return registry


def all_formats() -> list[ExportFormat]:
    """Every registered format, in the order the export page lists them."""
    return list(_registry().values())


def unknown_format_message(name: str) -> str:
    known = ", ".join(_registry())
    return f"Unknown export format “{name}”. Known formats: {known}."


def get_format(name: str) -> ExportFormat:
    try:
        return _registry()[name]
    except KeyError:
        raise UnknownFormat(unknown_format_message(name)) from None
