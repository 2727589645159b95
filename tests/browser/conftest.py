"""Playwright drives Debian's Chromium (it cannot download its own browser here)."""

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.migration_rows import restore_migration_rows

# Playwright's sync API runs an event loop in this thread; the Django ORM calls made by
# the test itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


HANDLED_ANSWERS = ("Failed to load resource", "Response Status Error Code 4")


@pytest.fixture(autouse=True)
def data_migration_defaults(transactional_db):
    """Put back the labels and groups that the data migrations create.

    Live-server tests run on a flushed database, which loses migration-made rows (and
    pytest-django's serialized_rollback does not restore them once Playwright's event loop
    is running), so the migrations' own functions are run again here.
    """
    restore_migration_rows()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run 'make chromium' (apt-get install chromium)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A 4xx answer the page handles (a refused form) is logged by Chromium as a failed
    # resource, and by htmx as a "Response Status Error Code"; neither is a script error.
    # Missing assets are caught below instead.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith(HANDLED_ANSWERS)
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.request.resource_type in {"stylesheet", "script", "image", "font"}
            and response.status >= 400
            else None
        ),
    )
    page.js_errors = errors
    yield page
    context.close()
    wait_for_live_server_requests()


def wait_for_live_server_requests(timeout=10.0):
    """Let the live server finish what the closed page had asked of it.

    A request still running when the test's database is flushed deadlocks with the
    flush's TRUNCATE on PostgreSQL (a poll reading one table while the flush holds
    another), which fails the next test. The server runs each connection in a thread
    of socketserver's process_request_thread; they end once the browser's sockets close.
    """
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def sign_in(page, base_url, username, password="pw"):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def select_with_mouse(page, text):
    """Drag the mouse across the first occurrence of `text` in the reading pane."""
    page.wait_for_load_state("networkidle")
    box = page.evaluate(
        """(needle) => {
          const pane = document.getElementById('article-text');
          const full = pane.textContent;
          const at = full.indexOf(needle);
          if (at < 0) return null;
          const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
          const range = document.createRange();
          let pos = 0, node, started = false;
          while ((node = walker.nextNode())) {
            const len = node.data.length;
            if (!started && at < pos + len) { range.setStart(node, at - pos); started = true; }
            if (started && at + needle.length <= pos + len) {
              range.setEnd(node, at + needle.length - pos); break;
            }
            pos += len;
          }
          // Centre it first: a drag near the viewport's edge makes the browser autoscroll.
          const box = range.getBoundingClientRect();
          window.scrollBy(0, box.top - window.innerHeight / 2);
          const rects = range.getClientRects();
          const first = rects[0], last = rects[rects.length - 1];
          return {x1: first.left + 1, y1: first.top + first.height / 2,
                  x2: last.right - 1, y2: last.top + last.height / 2};
        }""",
        text,
    )
    assert box, f"{text!r} is not in the reading pane"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, box["y2"], steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()


def marks_off_their_line(page, selector: str) -> int:
    """How many of the marks `selector` finds have their badge (their ::before, which
    comes first in their first line box) on another line than their first letter."""
    return page.evaluate(
        """selector => Array.from(document.querySelectorAll(selector)).filter(mark => {
          const box = mark.getClientRects()[0];  // the badge's line: it comes first
          const text = document.createTreeWalker(mark, NodeFilter.SHOW_TEXT).nextNode();
          const letter = document.createRange();
          letter.setStart(text, 0);
          letter.setEnd(text, 1);
          const at = letter.getClientRects()[0];
          return box.bottom <= at.top || box.top >= at.bottom;  // no height in common
        }).length""",
        selector,
    )
