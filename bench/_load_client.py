"""Simulated reviewers for bench/load_test.py: stdlib http.client, one thread each.

Each reviewer behaves like the review page in a browser: it loads the article list and
its article's review page (CSRF token from the page), creates a span over real words of
the body (code-point offsets), opens a span's editor with an htmx GET, saves it (sending
back every field the editor form holds, so a hidden version field is honoured), and now
and then deletes one of its own spans. Editors also edit other people's spans, and one
"hot" span on purpose, which is where concurrent edits (409) come from.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode

OPS = ["list", "review", "editor", "create", "edit", "delete"]
WRITE_OPS = {"create", "edit", "delete"}


@dataclass
class Sample:
    op: str
    t0: float  # time.monotonic() at the start
    seconds: float
    outcome: str  # ok | conflict | gone | error
    kind: str = ""  # for errors: "HTTP 500", "timeout", "connection refused", ...
    status: int = 0


@dataclass
class Ledger:
    """What the server acknowledged to this client (and what it left in doubt)."""

    creates: dict = field(default_factory=dict)  # id -> (article_id, start, end, quote, label)
    edits: list = field(default_factory=list)  # (id, label_value, speaker, note)
    deletes: list = field(default_factory=list)  # ids
    unknown: list = field(default_factory=list)  # (op, detail) answered by an error


class HttpError(Exception):
    pass


def _error_kind(error: BaseException) -> str:
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (ConnectionResetError, BrokenPipeError)):
        return "connection reset"
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed"
    return type(error).__name__


class _Forms(HTMLParser):
    """Every <form>: its action and the fields it would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "class": a.get("class", ""),
                "fields": {},
                "options": {},
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self._form["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["options"][self._select] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._form["options"][self._select].append(value)
            if "selected" in a or self._select not in self._form["fields"]:
                self._form["fields"][self._select] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][self._textarea] = ""

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea and self._form is not None:
                # Browsers drop the newline right after <textarea>.
                value = self._form["fields"][self._textarea]
                self._form["fields"][self._textarea] = value.removeprefix("\n")
            self._textarea = None


def parse_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


_CSRF = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
# The span an answer opened: the editor card (the review desk's answers) or, on a full
# page, the workspace's active span.
_ACTIVE = re.compile(r'data-(?:annotation-ref|active-id)="(\d+)"')
_SPAN_IDS = re.compile(r'data-span-id="(\d+)"')


class Reviewer(threading.Thread):
    def __init__(
        self,
        *,
        index: int,
        username: str,
        password: str,
        session_cookie: tuple[str, str] | None,
        article: tuple[int, str],
        hot_span_id: int | None,
        labels: list[str],
        is_editor: bool,
        port: int,
        start_at: float,
        deadline: float,
        max_requests: int,
        timeout: float,
        think: float,
        seed: int,
        agent: str = "factcheck-load-test",
    ):
        super().__init__(name=f"reviewer-{index}", daemon=True)
        self.index = index
        self.username = username
        self.password = password
        self.session_cookie = session_cookie
        self.article_id, self.body = article
        self.hot_span_id = hot_span_id
        self.labels = labels
        self.is_editor = is_editor
        self.port = port
        self.start_at = start_at
        self.deadline = deadline
        self.max_requests = max_requests
        self.timeout = timeout
        self.think = think
        self.rng = random.Random(seed)
        self.agent = agent
        self.samples: list[Sample] = []
        self.ledger = Ledger()
        self.cookies: dict[str, str] = {}
        if session_cookie:
            self.cookies[session_cookie[0]] = session_cookie[1]
        self.csrf = ""
        self.conn = None
        self.page_span_ids: list[int] = []
        self.live: list[int] = []  # own spans created and not deleted
        self.seq = 0
        self.crash = None

    # --- HTTP ---------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, *, form=None, htmx=False, target=None):
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": self.agent}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = f"{self.origin}/articles/{self.article_id}/"
            if self.csrf:
                headers["X-CSRFToken"] = self.csrf
        if htmx:
            headers["HX-Request"] = "true"
            headers["HX-Current-URL"] = f"{self.origin}/articles/{self.article_id}/"
            if target:
                headers["HX-Target"] = target
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # A kept-alive connection the server had already closed: retry once,
                # on a new connection, only if nothing can have been processed (GET).
                self._drop_connection()
                if attempt == 2 or method != "GET" or not self._reused:
                    raise e
            except BaseException:
                self._drop_connection()
                raise
        self._reused = not response.will_close
        if response.will_close:
            self._drop_connection()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, data.decode("utf-8", "replace")

    _reused = False

    def _drop_connection(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self._reused = False

    def timed(self, op, method, path, classify, **kwargs):
        """One request, timed and classified; returns (status, headers, text) or None."""
        t0 = time.monotonic()
        started = time.perf_counter()
        try:
            status, headers, text = self.request(method, path, **kwargs)
        except Exception as error:
            self.samples.append(
                Sample(op, t0, time.perf_counter() - started, "error", _error_kind(error))
            )
            return None
        seconds = time.perf_counter() - started
        outcome = classify(status, headers, text)
        kind = "" if outcome != "error" else _http_kind(status, headers)
        self.samples.append(Sample(op, t0, seconds, outcome, kind, status))
        return (status, headers, text) if outcome != "error" else None

    # --- behaviour -----------------------------------------------------------------

    def run(self):
        try:
            self._run()
        except Exception as error:  # a bug in the load test itself: report it, don't hide it
            import traceback

            self.crash = traceback.format_exc()
            self.samples.append(
                Sample("client", time.monotonic(), 0, "error", f"client bug: {error!r}")
            )
        finally:
            self._drop_connection()

    def _time_left(self) -> bool:
        return time.monotonic() < self.deadline and len(self.samples) < self.max_requests

    def _pause(self):
        if self.think:
            time.sleep(self.rng.uniform(0, 2 * self.think))

    def _run(self):
        while time.monotonic() < self.start_at:
            time.sleep(0.01)
        if self.session_cookie is None:
            self.login()
        first = True
        while self._time_left():
            if first or self.rng.random() < 0.15:
                self.timed("list", "GET", "/", _read_ok)
                self._pause()
                first = False
            if not self._time_left():
                break
            if not self.load_review_page() and not self.csrf:
                time.sleep(0.2)  # nothing to act on yet (the server is failing)
                continue
            self._pause()
            if self._time_left():
                self.create()
                self._pause()
            if self._time_left():
                self.open_and_edit()
                self._pause()
            if self._time_left() and self.live and self.rng.random() < 0.35:
                self.delete(self.live.pop(self.rng.randrange(len(self.live))))
                self._pause()

    def login(self):
        # Real log-in, once: GET the form (CSRF cookie), POST the password.
        got = self.timed("login", "GET", "/login/", _read_ok)
        if got is None:
            return
        token = next(
            (
                f["fields"].get("csrfmiddlewaretoken")
                for f in parse_forms(got[2])
                if "csrfmiddlewaretoken" in f["fields"]
            ),
            "",
        )
        form = {"username": self.username, "password": self.password, "csrfmiddlewaretoken": token}
        self.timed(
            "login",
            "POST",
            "/login/",
            lambda s, h, t: (
                "ok" if s == 302 and "/login/" not in h.get("Location", "") else "error"
            ),
            form=form,
        )

    def load_review_page(self) -> bool:
        got = self.timed("review", "GET", f"/articles/{self.article_id}/", _read_ok)
        if got is None:
            return False
        match = _CSRF.search(got[2])
        if match:
            self.csrf = match.group(1)
        self.page_span_ids = [int(x) for x in _SPAN_IDS.findall(got[2])]
        return True

    def create(self):
        from _load_env import random_span

        start, end, quote = random_span(self.body, self.rng)
        label = self.rng.choice(self.labels)
        form = {"label": label, "start": start, "end": end, "quote": quote}
        got = self.timed(
            "create",
            "POST",
            f"/articles/{self.article_id}/annotations/",
            lambda s, h, t: "ok" if 200 <= s < 300 and _ACTIVE.search(t) else "error",
            form=form,
            htmx=True,
            target="annotation-editor",
        )
        if got is None:
            self.ledger.unknown.append(("create", form))
            return
        span_id = int(_ACTIVE.search(got[2]).group(1))
        self.ledger.creates[span_id] = (self.article_id, start, end, quote, label)
        self.live.append(span_id)

    def _pick_edit_target(self) -> tuple[int | None, bool]:
        """(span id, whether it is this reviewer's own span)."""
        if self.is_editor:
            r = self.rng.random()
            if r < 0.5 and self.hot_span_id:
                return self.hot_span_id, False
            if r < 0.8 and self.page_span_ids:
                span_id = self.rng.choice(self.page_span_ids)
                return span_id, span_id in self.ledger.creates
        if self.live:
            return self.rng.choice(self.live), True
        return None, True

    def open_and_edit(self):
        span_id, own = self._pick_edit_target()
        if span_id is None:
            return
        # Someone else's span may be deleted under us: a 404 is "gone", not an error.
        expected = _read_ok if own else _read_ok_or_gone
        got = self.timed(
            "editor",
            "GET",
            f"/annotations/{span_id}/",
            expected,
            htmx=True,
            target="annotation-editor",
        )
        if got is None or got[0] == 404:
            return
        forms = parse_forms(got[2])
        edit = next((f for f in forms if "edit-form" in f["class"]), None)
        if edit is None:
            self.samples.append(
                Sample("editor", time.monotonic(), 0, "error", "no edit form in editor")
            )
            return
        self._pause()
        self.seq += 1
        fields = {k: v for k, v in edit["fields"].items() if k != "csrfmiddlewaretoken"}
        options = [o for o in edit["options"].get("edit-label", []) if o]
        shown_label = fields.get("edit-label")
        if options:
            fields["edit-label"] = self.rng.choice(options)
        fields["edit-speaker"] = f"Speaker {self.username} {self.seq}"
        fields["edit-note"] = f"load-test note {self.username} #{self.seq}"
        got = self.timed(
            "edit",
            "POST",
            f"/annotations/{span_id}/",
            _write_ok(own),
            form=fields,
            htmx=True,
            target="annotation-editor",
        )
        # An unchanged label is not part of the edit (a stale form merges the others' one).
        label = fields.get("edit-label") if fields.get("edit-label") != shown_label else None
        values = (span_id, label, fields["edit-speaker"], fields["edit-note"])
        if got is None:
            self.ledger.unknown.append(("edit", values))
        elif 200 <= got[0] < 300:
            self.ledger.edits.append(values)
        # A delete form may carry a version too: remember it for this span.
        delete = next((f for f in forms if "delete-form" in f["class"]), None)
        if delete is not None and got is not None and 200 <= got[0] < 300:
            fresh = next((f for f in parse_forms(got[2]) if "delete-form" in f["class"]), delete)
            self._delete_fields = (
                span_id,
                {k: v for k, v in fresh["fields"].items() if k != "csrfmiddlewaretoken"},
            )

    _delete_fields: tuple = (None, {})

    def delete(self, span_id: int):
        fields = self._delete_fields[1] if self._delete_fields[0] == span_id else {}
        got = self.timed(
            "delete",
            "POST",
            f"/annotations/{span_id}/delete/",
            _write_ok(own=True),
            form=fields,
            htmx=True,
            target="annotation-editor",
        )
        if got is None:
            self.ledger.unknown.append(("delete", span_id))
        elif 200 <= got[0] < 300:
            self.ledger.deletes.append(span_id)
        else:  # a 409: still ours and still there
            self.live.append(span_id)


def _http_kind(status: int, headers) -> str:
    if status == 0:
        return "no status"
    if headers is not None and headers.get("HX-Redirect"):
        return f"HTTP {status} HX-Redirect to {headers.get('HX-Redirect')}"
    if 300 <= status < 400:
        return f"HTTP {status} redirect to {headers.get('Location')}"
    return f"HTTP {status}"


def _read_ok(status, headers, text):
    return "ok" if status == 200 and not headers.get("HX-Redirect") else "error"


def _read_ok_or_gone(status, headers, text):
    # Opening someone else's span that its owner just deleted: 409 "This span was deleted
    # by …" (404 only for an id that never existed).
    if status in {404, 410} or (status == 409 and "was deleted" in text):
        return "gone"
    return _read_ok(status, headers, text)


def _write_ok(own: bool):
    def classify(status, headers, text):
        if headers.get("HX-Redirect"):
            return "error"  # sent to the login page: the session was lost
        if 200 <= status < 300:
            return "ok"
        if status == 409:
            return "conflict"
        if status in {404, 410} and not own:
            return "gone"
        return "error"

    return classify
