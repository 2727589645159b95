"""Shared by the issue-9 import tests: run the command, count what is stored, make ZIPs."""

from __future__ import annotations

import io
import zipfile
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from annotations.models import Annotation, Article, HistoryEvent


def run(*args) -> list[str]:
    out = StringIO()
    call_command("import_articles", *[str(a) for a in args], stdout=out, no_color=True)
    return out.getvalue().splitlines()


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def stored() -> tuple[int, int, int]:
    """(articles, spans, history events): what an import that failed must not change."""
    return Article.objects.count(), Annotation.objects.count(), HistoryEvent.objects.count()


def zip_bytes(members: dict[str, bytes | str], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()
