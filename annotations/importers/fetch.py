"""Fetch one web page to import it, without letting the server be turned on its own network.

Rules (settings in factcheck/settings.py, "Import limits"):
- http and https only, no user name or password in the address;
- the host is resolved here and every address it resolves to is checked: private,
  loopback, link-local, multicast, reserved and unspecified addresses are refused unless
  FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS is on; the connection then goes to the address
  that was checked (the Host header and, for https, the certificate check still use the
  name), so a second DNS answer cannot switch it to another address ("DNS rebinding");
- redirects are followed by hand, at most FACTCHECK_IMPORT_FETCH_MAX_REDIRECTS, each new
  address checked the same way;
- a timeout for looking up the name, for connecting and for each read, and one deadline
  for the whole fetch (three times the timeout, redirects included), held by _Watchdog:
  a server that sends a few bytes at a time, each read well within the timeout, is cut
  off at the deadline;
- the body is streamed and the fetch stopped past FACTCHECK_IMPORT_FETCH_MAX_BYTES;
- only HTML (or plain text) is accepted, and only a 200 answer.

Every refusal is a FetchRefused (an ImportRefused) whose message is for a person.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
import urllib3.connection
from django.conf import settings
from urllib3.exceptions import (
    HTTPError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3Timeout,
)

from . import limits
from .base import ImportRefused

_ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_REDIRECTS = {301, 302, 303, 307, 308}
_USER_AGENT = "Factcheck-import/1.0 (fetches one page a person asked for)"
_BLOCK = 64 * 1024


class FetchRefused(ImportRefused):
    """The page cannot be fetched or is not one we import; the message says why."""


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # the final address, after redirects
    data: bytes
    content_type: str  # e.g. "text/html"
    charset: str | None  # from the Content-Type header, when it gives one


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str  # the name, as the Host header and TLS want it
    port: int
    path: str  # path and query
    address: str  # the checked IP address to connect to


def fetch_page(url: str) -> FetchedPage:
    """GET `url` under the rules above, following redirects; FetchRefused if it breaks one."""
    timeout = settings.FACTCHECK_IMPORT_FETCH_TIMEOUT_SECONDS
    # Connect, wait, read: no longer in all, every redirect's hop included.
    watchdog = _Watchdog(timeout * 3)
    try:
        return _follow(url.strip(), timeout=timeout, watchdog=watchdog)
    finally:
        watchdog.cancel()


def _follow(current: str, *, timeout: float, watchdog: _Watchdog) -> FetchedPage:
    max_redirects = settings.FACTCHECK_IMPORT_FETCH_MAX_REDIRECTS
    for _hop in range(max_redirects + 1):
        target = _target(current, wait=min(timeout, watchdog.left()))
        pool, response = _request(target, timeout=timeout, watchdog=watchdog)
        try:
            if response.status in _REDIRECTS and response.headers.get("Location"):
                current = urljoin(current, response.headers["Location"])
                continue
            _check_answer(response)
            data = _read(response, watchdog=watchdog, timeout=timeout)
        finally:
            response.release_conn()
            pool.close()  # one pool per address asked: its socket goes with it
        content_type, charset = _content_type(response.headers.get("Content-Type", ""))
        return FetchedPage(url=current, data=data, content_type=content_type, charset=charset)
    raise FetchRefused(
        f"The page redirected more than {max_redirects} times; the last address was {current}."
    )


# --- the deadline ------------------------------------------------------------------------


class _Watchdog:
    """The whole fetch's deadline. The sockets' timeouts bound each read, not an answer:
    a server sending a few bytes every second or two (of its headers or its body) never
    trips them, and urllib3 waits for a whole block before it hands any back, so checking
    the clock between blocks came 2 minutes late. At the deadline the socket being read
    (each hop's, as it connects: _WatchedConnection) is shut down, so whatever read is
    waiting returns at once, and the fetch is refused with _too_slow."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.fired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.fired or self.left() <= 0

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            if self.fired:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._socket is not None:
                _shut(self._socket)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, under TLS too: SSLSocket.shutdown would unwrap the TLS
    # layer beneath the read going on in the fetching thread. OSError: closed already.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedConnection:
    """A connection that hands its socket to the fetch's watchdog as soon as it has one
    (before TLS and the request), so the deadline holds from then on."""

    def __init__(self, *args, watchdog: _Watchdog, **kwargs):
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def _new_conn(self):
        sock = super()._new_conn()
        self._watchdog.watch(sock)
        return sock


class _HTTPConnection(_WatchedConnection, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    pass


def _too_slow(watchdog: _Watchdog) -> FetchRefused:
    return FetchRefused(
        f"The page was still arriving after {_seconds(watchdog.seconds)}; try again later."
    )


# --- where to connect --------------------------------------------------------------------


def _target(url: str, *, wait: float) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchRefused(f"“{url[:200]}” is not a web address.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"“{scheme}:” addresses" if scheme else "addresses without http:// or https://"
        raise FetchRefused(f"Only http:// and https:// pages can be imported, not {shown}.")
    if not parts.hostname:
        raise FetchRefused(f"“{url[:200]}” names no host.")
    if parts.username or parts.password:
        raise FetchRefused("Addresses with a user name or password cannot be imported.")
    host = parts.hostname
    port = port or (443 if scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(scheme, host, port, path, _checked_address(host, port, wait=wait))


def _checked_address(host: str, port: int, *, wait: float) -> str:
    """The first address `host` resolves to, after checking every one it resolves to."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused(f"The host name “{host}” is not valid.") from None
    try:
        answers = _resolve(ascii_host, port, wait=wait)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(f"The site “{host}” could not be found (no such host name).") from None
    except TimeoutError:
        raise FetchRefused(
            f"The name “{host}” could not be looked up within {_seconds(wait)}; try again later."
        ) from None
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    if not addresses:
        raise FetchRefused(f"The site “{host}” could not be found (no such host name).")
    if not settings.FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if problem := private_address_problem(address):
                raise FetchRefused(
                    f"“{host}” points at {address}, {problem}; pages there cannot be imported."
                )
    return addresses[0]


def _resolve(host: str, port: int, *, wait: float) -> list:
    """getaddrinfo, given at most `wait` seconds. It takes no timeout and cannot be
    interrupted, and a name server that never answers would hold the import past its
    deadline (resolv.conf's own retries: 10 s and more), so it runs in a thread of its
    own and is left behind, to end by itself, when it is late."""
    outcome: dict = {}

    def look_up() -> None:
        try:
            outcome["answers"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as error:  # handed to the asking thread below
            outcome["error"] = error

    worker = threading.Thread(target=look_up, name="fetch-dns", daemon=True)
    worker.start()
    worker.join(max(wait, 0.0))
    if worker.is_alive():
        raise TimeoutError(host)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answers"]


def private_address_problem(address: str) -> str | None:
    """Why the server must not connect to this IP address, or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    for test, what in (
        (ip.is_loopback, "a loopback address (this server itself)"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private network address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "an address that is not public"),
    ):
        if test:
            return what
    return None


# --- asking ------------------------------------------------------------------------------


def _request(target: _Target, *, timeout: float, watchdog: _Watchdog):
    left = watchdog.left()
    if left <= 0:  # the hops before took it all
        raise _too_slow(watchdog)
    # Connecting is over before the watchdog has a socket to shut: bounded by what is left.
    wait = min(timeout, left)
    pool_options = {
        "host": target.address,
        "port": target.port,
        "timeout": urllib3.Timeout(connect=wait, read=wait),
        "retries": False,
        "maxsize": 1,
        "watchdog": watchdog,  # for the connection (the pool's conn_kw)
    }
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **pool_options,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
        pool.ConnectionCls = _HTTPSConnection
    else:
        pool = urllib3.HTTPConnectionPool(**pool_options)
        pool.ConnectionCls = _HTTPConnection
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:  # an IPv6 literal
        host_header = f"[{target.host}]" + host_header[len(target.host) :]
    try:
        response = pool.urlopen(
            "GET",
            target.path,
            headers={
                "Host": host_header,
                "User-Agent": _USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5",
            },
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except (HTTPError, OSError) as error:
        pool.close()
        if watchdog.expired:  # the socket was shut under the read of the headers
            raise _too_slow(watchdog) from None
        raise _connection_refusal(error, target.host, timeout) from None
    if watchdog.fired:  # headers read up to a shut socket end there: cut short, not whole
        response.release_conn()
        pool.close()
        raise _too_slow(watchdog)
    return pool, response


def _connection_refusal(error: Exception, host: str, timeout: float) -> FetchRefused:
    # urllib3 2 makes NewConnectionError (refused, unreachable) a kind of connect
    # timeout, for old callers; it is not one.
    if isinstance(error, NewConnectionError) or isinstance(
        getattr(error, "reason", None), NewConnectionError
    ):
        return FetchRefused(f"The site “{host}” could not be reached.")
    if _is_timeout(error):
        return _timed_out(timeout)
    if isinstance(error, SSLError) or isinstance(getattr(error, "reason", None), SSLError):
        return FetchRefused(f"The site “{host}” has a certificate that could not be verified.")
    return FetchRefused(f"The site “{host}” could not be reached.")


def _check_answer(response) -> None:
    if response.status != 200:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = response.reason or ""
        raise FetchRefused(f"The page answered {response.status} {phrase}.".replace(" .", "."))
    content_type, _ = _content_type(response.headers.get("Content-Type", ""))
    if content_type not in _ACCEPTED_TYPES:
        shown = f"“{content_type}”" if content_type else "of no stated type"
        raise FetchRefused(
            f"The address is not a web page: it is {shown}. Only HTML pages can be imported."
        )
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > _max_bytes():
        raise _too_large()


def _read(response, *, watchdog: _Watchdog, timeout: float) -> bytes:
    """The body, streamed: stopped past the size limit or the deadline."""
    chunks, size, limit = [], 0, _max_bytes()
    try:
        for block in response.stream(_BLOCK, decode_content=True):
            chunks.append(block)
            size += len(block)
            if size > limit:
                raise _too_large()
            if watchdog.expired:
                raise _too_slow(watchdog)
    except (ProtocolError, HTTPError, OSError) as error:
        if watchdog.expired:  # the socket was shut under the read
            raise _too_slow(watchdog) from None
        if isinstance(error, TimeoutError | Urllib3Timeout) or _is_timeout(error):
            raise _timed_out(timeout) from None
        raise FetchRefused("The connection broke off before the page was complete.") from None
    if watchdog.fired:
        # A body that ends with the connection reads a shut socket as its end: cut short.
        raise _too_slow(watchdog)
    return b"".join(chunks)


def _content_type(header: str) -> tuple[str, str | None]:
    kind, _, parameters = header.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return kind.strip().lower(), charset


def _max_bytes() -> int:
    return settings.FACTCHECK_IMPORT_FETCH_MAX_BYTES


def _too_large() -> FetchRefused:
    return FetchRefused(
        f"The page is larger than {limits.human_size(_max_bytes())}; it was not imported."
    )


def _timed_out(timeout: float) -> FetchRefused:
    return FetchRefused(f"The page did not answer in time ({_seconds(timeout)}); try again later.")


def _seconds(amount: float) -> str:
    shown = f"{amount:.3g}"
    return f"{shown} second" if shown == "1" else f"{shown} seconds"


def _is_timeout(error: BaseException) -> bool:
    reason = getattr(error, "reason", None)
    return isinstance(error, socket.timeout | Urllib3Timeout) or isinstance(
        reason, socket.timeout | Urllib3Timeout
    )
