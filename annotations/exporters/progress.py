"""export_dataset's progress bar on a terminal: articles written of the articles to write.

bar_line() is pure (the numbers in, one line out); TerminalProgress redraws it in place
(a carriage return, at most every _REDRAW_SECONDS) as the export's chunks pass, and only
when a person is watching: on a pipe or a log file there is no bar at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

_REDRAW_SECONDS = 0.2
WIDTH = 30


def bar_line(done: int, total: int, width: int = WIDTH) -> str:
    """e.g. "[#########.....................]  30%  300/1,000 articles"."""
    fraction = min(1.0, done / total) if total else 0.0
    filled = round(fraction * width)
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:3.0f}%  "
        f"{done:,}/{total:,} article{'s' if total != 1 else ''}"
    )


class TerminalProgress:
    def __init__(self, stream, stats, total: int = 0):
        self.stream, self.stats, self.total = stream, stats, total
        self._drawn_at = 0.0

    @classmethod
    def for_stream(cls, stream, stats, *, data_on_same_terminal: bool = False):
        """A progress bar on `stream`, or None when it is not a terminal (or the export
        itself is being written to that terminal)."""
        isatty = getattr(stream, "isatty", None)
        if data_on_same_terminal or not (isatty and isatty()):
            return None
        return cls(stream, stats)

    def follow(self, chunks: Iterable) -> Iterator:
        for chunk in chunks:
            yield chunk
            if time.monotonic() - self._drawn_at >= _REDRAW_SECONDS:
                self._draw()
        self._draw()
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self) -> None:
        self.stream.write("\r" + bar_line(self.stats.articles, self.total))
        self.stream.flush()
        self._drawn_at = time.monotonic()
