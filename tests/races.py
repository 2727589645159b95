"""Racing writes on real threads, for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="races need PostgreSQL's concurrent transactions"
)


def race(*actions):
    """Run the callables at the same moment, each on its own thread and connection;
    return what each returned or raised, in order: ("ok", value) or ("error", exception)."""
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", action())
        except Exception as error:  # the outcome is what the test asserts on
            outcomes[index] = ("error", error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(not t.is_alive() for t in threads), "a racing thread hung"
    return outcomes
