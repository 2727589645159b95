/* The review page: select text (mouse, or the sentence cursor on the keyboard), press a
 * label key, and the span is saved through htmx; open, relabel, save, delete and undo
 * from the keyboard. Answers update only the regions that changed, so the reader keeps
 * their place; another reviewer's changes arrive by a cheap poll (304 while nothing moved). */
(function () {
  "use strict";

  const Offsets = window.FactcheckOffsets;
  const bar = document.getElementById("label-bar");
  const flash = document.getElementById("flash");
  const toast = document.getElementById("toast");
  const shortcuts = document.getElementById("shortcuts");
  let pending = null; // the span under the current selection, in code points
  let cursor = null; // {first, last}: indexes of the sentences the keyboard cursor covers
  let sentenceCache = null;

  function workspace() { return document.getElementById("workspace"); }
  function pane() { return document.getElementById("article-text"); }
  function editor() { return document.getElementById("annotation-editor"); }
  function canAnnotate() { return workspace() && workspace().dataset.canAnnotate === "true"; }
  function openCard() { return document.querySelector("#annotation-editor .editor-card"); }
  function inField(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable], dialog[open]");
  }

  // A note (what a key needs first, the last sentence) or, with `error`, a refusal or a
  // failure: a note is shown quietly, an error in red.
  function showMessage(text, error) {
    flash.textContent = text;
    flash.classList.toggle("is-error", Boolean(error));
    flash.hidden = false;
    clearTimeout(showMessage.timer);
    showMessage.timer = setTimeout(function () { flash.hidden = true; }, 6000);
  }

  // --- selection and the label bar -----------------------------------------------------

  function hideBar() { bar.hidden = true; pending = null; }

  function clearSelection() {
    hideBar();
    cursor = null;
    const selection = window.getSelection();
    if (selection) selection.removeAllRanges();
  }

  function currentSpan() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0 || !pane()) return null;
    const range = selection.getRangeAt(0);
    if (!pane().contains(range.startContainer) && !pane().contains(range.endContainer)) return null;
    return Offsets.spanFromRange(pane(), range);
  }

  function placeBar(range) {
    const box = range.getBoundingClientRect();
    bar.hidden = false;
    // Below the selection, or above it when the viewport has no room underneath.
    const below = box.bottom + 8 + bar.offsetHeight <= document.documentElement.clientHeight;
    const top = window.scrollY + (below ? box.bottom + 8 : box.top - bar.offsetHeight - 8);
    const left = Math.max(8, Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - bar.offsetWidth - 8));
    bar.style.top = top + "px";
    bar.style.left = left + "px";
  }

  function onSelectionDone() {
    if (!canAnnotate()) return;
    const span = currentSpan();
    if (!span) { hideBar(); return; }
    pending = span;
    placeBar(window.getSelection().getRangeAt(0));
  }

  function selectCodePoints(start, end) {
    const range = Offsets.rangeFromSpan(pane(), start, end);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    const box = range.getBoundingClientRect();
    if (box.top < 60 || box.bottom > window.innerHeight - 60) {
      window.scrollBy({ top: box.top - window.innerHeight / 3 });
    }
    onSelectionDone();
  }

  // Whole words: a drag that starts or ends inside a word takes the whole word.
  function snapEnabled() {
    const box = document.getElementById("snap-words");
    return box ? box.checked : false;
  }

  function snapSelection() {
    const selection = window.getSelection();
    if (!snapEnabled() || !selection || selection.isCollapsed || !pane()) return;
    // A drag begun in the title or ended past the text snaps its part in the text.
    const range = Offsets.clipToPane(pane(), selection.getRangeAt(0));
    if (!range) return;
    const text = pane().textContent;
    const measure = document.createRange();
    measure.selectNodeContents(pane());
    measure.setEnd(range.startContainer, range.startOffset);
    const from = measure.toString().length;
    const to = from + range.toString().length;
    const snapped = Offsets.snapToWords(text, from, to);
    if (snapped[0] === from && snapped[1] === to) return;
    const start = Offsets.domPosition(pane(), snapped[0]);
    const end = Offsets.domPosition(pane(), snapped[1]);
    const wider = document.createRange();
    wider.setStart(start.node, start.offset);
    wider.setEnd(end.node, end.offset);
    selection.removeAllRanges();
    selection.addRange(wider);
  }

  function restoreSnapSetting() {
    const box = document.getElementById("snap-words");
    if (!box || !workspace()) return;
    const key = "factcheck.snap." + workspace().dataset.user;
    const stored = window.localStorage ? localStorage.getItem(key) : null;
    if (stored !== null) box.checked = stored === "1";
    box.addEventListener("change", function () {
      if (window.localStorage) localStorage.setItem(key, box.checked ? "1" : "0");
    });
  }

  // --- the sentence cursor -------------------------------------------------------------

  function sentences() {
    const raw = pane() ? pane().dataset.sentences || "" : "";
    if (!sentenceCache || sentenceCache.raw !== raw) {
      const list = raw ? raw.split(";").map(function (pair) {
        const parts = pair.split(",");
        return [Number(parts[0]), Number(parts[1])];
      }) : [];
      sentenceCache = { raw: raw, list: list };
    }
    return sentenceCache.list;
  }

  function firstVisibleSentence(list) {
    // The first sentence whose start is on screen, found by bisecting on its position.
    let low = 0, high = list.length - 1, found = 0;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const box = Offsets.rangeFromSpan(pane(), list[mid][0], list[mid][0] + 1).getBoundingClientRect();
      if (box.top >= 0) { found = mid; high = mid - 1; } else { low = mid + 1; }
    }
    return found;
  }

  function sentenceAfter(list, offset) {
    for (let i = 0; i < list.length; i++) if (list[i][0] >= offset) return i;
    return -1;
  }

  // The sentences a span touches, as a cursor. A selection trimmed by a word, or dragged
  // with the mouse, is no run of whole sentences, but once it is labelled (and so gone)
  // ↓/↑ must still go on from it, not from the first sentence on screen.
  function cursorAround(span) {
    const list = sentences();
    let first = 0, last = 0;
    for (let i = 0; i < list.length && list[i][0] < span.end; i++) {
      if (list[i][0] <= span.start) first = i;
      last = i;
    }
    return list.length ? { first: first, last: Math.max(first, last) } : null;
  }

  function showCursor() {
    const list = sentences();
    selectCodePoints(list[cursor.first][0], list[cursor.last][1]);
  }

  function moveCursor(step, extend) {
    const list = sentences();
    if (!list.length) { showMessage("This article has no sentences to select."); return; }
    if (!cursor) {
      const span = currentSpan();
      let index = span ? sentenceAfter(list, span.end) : firstVisibleSentence(list);
      if (index < 0) index = list.length - 1;
      cursor = { first: index, last: index };
    } else if (extend) {
      const last = Math.min(list.length - 1, Math.max(cursor.first, cursor.last + step));
      cursor = { first: cursor.first, last: last };
    } else {
      const next = step > 0 ? cursor.last + 1 : cursor.first - 1;
      if (next < 0 || next >= list.length) {
        showMessage(step > 0 ? "That was the last sentence." : "This is the first sentence.");
        return;
      }
      cursor = { first: next, last: next };
    }
    showCursor();
  }

  function extendByWord(step) {
    const span = pending || currentSpan();
    if (!span) { moveCursor(1, false); return; }
    const text = pane().textContent;
    const from = Offsets.utf16Index(text, span.start);
    let to = Offsets.utf16Index(text, span.end);
    if (step > 0) {
      const rest = text.slice(to);
      const match = /^\s*[^\s]+/.exec(rest);
      if (!match) return;
      to += match[0].length;
    } else {
      const inside = text.slice(from, to);
      const match = /\s+[^\s]*$/.exec(inside);
      if (!match) return;
      to = from + match.index;
    }
    const end = span.start + Offsets.codePointCount(text.slice(from, to));
    cursor = cursorAround({ start: span.start, end: end });
    selectCodePoints(span.start, end);
  }

  // --- spans: create, open, move between, relabel, delete, undo --------------------------

  // The span is painted the moment the key is pressed (a CSS custom highlight: no change
  // to the DOM, so the text stays exactly the body); the stored highlight replaces it when
  // the server answers, or it goes away with the error message.
  function paintPending(span) {
    if (!window.Highlight || !CSS.highlights) return;
    CSS.highlights.set("factcheck-pending", new Highlight(Offsets.rangeFromSpan(pane(), span.start, span.end)));
  }

  function clearPending() {
    if (window.CSS && CSS.highlights) CSS.highlights.delete("factcheck-pending");
  }

  function createSpan(labelSlug) {
    const span = pending || currentSpan();
    if (!span) { showMessage("Select some text in the article first."); return; }
    hideBar();
    paintPending(span);
    cursor = cursorAround(span); // the selection goes: the cursor stays on the span
    window.getSelection().removeAllRanges();
    htmx.ajax("POST", workspace().dataset.createUrl, {
      target: "#annotation-editor",
      swap: "innerHTML",
      values: { label: labelSlug, start: span.start, end: span.end, quote: span.quote },
    });
  }

  function openAnnotation(id) {
    htmx.ajax("GET", "/annotations/" + id + "/", { target: "#annotation-editor", swap: "innerHTML" });
  }

  function focusMark(mark) {
    mark.setAttribute("tabindex", "-1");
    mark.focus({ preventScroll: true });
  }

  // Focusable only while focused: a focusable mark would swallow the start of a drag.
  // When the focused mark goes because its paragraph was redrawn, the keyboard moves to
  // the same span's new mark.
  document.addEventListener("focusout", function (event) {
    const mark = event.target;
    if (!mark.matches || !mark.matches("mark.hl")) return;
    mark.removeAttribute("tabindex");
    const id = mark.dataset.annotationId;
    setTimeout(function () {
      if (mark.isConnected) return;
      const active = document.activeElement;
      if (active && active !== document.body) return;
      const fresh = firstMark(id);
      if (fresh) focusMark(fresh);
    }, 0);
  });

  function firstMark(id) {
    return pane() ? pane().querySelector('mark.hl[data-first][data-annotation-id="' + id + '"]') : null;
  }

  function flashSpan(id) {
    const mark = firstMark(id);
    if (!mark) return;
    mark.scrollIntoView({ block: "center" });
    document.querySelectorAll('mark.hl[data-annotation-id="' + id + '"]').forEach(function (el) {
      el.classList.remove("is-flashing");
      void el.offsetWidth; // restart the animation
      el.classList.add("is-flashing");
    });
  }

  function stepSpan(step) {
    const marks = pane() ? Array.from(pane().querySelectorAll("mark.hl[data-first]")) : [];
    if (!marks.length) { showMessage("No spans yet."); return; }
    let index = marks.indexOf(document.activeElement);
    if (index < 0) {
      const card = openCard();
      const open = card ? firstMark(card.dataset.annotationRef) : null;
      index = open ? marks.indexOf(open) : (step > 0 ? -1 : marks.length);
    }
    const next = Math.max(0, Math.min(marks.length - 1, index + step));
    focusMark(marks[next]);
    marks[next].scrollIntoView({ block: "nearest" });
  }

  function relabelOpenSpan(labelSlug) {
    const card = openCard();
    const form = card ? card.querySelector("form.edit-form") : null;
    if (!form) { showMessage("Only its author or an editor can change this span."); return; }
    const select = form.querySelector("select[name='edit-label']");
    const button = bar.querySelector('[data-label="' + CSS.escape(labelSlug) + '"]');
    const name = button ? button.dataset.name : "";
    const option = select ? Array.from(select.options).find(function (o) {
      return o.textContent.trim() === name;
    }) : null;
    if (!option) return;
    select.value = option.value;
    submitThroughHtmx(form);
  }

  // A key pressed in the moment after an editor arrives can come before htmx has wired
  // its forms up; make sure it has, or the browser would post the form itself and reload.
  function submitThroughHtmx(form, submitter) {
    htmx.process(form);
    if (submitter) submitter.click(); else form.requestSubmit();
  }

  function deleteOpenSpan() {
    const card = openCard();
    const button = card ? card.querySelector("[data-delete]") : null;
    if (button) submitThroughHtmx(button.form || card, button);
  }

  function closeEditor() {
    const region = editor();
    if (!region) return;
    region.innerHTML = '<p class="muted small editor-hint">Click a highlight (or press <kbd>j</kbd>/<kbd>k</kbd> and <kbd>Enter</kbd>) to edit its label, speaker, note and sources.</p>';
    markActive();
  }

  function markActive() {
    const card = openCard();
    const id = card ? card.dataset.annotationRef : null;
    document.querySelectorAll("mark.hl.is-active, .span-item.is-active").forEach(function (el) {
      el.classList.remove("is-active");
    });
    if (!id) return;
    document.querySelectorAll('mark.hl[data-annotation-id="' + id + '"], .span-item[data-span-id="' + id + '"]')
      .forEach(function (el) { el.classList.add("is-active"); });
  }

  // --- events ----------------------------------------------------------------------------

  document.addEventListener("mouseup", function (event) {
    if (bar.contains(event.target)) return;
    // Let the browser finish updating the selection first.
    setTimeout(function () {
      if (pane() && pane().contains(event.target)) { cursor = null; snapSelection(); }
      onSelectionDone();
    }, 0);
  });

  // Other scripts (speakers, relations, seen before) claim keys first: a hook returns
  // true when it handled the event, and the page's own keys are skipped then.
  const keyHooks = [];

  document.addEventListener("keydown", function (event) {
    const key = event.key;
    for (const hook of keyHooks) {
      if (hook(event)) { event.preventDefault(); return; }
    }
    if (key === "Escape") {
      if (shortcuts.open) return; // the dialog closes itself
      clearSelection();
      const inEditor = event.target.closest && event.target.closest("#annotation-editor");
      if (inField(event.target) && !inEditor) return; // Esc in another field is that field's
      if (inEditor && event.target.blur) event.target.blur();
      if (openCard()) closeEditor();
      return;
    }
    if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const form = event.target.closest && event.target.closest("#annotation-editor form");
      if (form) { event.preventDefault(); submitThroughHtmx(form); }
      return;
    }
    if (inField(event.target) || event.altKey || event.ctrlKey && key !== "z" || event.metaKey) return;
    if (event.ctrlKey && key === "z") {
      const undo = toast.querySelector("[data-undo]");
      if (undo) { event.preventDefault(); undo.click(); }
      return;
    }
    if (key === "Enter" && event.target.matches && event.target.matches("mark.hl")) {
      event.preventDefault();
      openAnnotation(event.target.dataset.annotationId);
      return;
    }
    const labelButton = bar.querySelector('[data-shortcut="' + CSS.escape(key) + '"]');
    if (labelButton && canAnnotate()) {
      event.preventDefault();
      if (pending || currentSpan()) createSpan(labelButton.dataset.label);
      else if (openCard()) relabelOpenSpan(labelButton.dataset.label);
      else showMessage("Select some text first: drag with the mouse, or press ↓ for a sentence.");
      return;
    }
    let handled = true;
    if (key === "ArrowDown" || key === "]") moveCursor(1, event.shiftKey);
    else if (key === "ArrowUp" || key === "[") moveCursor(-1, event.shiftKey);
    else if (event.shiftKey && key === "ArrowRight") extendByWord(1);
    else if (event.shiftKey && key === "ArrowLeft") extendByWord(-1);
    else if (key === "j") stepSpan(1);
    else if (key === "k") stepSpan(-1);
    else if (key === "Delete" && openCard()) deleteOpenSpan();
    else if (key === "?") shortcuts.showModal();
    else if (key === "n" || key === "p") {
      const link = document.querySelector(key === "n" ? "a[rel=next]" : "a[rel=prev]");
      if (link) window.location.href = link.href; else handled = false;
    } else handled = false;
    if (handled) event.preventDefault();
  });

  document.addEventListener("keyup", function (event) {
    if (event.shiftKey && !event.key.startsWith("Arrow") && !inField(event.target)) setTimeout(onSelectionDone, 0);
  });

  document.addEventListener("click", function (event) {
    const labelButton = event.target.closest(".label-button");
    if (labelButton && !labelButton.disabled) {
      event.preventDefault();
      if (pending || currentSpan()) createSpan(labelButton.dataset.label);
      else if (openCard() && !bar.contains(labelButton)) relabelOpenSpan(labelButton.dataset.label);
      else showMessage("Select some text in the article first.");
      return;
    }
    if (event.target.closest(".js-close-editor")) { closeEditor(); return; }
    if (event.target.closest(".js-shortcuts")) { shortcuts.showModal(); return; }
    const item = event.target.closest(".span-item");
    if (item && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      openAnnotation(item.dataset.spanId);
      flashSpan(item.dataset.spanId);
      return;
    }
    const mark = event.target.closest("mark.hl");
    if (mark && window.getSelection().isCollapsed) openAnnotation(mark.dataset.annotationId);
  });

  // Keep the label bar's buttons from stealing the selection on mousedown.
  bar.addEventListener("mousedown", function (event) { event.preventDefault(); });

  // --- the span list: one item in, out or replaced, in text order -------------------------

  function itemKey(li) {
    return [Number(li.dataset.s), -Number(li.dataset.e), Number(li.id.slice(3))];
  }

  function before(a, b) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
  }

  function insertItem(list, li) {
    const items = list.querySelectorAll(":scope > li[id^='li-']");
    const key = itemKey(li);
    let low = 0, high = items.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (before(itemKey(items[mid]), key)) low = mid + 1; else high = mid;
    }
    if (low < items.length) { list.insertBefore(li, items[low]); return; }
    // Past the last loaded item: it belongs to a page not loaded yet, or at the end.
    if (document.getElementById("list-more")) return;
    list.insertBefore(li, list.querySelector(".list-empty"));
  }

  function applyListOps() {
    const ops = document.getElementById("list-ops");
    const list = document.getElementById("annotation-list");
    if (!ops || !list || !ops.children.length) return;
    Array.from(ops.querySelectorAll("template")).forEach(function (op) {
      const existing = document.getElementById("li-" + op.dataset.id);
      const fresh = op.content.firstElementChild;
      if (op.dataset.op === "remove" || !fresh) { if (existing) existing.remove(); return; }
      if (!existing) { insertItem(list, fresh); return; }
      // The keyboard was on this entry (Enter opened its span, 3 relabelled it): it stays
      // on the redrawn entry rather than falling back to the page.
      const focused = existing.contains(document.activeElement) && document.activeElement.matches(".span-item");
      existing.replaceWith(fresh);
      const again = focused && fresh.querySelector(".span-item");
      if (again) again.focus({ preventScroll: true });
    });
    ops.innerHTML = "";
    const empty = list.querySelector(".list-empty");
    if (empty) empty.hidden = Boolean(list.querySelector(".span-item, #list-more"));
  }

  // --- htmx: what every request carries, and what happens after a swap --------------------

  document.body.addEventListener("htmx:configRequest", function (event) {
    // The span list keeps its filter when a change re-renders it.
    const label = document.getElementById("list-label");
    const reviewer = document.getElementById("list-reviewer");
    if (label && !("list_label" in event.detail.parameters)) event.detail.parameters.list_label = label.value;
    if (reviewer && !("list_reviewer" in event.detail.parameters)) event.detail.parameters.list_reviewer = reviewer.value;
  });

  let focusedSpan = null;
  const restores = new WeakSet(); // requests made by a Restore button of "Recently deleted"
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    const focused = document.activeElement;
    focusedSpan = focused && focused.matches && focused.matches("mark.hl") ? focused.dataset.annotationId : null;
    const elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("#deleted-block")) restores.add(event.detail.requestConfig);
  });

  // The toast's Undo is a restore of one deletion. Once that deletion is restored by any
  // means (the sidebar, another reviewer, the admin) it leaves "Recently deleted", and an
  // Undo would only be refused (409), so the toast goes with it.
  function retireUndo() {
    const form = toast.querySelector("form[hx-post]");
    if (!form) return;
    const url = form.getAttribute("hx-post");
    const offered = Array.from(document.querySelectorAll("#deleted-block form[hx-post]")).some(function (f) {
      return f.getAttribute("hx-post") === url;
    });
    if (!offered) { clearTimeout(toast.timer); toast.innerHTML = ""; }
  }

  // Scroll the sidebar (and only it: the reader keeps their place) to show `el`; on a
  // narrow screen the sidebar is part of the page, which scrolls instead.
  function revealInSidebar(el, tries) {
    const side = el.closest(".sidebar");
    if (!side || getComputedStyle(side).position !== "sticky") { el.scrollIntoView({ block: "nearest" }); return; }
    const box = el.getBoundingClientRect(), view = side.getBoundingClientRect();
    const top = Math.max(0, view.top), bottom = Math.min(window.innerHeight, view.bottom);
    let by = 0;
    if (box.bottom > bottom) by = Math.min(box.bottom - bottom, box.top - top);
    else if (box.top < top) by = box.top - top;
    if (Math.abs(by) < 1) return;
    side.scrollTop += by;
    // The entries scrolled past were only guessed at (content-visibility) until laid out
    // in the next frame: look again then.
    if ((tries || 0) < 5) requestAnimationFrame(function () { revealInSidebar(el, (tries || 0) + 1); });
  }

  // The Restore button goes with its entry: the keyboard goes to the restored span's
  // entry in the list (or its highlight, when the list does not show it).
  function focusRestored() {
    const card = openCard();
    const active = document.activeElement;
    if (!card || (active && active !== document.body)) return;
    const id = card.dataset.annotationRef;
    const entry = document.querySelector("#li-" + id + " .span-item");
    if (entry) {
      entry.focus({ preventScroll: true });
      revealInSidebar(entry);
    } else {
      const mark = firstMark(id);
      if (mark) focusMark(mark);
    }
  }

  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) clearPending();
    const tag = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Article-State");
    if (tag && workspace()) workspace().dataset.state = tag;
    // An undone deletion needs no more undoing.
    if (event.detail.successful && event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("#toast")) {
      toast.innerHTML = "";
    }
  });

  // A 409 that comes as a page region (a stale edit: the saved version beside what was
  // typed) is swapped in like a form error; a plain-text 409 is a message.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status === 409 && (xhr.getResponseHeader("Content-Type") || "").startsWith("text/html")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    clearPending();
    applyListOps();
    markActive();
    retireUndo();
    if (restores.has(event.detail.requestConfig)) focusRestored();
    // The keyboard is on the restored span's list entry, in view: leave the editor be.
    const showsEntry = restores.has(event.detail.requestConfig) && document.activeElement.closest("#annotation-list");
    // The reading pane was redrawn: put the keyboard back on the span it was on.
    if (focusedSpan && (document.activeElement === document.body || !document.activeElement)) {
      const mark = firstMark(focusedSpan);
      if (mark) focusMark(mark);
    }
    // Bring a form error or a conflict into view, and put the keyboard on it.
    const problem = document.querySelector("#annotation-editor .conflict, #annotation-editor .form-errors, #annotation-editor .errorlist");
    if (problem) {
      problem.scrollIntoView({ block: "nearest" });
      const focusable = problem.closest("[tabindex]") || problem;
      if (focusable.focus) focusable.focus({ preventScroll: true });
    } else if (event.detail.target === editor() && !showsEntry) {
      // On a narrow screen the editor sits below the article: bring it into view.
      const box = editor().getBoundingClientRect();
      if (box.top > window.innerHeight || box.bottom < 0) editor().scrollIntoView({ behavior: "smooth", block: "start" });
    }
    const body = toast.querySelector(".toast-body");
    if (body) {
      clearTimeout(toast.timer);
      // This toast's own 10 s: a timer left from an earlier toast (one retired before its
      // time, which clears no timer) must not take a newer one away.
      toast.timer = setTimeout(function () { if (toast.contains(body)) toast.innerHTML = ""; }, 10000);
    }
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const type = xhr.getResponseHeader("Content-Type") || "";
    const text = type.startsWith("text/plain") && xhr.responseText ? xhr.responseText : "The server could not save that (" + xhr.status + "). Nothing was changed; try again.";
    showMessage(text, true);
    // A refusal often means the page is behind (the span was restored or made meanwhile,
    // in another tab or by someone else): ask for the article's state now, not at the
    // next poll, so that the list shows what the message names.
    if (xhr.status === 400 || xhr.status === 409) setTimeout(poll, 0);
  });
  document.body.addEventListener("htmx:sendError", function () {
    showMessage("The server cannot be reached. Nothing was saved; check your connection and try again.", true);
  });

  // --- another reviewer's changes ---------------------------------------------------------

  // A poll's answer is merged into the sidebar, not poured over it: it holds as many list
  // entries as the page had (list_count), and an entry of the span list or of "Recently
  // deleted" that did not change stays the very same element. So the pages loaded so far
  // stay, and so does the keyboard focus (a replaced element loses it).
  const CONTROLS = "a[href], button, input, select, textarea";

  function sameEntry(old, fresh) {
    // The open span's entry is marked by the page (markActive), never by the server.
    const marked = Array.from(old.querySelectorAll(".is-active"));
    marked.forEach(function (el) { el.classList.remove("is-active"); });
    const same = old.isEqualNode(fresh);
    marked.forEach(function (el) { el.classList.add("is-active"); });
    return same;
  }

  // A changed entry that holds the focus hands it to the same control of its new copy.
  function handOver(old, fresh) {
    const index = old.contains(document.activeElement)
      ? Array.from(old.querySelectorAll(CONTROLS)).indexOf(document.activeElement) : -1;
    if (fresh.isConnected) old.remove(); else old.replaceWith(fresh);
    const again = index >= 0 ? fresh.querySelectorAll(CONTROLS)[index] : null;
    if (again) again.focus({ preventScroll: true });
  }

  // The entries (children with an id) of `list` become those of `fresh`, in its order.
  function mergeEntries(list, fresh) {
    const incoming = new Set(Array.from(fresh.children, function (el) { return el.id; }));
    const held = new Map();
    // What left goes first, so the entries that stay are never moved (moving loses focus).
    Array.from(list.children).forEach(function (el) {
      if (el.id && incoming.has(el.id)) held.set(el.id, el); else el.remove();
    });
    let at = list.firstElementChild;
    Array.from(fresh.children).forEach(function (el) {
      const old = held.get(el.id);
      if (old && old === at) {
        at = old.nextElementSibling;
        if (!sameEntry(old, el)) handOver(old, el);
        return;
      }
      list.insertBefore(el, at); // a new entry, or one whose place in text order changed
      if (old) handOver(old, el);
    });
  }

  function mergeSpanList(block, fresh) {
    const list = block.querySelector("#annotation-list");
    const freshList = fresh.querySelector("#annotation-list");
    const form = block.querySelector(".span-filter");
    const freshForm = fresh.querySelector(".span-filter");
    if (!list || !freshList || !form !== !freshForm) { block.innerHTML = fresh.innerHTML; return; }
    ["#span-list-total", "#label-counts"].forEach(function (id) {
      block.querySelector(id).innerHTML = fresh.querySelector(id).innerHTML;
    });
    // The filter's selects stay (one may have the keyboard, or be open); their options
    // change only when a label or a reviewer came or went, and the choice made stays.
    const choices = function (select) {
      return Array.from(select.options, function (o) { return o.value + "\n" + o.text; }).join("\n");
    };
    if (form) form.querySelectorAll("select").forEach(function (select) {
      const options = freshForm.querySelector("#" + select.id);
      if (!options || choices(select) === choices(options)) return;
      const value = select.value;
      select.innerHTML = options.innerHTML;
      if (Array.from(select.options).some(function (o) { return o.value === value; })) select.value = value;
    });
    mergeEntries(list, freshList);
  }

  function mergeDeleted(block, fresh) {
    const list = block.querySelector(".deleted-list");
    const freshList = fresh.querySelector(".deleted-list");
    if (list && freshList) mergeEntries(list, freshList); else block.innerHTML = fresh.innerHTML;
  }

  // The first span-list entry in view (or "Recently deleted", below the list) and where
  // it is on screen. The browser's scroll anchoring does not always keep it in place when
  // entries come or go above it, so the merge puts it back itself.
  function sidebarAnchor() {
    const side = document.querySelector(".sidebar");
    if (!side) return null;
    const box = side.getBoundingClientRect();
    const top = Math.max(0, box.top), bottom = Math.min(window.innerHeight, box.bottom);
    const items = document.querySelectorAll("#annotation-list > li[id^='li-']");
    let low = 0, high = items.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (items[mid].getBoundingClientRect().bottom <= top) low = mid + 1; else high = mid;
    }
    const el = low < items.length ? items[low] : document.getElementById("deleted-block");
    const at = el ? el.getBoundingClientRect().top : Infinity;
    return at < bottom ? { side: side, id: el.id, top: at } : null; // none in view: nothing to keep
  }

  function keepAnchor(anchor) {
    const el = anchor && document.getElementById(anchor.id);
    if (!el) return;
    const shift = el.getBoundingClientRect().top - anchor.top;
    if (Math.abs(shift) < 1) return;
    // On a wide screen the sidebar is sticky and scrolls by itself; on a narrow one it is
    // part of the page, which scrolls instead.
    if (getComputedStyle(anchor.side).position === "sticky") anchor.side.scrollTop += shift;
    else window.scrollBy(0, shift);
  }

  function applyRegions(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const anchor = sidebarAnchor();
    template.content.querySelectorAll("[hx-swap-oob]").forEach(function (fresh) {
      const target = document.getElementById(fresh.id);
      if (!target) return;
      if (fresh.id === "span-list-block") mergeSpanList(target, fresh);
      else if (fresh.id === "deleted-block") mergeDeleted(target, fresh);
      else target.innerHTML = fresh.innerHTML;
      htmx.process(target);
    });
    keepAnchor(anchor);
    markActive();
    retireUndo();
  }

  function listFilter() {
    const label = document.getElementById("list-label");
    const reviewer = document.getElementById("list-reviewer");
    return { label: label ? label.value : "", reviewer: reviewer ? reviewer.value : "" };
  }

  function poll() {
    const space = workspace();
    if (!space || document.hidden) return;
    // Never redraw the text under someone's selection or half-made span; try again later.
    if (pending || currentSpan() || (pane() && pane().contains(document.activeElement) && document.activeElement !== pane())) return;
    const url = new URL(space.dataset.stateUrl, window.location.href);
    const filter = listFilter();
    url.searchParams.set("list_label", filter.label);
    url.searchParams.set("list_reviewer", filter.reviewer);
    // As many list entries back as the page holds, so that no loaded page goes.
    url.searchParams.set("list_count", document.querySelectorAll("#annotation-list > li[id^='li-']").length);
    const asked = space.dataset.state;
    fetch(url, {
      headers: { "If-None-Match": '"' + asked + '"', "HX-Request": "true" },
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      if (response.status !== 200) return null;
      const tag = response.headers.get("X-Article-State");
      return response.text().then(function (html) {
        if (pending || currentSpan()) return; // a selection began meanwhile: next time
        // The page's own change was answered (its state moved) or is on its way while this
        // was: this answer is older than what the page shows, and drawn it would bring a
        // deleted span back or take the Undo away. The next poll brings the news.
        if (space.dataset.state !== asked || document.querySelector(".htmx-request")) return;
        // The list's filter changed meanwhile: this answer lists the old filter's spans.
        const now = listFilter();
        if (now.label !== filter.label || now.reviewer !== filter.reviewer) return;
        applyRegions(html);
        if (tag) space.dataset.state = tag;
      });
    }).catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  const every = Number((workspace() && workspace().dataset.pollMs) || 5000);
  if (workspace() && every > 0) setInterval(poll, every);

  // Closing the key list gives the keyboard back to the page, not to its Close button.
  shortcuts.addEventListener("close", function () {
    if (shortcuts.contains(document.activeElement)) document.activeElement.blur();
  });

  restoreSnapSetting();
  markActive();
  window.FactcheckReview = {
    poll: poll,
    keyHooks: keyHooks,
    inField: inField,
    openCard: openCard,
    openAnnotation: openAnnotation,
    focusMark: focusMark,
    firstMark: firstMark,
    flashSpan: flashSpan,
    stepSpan: stepSpan,
    showMessage: showMessage,
    submitThroughHtmx: submitThroughHtmx,
  };
})();
