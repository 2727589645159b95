"""A larger SQLite page cache while a file is stored.

SQLite's default cache (2 MB) is far smaller than what one chunk of a bulk import writes
(the articles' text, its two full-text indexes, the spans and their history): pages are
spilled to the write-ahead log and read back again and again inside the transaction. With
32 MB the chunk's pages stay in memory: the inserts of the 10,000-article bench take
about a third less time. The cache is bounded, so memory stays flat in the file's size,
and the connection's own setting is put back afterwards (it is per connection: nothing
else is changed). Other databases are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

# Kibibytes (a negative cache_size is a size, a positive one a number of pages).
IMPORT_CACHE_KIB = 32_768


@contextmanager
def larger_page_cache(connection) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        if previous >= 0 or -previous >= IMPORT_CACHE_KIB:  # pages, or already as large
            previous = None
        else:
            cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        if previous is not None and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")
