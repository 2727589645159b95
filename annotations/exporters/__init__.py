"""Export formats, in the style of Datasette's output renderers.

Each module in `formats/` defines `FORMAT = ExportFormat(...)`, with a `render(articles,
options)` generator; dropping in a new module is all it takes to add a format. The data
comes from `query.export_articles`, the same for every format, the page and the command;
`export_stream` joins the two (planning the format first) for both.

A format that needs an optional package sets `available=False` (and `requires`, the
install command) when the package will not import: it is still registered, so the page
lists it as unavailable with that command and `export_dataset` refuses it by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from functools import cache

from . import formats
from .base import CODE_POINTS, ExportFormat, ExportOptions, FormatNotes, UnknownFormat

__all__ = [
    "CODE_POINTS",
    "ExportFormat",
    "ExportOptions",
    "FormatNotes",
    "UnavailableFormat",
    "UnknownFormat",
    "all_formats",
    "available_formats",
    "export_stream",
    "get_format",
]


class UnavailableFormat(UnknownFormat):
    """A registered format whose optional package is not installed."""


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


def available_formats() -> list[ExportFormat]:
    return [f for f in _registry().values() if f.available]


def unknown_format_message(name: str) -> str:
    known = ", ".join(f.name for f in available_formats())
    return f"Unknown export format “{name}”. Known formats: {known}."


def unavailable_format_message(export_format: ExportFormat) -> str:
    return (
        f"The {export_format.name} format needs a package that is not installed: "
        f"run `{export_format.requires}`."
    )


def get_format(name: str) -> ExportFormat:
    """The format called `name`; UnknownFormat if nobody registered it, UnavailableFormat
    (with the install command) if its optional package is missing."""
    try:
        export_format = _registry()[name]
    except KeyError:
        raise UnknownFormat(unknown_format_message(name)) from None
    if not export_format.available:
        raise UnavailableFormat(unavailable_format_message(export_format))
    return export_format


def export_stream(
    export_format: ExportFormat,
    filters,
    options: ExportOptions,
    *,
    stats=None,
    viewer=None,
) -> Iterator[str]:
    """The whole export as str chunks. Lazy: nothing is read until the first chunk is
    asked for; then the format plans (one aggregate query at most), and the rows stream."""
    from .query import export_articles  # the models load after the registry

    if export_format.plan is not None:
        options = export_format.plan(filters, options, viewer)
    batch = {"chunk_size": export_format.batch_size} if export_format.batch_size else {}
    articles = export_articles(
        filters, stats=stats, viewer=viewer, relations=export_format.uses_relations, **batch
    )
    yield from export_format.stream(articles, options)
