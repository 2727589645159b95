"""Fetching a page by URL, against a local HTTP server started here.

The server listens on 127.0.0.1, so these tests turn FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS
on, except those that prove loopback and other private addresses are refused without it.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from annotations.importers import fetch
from annotations.importers.fetch import FetchRefused, fetch_page, private_address_problem
from annotations.importers.reading import read_url

from .test_import_html import FIXTURES

NEWS = (FIXTURES / "news_page.html").read_bytes()
CP1252 = "<html><body><article><p>{}</p></article></body></html>".format(
    "Le café “ouvert” à nouveau, dit la mairie, après des mois de travaux. " * 3
).encode("cp1252")


# The tester's server sent 22 bytes every 2 s for 2 minutes, against a 3 s timeout: the
# fetch took the 2 minutes. Here the same at test speed, against a 0.5 s timeout (the
# deadline: 1.5 s); a slow hop answers within it too.
DRIP = 0.15
DRIPPING = 5.0
HOP = 0.35


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []
    hosts: list[str] = []

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        _Handler.hits.append(self.path)
        _Handler.hosts.append(self.headers.get("Host", ""))
        path = self.path
        if path == "/article":
            self._send(200, "text/html; charset=utf-8", NEWS)
        elif path == "/cp1252":
            self._send(200, "text/html; charset=windows-1252", CP1252)
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/article" if left == 0 else f"/hop/{left - 1}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/to-ftp":
            self.send_response(301)
            self.send_header("Location", "ftp://example.com/file")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/missing":
            self._send(404, "text/html", b"<html><body>Not here</body></html>")
        elif path == "/pdf":
            self._send(200, "application/pdf", b"%PDF-1.7\n...")
        elif path == "/image":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n")
        elif path == "/slow":
            time.sleep(2.5)
            self._send(200, "text/html", NEWS)
        elif path == "/drip":  # a body of a few bytes every DRIP seconds: never a timeout
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self._drip(b"<p>drip drip drip</p>\n")
        elif path == "/drip-headers":  # the headers, one line every DRIP seconds
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X-Drip: drip\r\n")
        elif path.startswith("/slow-hop/"):  # each hop answers just within the timeout
            left = int(path.rsplit("/", 1)[1])
            time.sleep(HOP)
            self.send_response(302)
            self.send_header("Location", "/article" if left == 0 else f"/slow-hop/{left - 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/big":
            self._send(200, "text/html", b"<html><body><p>" + b"word " * 400_000 + b"</p>")
        elif path == "/big-unstated":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body><p>" + b"word " * 400_000)
            self.close_connection = True
        else:
            self._send(500, "text/plain", b"?")

    def _drip(self, piece: bytes) -> None:
        """`piece` every DRIP seconds for DRIPPING seconds, or until the client hangs up."""
        self.close_connection = True
        for _ in range(int(DRIPPING / DRIP)):
            try:
                self.wfile.write(piece)
                self.wfile.flush()
            except OSError:
                return
            time.sleep(DRIP)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (the timeout and size tests) is expected here


@pytest.fixture(scope="module")
def server():
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allowed(settings):
    settings.FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS = True
    settings.FACTCHECK_IMPORT_FETCH_TIMEOUT_SECONDS = 1
    settings.FACTCHECK_IMPORT_FETCH_MAX_BYTES = 1024 * 1024
    settings.FACTCHECK_IMPORT_FETCH_MAX_REDIRECTS = 5
    _Handler.hits.clear()
    _Handler.hosts.clear()
    return settings


def test_page_is_fetched_and_read_as_html_with_its_final_url(server, allowed):
    read = read_url(f"{server}/hop/2")
    assert read.reason == ""
    assert read.format == "html"
    [record] = read.chunks[0].records
    assert record.title == "Bridge declared safe after inspection"
    assert record.source_url == f"{server}/article"
    assert record.metadata["canonical_url"] == "https://news.example.com/2024/03/bridge-safe"
    assert _Handler.hits == ["/hop/2", "/hop/1", "/hop/0", "/article"]


def test_header_charset_decodes_the_page(server, allowed):
    read = read_url(f"{server}/cp1252")
    assert read.encoding == "windows-1252"
    [record] = read.chunks[0].records
    assert "Le café “ouvert” à nouveau" in record.body


def test_ten_redirects_are_refused(server, allowed):
    with pytest.raises(FetchRefused) as refused:
        fetch_page(f"{server}/hop/10")
    assert str(refused.value) == (
        f"The page redirected more than 5 times; the last address was {server}/hop/4."
    )
    assert len(_Handler.hits) == 6


def test_each_redirect_is_checked_again(server, allowed):
    with pytest.raises(FetchRefused, match="Only http:// and https:// pages can be imported"):
        fetch_page(f"{server}/to-ftp")


def test_404_is_named(server, allowed):
    [read] = [read_url(f"{server}/missing")]
    assert read.reason == "The page answered 404 Not Found."


@pytest.mark.parametrize("path, kind", [("/pdf", "application/pdf"), ("/image", "image/png")])
def test_not_html_is_refused(server, allowed, path, kind):
    assert read_url(f"{server}{path}").reason == (
        f"The address is not a web page: it is “{kind}”. Only HTML pages can be imported."
    )


def test_a_page_that_does_not_answer_in_time_is_refused(server, allowed):
    started = time.monotonic()
    assert read_url(f"{server}/slow").reason == (
        "The page did not answer in time (1 second); try again later."
    )
    assert time.monotonic() - started < 2.4  # it did not wait for the answer


def test_a_name_never_looked_up_is_refused_at_the_timeout(allowed, monkeypatch):
    """getaddrinfo takes no timeout: a name server that never answers must not hold the
    import past the fetch's timeout (the resolver's own retries take 10 s and more)."""
    answer = threading.Event()
    real_getaddrinfo = fetch.socket.getaddrinfo

    def silent_name_server(host, *args, **kwargs):
        if host == "slow-dns.test":
            answer.wait(10)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(fetch.socket, "getaddrinfo", silent_name_server)
    started = time.monotonic()
    try:
        read = read_url("http://slow-dns.test/article")
    finally:
        answer.set()
    assert read.reason == (
        "The name “slow-dns.test” could not be looked up within 1 second; try again later."
    )
    assert read.chunks == []
    assert time.monotonic() - started < 1.8


@pytest.fixture
def trickle(allowed):
    allowed.FACTCHECK_IMPORT_FETCH_TIMEOUT_SECONDS = 0.5
    return allowed


TOO_SLOW = "The page was still arriving after 1.5 seconds; try again later."


@pytest.mark.parametrize("path", ["/drip", "/drip-headers", "/slow-hop/4"])
def test_a_page_that_trickles_in_is_cut_off_at_the_deadline(server, trickle, path):
    """Three times the timeout in all (1.5 s here), however the time goes: a body or
    headers trickling in, each read well within the timeout, or redirects each answering
    within it (5 hops of 0.35 s)."""
    started = time.monotonic()
    read = read_url(f"{server}{path}")
    took = time.monotonic() - started
    assert read.reason == TOO_SLOW
    assert read.refused
    assert 1.45 < took < 2.5, took  # at the deadline, not when the server is done (5 s)


def test_a_page_within_the_deadline_after_slow_redirects_is_fetched(server, trickle):
    """The deadline is for the whole fetch: 3 slow hops (1.05 s) still leave time."""
    page = fetch_page(f"{server}/slow-hop/2")
    assert page.data == NEWS and page.url == f"{server}/article"


@pytest.mark.parametrize("path", ["/big", "/big-unstated"])
def test_a_page_over_the_size_limit_is_refused(server, allowed, path):
    """Refused by its stated length, or while streaming when it states none."""
    assert read_url(f"{server}{path}").reason == (
        "The page is larger than 1 MB; it was not imported."
    )


def test_loopback_is_refused_without_the_setting_and_never_contacted(server, settings):
    settings.FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS = False
    _Handler.hits.clear()
    read = read_url(f"{server}/article")
    assert read.reason == (
        "“127.0.0.1” points at 127.0.0.1, a loopback address (this server itself); pages "
        "there cannot be imported."
    )
    assert _Handler.hits == []


def test_localhost_by_name_is_refused_too(settings):
    settings.FACTCHECK_IMPORT_ALLOW_PRIVATE_URLS = False
    with pytest.raises(FetchRefused, match=r"“localhost” points at .*loopback"):
        fetch_page("http://localhost:9/")


@pytest.mark.parametrize(
    "address, problem",
    [
        ("127.0.0.1", "a loopback address (this server itself)"),
        ("::1", "a loopback address (this server itself)"),
        ("10.1.2.3", "a private network address"),
        ("192.168.0.1", "a private network address"),
        ("172.16.5.4", "a private network address"),
        ("169.254.169.254", "a link-local address"),  # cloud metadata
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("::ffff:127.0.0.1", "a loopback address (this server itself)"),
        ("100.64.0.1", "an address that is not public"),
        ("240.0.0.1", "a private network address"),
    ],
)
def test_private_addresses(address, problem):
    assert private_address_problem(address) == problem


def test_public_address_is_fine():
    assert private_address_problem("93.184.216.34") is None
    assert private_address_problem("2606:2800:220:1:248:1893:25c8:1946") is None


@pytest.mark.parametrize(
    "url, message",
    [
        ("file:///etc/passwd", "not “file:” addresses"),
        ("javascript:alert(1)", "not “javascript:” addresses"),
        ("example.com/page", "not addresses without http:// or https://"),
        ("http://user:pw@example.com/", "with a user name or password"),
        ("http://:80/", "names no host"),
        ("http://example.com:99999/", "is not a web address"),
    ],
)
def test_bad_addresses_are_refused_before_any_connection(url, message, monkeypatch):
    monkeypatch.setattr(fetch, "_request", lambda *a, **k: pytest.fail("connected"))
    with pytest.raises(FetchRefused, match=message):
        fetch_page(url)


def test_connection_goes_to_the_checked_address(server, allowed, monkeypatch):
    """DNS rebinding: the name is resolved once, checked, and that address is dialled;
    a second, different answer is never asked for."""
    port = int(server.rsplit(":", 1)[1])
    real_getaddrinfo = fetch.socket.getaddrinfo
    names_asked = []

    def resolve(host, *args, **kwargs):
        if host == "news.test":
            names_asked.append(host)
            if len(names_asked) > 1:  # a rebinding answer, were it ever asked for
                return [(2, 1, 6, "", ("10.0.0.1", port))]
            return [(2, 1, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, *args, **kwargs)  # the address literal urllib3 dials

    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolve)
    page = fetch_page(f"http://news.test:{port}/article")
    assert page.data == NEWS
    assert names_asked == ["news.test"]
    assert _Handler.hosts == [f"news.test:{port}"]  # the name, though the address was dialled


def test_a_site_that_refuses_the_connection(allowed):
    import socket

    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert read_url(f"http://127.0.0.1:{port}/").reason == (
        "The site “127.0.0.1” could not be reached."
    )
