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
- a timeout for connecting and for each read, and one deadline for the whole fetch;
- the body is streamed and the fetch stopped past FACTCHECK_IMPORT_FETCH_MAX_BYTES;
- only HTML (or plain text) is accepted, and only a 200 answer.

Every refusal is a FetchRefused (an ImportRefused) whose message is for a person.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
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
    deadline = time.monotonic() + timeout * 3  # connect, wait, read: no longer in all
    max_redirects = settings.FACTCHECK_IMPORT_FETCH_MAX_REDIRECTS
    current = url.strip()
    for _hop in range(max_redirects + 1):
        target = _target(current)
        pool, response = _request(target, timeout=timeout)
        try:
            if response.status in _REDIRECTS and response.headers.get("Location"):
                current = urljoin(current, response.headers["Location"])
                continue
            _check_answer(response)
            data = _read(response, deadline=deadline, timeout=timeout)
        finally:
            response.release_conn()
            pool.close()  # one pool per address asked: its socket goes with it
        content_type, charset = _content_type(response.headers.get("Content-Type", ""))
        return FetchedPage(url=current, data=data, content_type=content_type, charset=charset)
    raise FetchRefused(
        f"The page redirected more than {max_redirects} times; the last address was {current}."
    )


# --- where to connect --------------------------------------------------------------------


def _target(url: str) -> _Target:
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
    return _Target(scheme, host, port, path, _checked_address(host, port))


def _checked_address(host: str, port: int) -> str:
    """The first address `host` resolves to, after checking every one it resolves to."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused(f"The host name “{host}” is not valid.") from None
    try:
        answers = socket.getaddrinfo(ascii_host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(f"The site “{host}” could not be found (no such host name).") from None
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


def _request(target: _Target, *, timeout: float):
    pool_options = {
        "host": target.address,
        "port": target.port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **pool_options,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(**pool_options)
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
        raise _connection_refusal(error, target.host, timeout) from None
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


def _read(response, *, deadline: float, timeout: float) -> bytes:
    """The body, streamed: stopped past the size limit or the deadline."""
    chunks, size, limit = [], 0, _max_bytes()
    try:
        for block in response.stream(_BLOCK, decode_content=True):
            chunks.append(block)
            size += len(block)
            if size > limit:
                raise _too_large()
            if time.monotonic() > deadline:
                raise _timed_out(timeout)
    except (TimeoutError, Urllib3Timeout):
        raise _timed_out(timeout) from None
    except (ProtocolError, HTTPError, OSError) as error:
        if _is_timeout(error):
            raise _timed_out(timeout) from None
        raise FetchRefused("The connection broke off before the page was complete.") from None
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
    return FetchRefused(f"The page did not answer in time ({timeout:g} seconds); try again later.")


def _is_timeout(error: BaseException) -> bool:
    reason = getattr(error, "reason", None)
    return isinstance(error, socket.timeout | Urllib3Timeout) or isinstance(
        reason, socket.timeout | Urllib3Timeout
    )
