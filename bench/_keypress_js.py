"""The page-side halves of bench_keypress.py: scripts run in Chromium through Playwright.

They rely only on the review page's stable contract: the reading pane is #article-text
(its textContent is the article body), highlights are mark[data-annotation-id], and a
label's shortcut key pressed with a text selection creates a span.
"""

# Before any page script: note when the page is usable, i.e. the reading pane is there,
# the review scripts have run (offsets.js defines FactcheckOffsets; the label bar or the
# label buttons exist) and the frame after that has been drawn.
USABLE_INIT = """
(() => {
  let done = false;
  const ready = () => document.getElementById('article-text') && window.FactcheckOffsets &&
    (document.getElementById('label-bar') || document.querySelector('.label-button'));
  const check = () => {
    if (done || !ready()) return;
    done = true;
    window.__readyAt = performance.now();
    requestAnimationFrame(() => setTimeout(() => { window.__usableAt = performance.now(); }, 0));
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', check);
  window.addEventListener('load', check);
})();
"""

LOAD_TIMES = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    ttfb: nav.responseStart - nav.requestStart, response_end: nav.responseEnd,
    server_timing: nav.serverTiming.map(t => ({name: t.name, dur: t.duration})),
    html_bytes: nav.decodedBodySize, transfer_bytes: nav.transferSize,
    ready: window.__readyAt === undefined ? null : window.__readyAt,
    usable: window.__usableAt === undefined ? null : window.__usableAt,
    fcp: paint ? paint.startTime : null,
    marks: document.querySelectorAll('#article-text mark[data-annotation-id]').length,
  };
}
"""

# Select [start, end) code points of the reading pane's text with a DOM Range, as a mouse
# drag would; returns the selected text (checked against the body by the caller).
SELECT = """
({start, end}) => {
  const pane = document.getElementById('article-text');
  const text = pane.textContent;
  let cp = 0, unit = 0, from = -1, to = -1;
  for (;;) {
    if (cp === start) from = unit;
    if (cp === end) { to = unit; break; }
    if (unit >= text.length) break;
    const c = text.charCodeAt(unit);
    const next = text.charCodeAt(unit + 1);
    unit += (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) ? 2 : 1;
    cp++;
  }
  if (from < 0 || to < 0) return null;
  const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let pos = 0, node, started = false;
  while ((node = walker.nextNode())) {
    const len = node.data.length;
    if (!started && from < pos + len) { range.setStart(node, from - pos); started = true; }
    if (started && to <= pos + len) { range.setEnd(node, to - pos); break; }
    pos += len;
  }
  const focused = document.activeElement;
  if (focused && focused !== document.body) focused.blur();
  const box = range.getBoundingClientRect();
  window.scrollBy(0, box.top - window.innerHeight / 2);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return range.toString();
}
"""

# Arm the measurement: a capturing keydown listener notes the key's time, a
# MutationObserver the time a mark with an id not on the page before appears, then the
# next drawn frame. The result is window.__bench (a promise), read after the key press.
ARM = """
(key) => {
  const known = new Set();
  for (const m of document.querySelectorAll('mark[data-annotation-id]')) {
    known.add(m.dataset.annotationId);
  }
  performance.clearResourceTimings();
  let keydown = null;
  let painted = null;
  const onKey = (event) => {
    if (keydown === null && event.key === key) {
      keydown = performance.now();
      // The page paints the span as soon as its own key handler has run (a CSS custom
      // highlight); the frame after the key shows it.
      requestAnimationFrame(() => {
        if (window.CSS && CSS.highlights && CSS.highlights.has('factcheck-pending')) {
          painted = performance.now();
        }
      });
    }
  };
  window.addEventListener('keydown', onKey, true);
  const fresh = (root) => {
    const id = root.dataset ? root.dataset.annotationId : undefined;
    if (root.matches('mark[data-annotation-id]') && !known.has(id)) return root;
    for (const m of root.querySelectorAll('mark[data-annotation-id]')) {
      if (!known.has(m.dataset.annotationId)) return m;
    }
    return null;
  };
  window.__bench = new Promise((resolve) => {
    const timer = setTimeout(() => {
      observer.disconnect();
      resolve({timeout: true, keydown});
    }, 20000);
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== 1) continue;
          const mark = fresh(node);
          if (!mark) continue;
          const dom = performance.now();
          observer.disconnect();
          clearTimeout(timer);
          window.removeEventListener('keydown', onKey, true);
          requestAnimationFrame(() => setTimeout(() => {
            const request = performance.getEntriesByType('resource')
              .filter(e => e.name.includes('/annotations/') && e.startTime >= keydown).pop();
            resolve({
              keydown, dom, frame: performance.now(), id: mark.dataset.annotationId, painted,
              request: request ? {
                start: request.startTime, request_start: request.requestStart,
                response_start: request.responseStart, response_end: request.responseEnd,
                server_timing: request.serverTiming.map(t => ({name: t.name, dur: t.duration})),
                bytes: request.decodedBodySize,
              } : null,
            });
          }, 0));
          return;
        }
      }
    });
    observer.observe(document.body, {childList: true, subtree: true});
  });
  return known.size;
}
"""

# Nothing in flight: htmx marks an element with .htmx-request while it waits.
SETTLED = "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
