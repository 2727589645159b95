"""What exists before an export, out of the garbage collector's reach while it runs.

Start-up's objects (Django, the app, its modules: a few hundred thousand) outlive any
export. An export makes millions of short-lived rows, which set off full collections,
and each of those walks every live object: frozen (gc.freeze), they are skipped (~5% of
a 100,000-article JSONL export). Given back afterwards (gc.unfreeze), also when the
export fails, for a process that goes on: the worker, or call_command in the tests.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def objects_so_far_frozen() -> Iterator[None]:
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
