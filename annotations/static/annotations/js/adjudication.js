/* The adjudication page: move through the reviewer spans with j/k, accept (a), reject (r),
 * select for merging (Enter/Space), merge (m), edit the gold span (e). Every action is a
 * form posted through htmx, answered with the redrawn board; the focused span and the
 * merge selection are carried over the redraw. A gold edit from a stale page is answered
 * 409 with the board, the saved version beside what was typed: it is swapped in too. */
(function () {
  "use strict";

  const flash = document.getElementById("adj-flash");
  const shortcuts = document.getElementById("adj-shortcuts");
  let currentId = null; // the focused candidate's span id, kept across redraws
  let selected = new Set(); // span ids ticked for merging

  function candidates() { return Array.from(document.querySelectorAll(".adj-candidate")); }
  function candidate(id) { return document.getElementById("cand-" + id); }
  function current() { return currentId ? candidate(currentId) : null; }
  function typing(target) {
    return target && target.closest &&
      target.closest("input:not([type=checkbox]), textarea, select, [contenteditable], dialog[open]");
  }

  // A note, or with `error` a refusal or failure (in red, as on the review page).
  function showMessage(text, error) {
    if (!flash) { return; }
    flash.textContent = text;
    flash.classList.toggle("is-error", Boolean(error));
    flash.hidden = false;
    clearTimeout(showMessage.timer);
    showMessage.timer = setTimeout(function () { flash.hidden = true; }, 6000);
  }

  function focusCandidate(item) {
    if (!item) { return; }
    document.querySelectorAll(".is-current").forEach(function (el) { el.classList.remove("is-current"); });
    currentId = item.dataset.candidate;
    item.classList.add("is-current");
    document.querySelectorAll('mark[data-candidate="' + currentId + '"]').forEach(function (mark) {
      mark.classList.add("is-current");
    });
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    const mark = document.querySelector('mark[data-candidate="' + currentId + '"]');
    if (mark) { mark.scrollIntoView({ block: "nearest" }); }
  }

  function move(step) {
    const items = candidates();
    if (!items.length) { return; }
    const at = items.indexOf(current());
    const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
    focusCandidate(items[next]);
  }

  function press(item, action) {
    const button = item && item.querySelector('[data-action="' + action + '"]');
    if (!button) { showMessage(action === "accept" || action === "reject" ? "Start the adjudication first (or reopen it)." : ""); return; }
    if (button.disabled) { showMessage(action === "accept" ? "Already accepted." : "Already rejected."); return; }
    button.click();
  }

  function toggleSelected(item) {
    const box = item && item.querySelector(".adj-select");
    if (!box) { return; }
    box.checked = !box.checked;
    syncSelection(box);
  }

  function syncSelection(box) {
    const item = box.closest(".adj-candidate");
    if (box.checked) { selected.add(box.value); } else { selected.delete(box.value); }
    item.classList.toggle("is-selected", box.checked);
  }

  function merge() {
    const form = document.getElementById("adj-merge");
    if (!form) { showMessage("Start the adjudication first (or reopen it)."); return; }
    if (selected.size < 2) { showMessage("Select at least two spans to merge (Enter or Space)."); return; }
    form.requestSubmit();
  }

  function editGold(item) {
    const goldId = item && item.dataset.goldId;
    const gold = goldId ? document.getElementById("gold-" + goldId) : null;
    const details = gold && gold.querySelector("details.adj-edit");
    if (!details) { showMessage("Accept the span first: only a gold span can be edited."); return; }
    details.open = true;
    gold.scrollIntoView({ block: "nearest" });
    const field = details.querySelector("select, input");
    if (field) { field.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape") {
      document.querySelectorAll("details.adj-edit[open]").forEach(function (d) { d.open = false; });
      selected.forEach(function (id) {
        const box = candidate(id) && candidate(id).querySelector(".adj-select");
        if (box) { box.checked = false; box.closest(".adj-candidate").classList.remove("is-selected"); }
      });
      selected = new Set();
      if (current()) { current().focus({ preventScroll: true }); }
      return;
    }
    if (typing(event.target)) { return; }
    const handlers = {
      j: function () { move(1); },
      k: function () { move(-1); },
      a: function () { press(current(), "accept"); },
      r: function () { press(current(), "reject"); },
      m: merge,
      e: function () { editGold(current()); },
      Enter: function () { toggleSelected(current()); },
      " ": function () { toggleSelected(current()); },
      "?": function () { if (shortcuts) { shortcuts.showModal(); } },
    };
    const handler = handlers[event.key];
    if (!handler) { return; }
    if ((event.key === "Enter" || event.key === " ") && !current()) { return; }
    if (event.target.matches && event.target.matches("button, a, summary") && (event.key === "Enter" || event.key === " ")) { return; }
    event.preventDefault();
    handler();
  });

  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("adj-select")) { syncSelection(event.target); }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest(".js-adj-shortcuts") && shortcuts) { shortcuts.showModal(); return; }
    const mark = event.target.closest("mark.adj-mark[data-candidate]");
    if (mark) { focusCandidate(candidate(mark.dataset.candidate)); return; }
    const goldMark = event.target.closest("mark.adj-gold");
    if (goldMark) {
      const gold = document.getElementById("gold-" + goldMark.dataset.gold);
      if (gold) { gold.focus(); gold.scrollIntoView({ block: "nearest" }); }
      return;
    }
    const item = event.target.closest(".adj-candidate");
    if (item && !event.target.closest("button, input, a")) { focusCandidate(item); }
  });

  // A redraw replaces the board: put the focus and the merge selection back.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!document.getElementById("adjudication")) { return; }
    const merged = event.detail.requestConfig && /\/merge\/$/.test(event.detail.requestConfig.path || "");
    if (merged) { selected = new Set(); }
    selected.forEach(function (id) {
      const box = candidate(id) && candidate(id).querySelector(".adj-select");
      if (box) { box.checked = true; syncSelection(box); } else { selected.delete(id); }
    });
    if (currentId && candidate(currentId)) { focusCandidate(candidate(currentId)); }
    // A stale gold edit: the saved version beside what was typed, its form open. The
    // keyboard goes to it, after the candidate (which only puts the focus back).
    const conflict = document.querySelector("#adj-gold-list .conflict");
    if (conflict) {
      conflict.scrollIntoView({ block: "nearest" });
      conflict.focus({ preventScroll: true });
    }
  });

  // A 409 that comes as the board (a stale gold edit) is swapped in like a form error;
  // a plain-text 409 is a message.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status === 409 && (xhr.getResponseHeader("Content-Type") || "").startsWith("text/html")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Refusals that are not redrawn (403, 409) are shown as a message.
  document.body.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    showMessage(xhr && xhr.responseText && xhr.responseText.length < 400 ? xhr.responseText : "That did not work; reload the page.", true);
  });
})();
