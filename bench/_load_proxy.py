"""A TCP proxy between the server under test and PostgreSQL that can fake an outage.

`load_test.py --restart-postgres --dry-run-restart` points the server at this proxy and,
instead of restarting the machine's PostgreSQL (which other people may be using), cuts
every proxied connection and refuses new ones for a few seconds: from the app's side that
is what a restart looks like (its pooled connections die, new ones fail, then work again).
127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class OutageProxy:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.thread = threading.Thread(target=self._accept, name="outage-proxy", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.down.is_set():
                # Like a server that is shutting down: the connection is closed at once.
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                self._close(s)

    def _close(self, s: socket.socket):
        with self.lock:
            self.sockets.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def outage(self, seconds: float):
        """Cut every connection and refuse new ones for `seconds`."""
        self.down.set()
        with self.lock:
            victims = list(self.sockets)
        for s in victims:
            self._close(s)
        time.sleep(seconds)
        self.down.clear()

    def stop(self):
        self.stopped.set()
        self.listener.close()
        with self.lock:
            victims = list(self.sockets)
        for s in victims:
            self._close(s)
