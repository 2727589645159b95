/* The review page: select text, press a label key (or click), and the span is saved
 * through htmx; click a highlight to open it in the sidebar. */
(function () {
  "use strict";

  const bar = document.getElementById("label-bar");
  const flash = document.getElementById("flash");
  let pending = null; // the span under the current selection, in code points

  function workspace() { return document.getElementById("workspace"); }
  function pane() { return document.getElementById("article-text"); }
  function canAnnotate() { return workspace() && workspace().dataset.canAnnotate === "true"; }

  function showMessage(text) {
    flash.textContent = text;
    flash.hidden = false;
    clearTimeout(showMessage.timer);
    showMessage.timer = setTimeout(function () { flash.hidden = true; }, 6000);
  }

  function hideBar() { bar.hidden = true; pending = null; }

  function currentSpan() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0 || !pane()) return null;
    const range = selection.getRangeAt(0);
    if (!pane().contains(range.startContainer) && !pane().contains(range.endContainer)) return null;
    return window.FactcheckOffsets.spanFromRange(pane(), range);
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

  function createSpan(labelSlug) {
    const span = pending || currentSpan();
    if (!span) { showMessage("Select some text in the article first."); return; }
    hideBar();
    window.getSelection().removeAllRanges();
    htmx.ajax("POST", workspace().dataset.createUrl, {
      target: "#workspace",
      swap: "outerHTML",
      values: { label: labelSlug, start: span.start, end: span.end, quote: span.quote },
    });
  }

  function openAnnotation(id) {
    htmx.ajax("GET", "/annotations/" + id + "/", { target: "#annotation-editor", swap: "innerHTML" });
  }

  function markActive() {
    const card = document.querySelector("#annotation-editor .editor-card");
    const id = card ? card.dataset.annotationRef : null;
    document.querySelectorAll("mark.hl.is-active, .span-item.is-active").forEach(function (el) {
      el.classList.remove("is-active");
    });
    if (!id) return;
    document.querySelectorAll('mark.hl[data-annotation-id="' + id + '"], .span-item[data-span-id="' + id + '"]')
      .forEach(function (el) { el.classList.add("is-active"); });
  }

  document.addEventListener("mouseup", function (event) {
    if (bar.contains(event.target)) return;
    // Let the browser finish updating the selection first.
    setTimeout(onSelectionDone, 0);
  });

  document.addEventListener("keyup", function (event) {
    if (event.shiftKey || event.key.startsWith("Arrow")) setTimeout(onSelectionDone, 0);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideBar(); return; }
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const button = bar.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (!button || !canAnnotate()) return;
    if (!pending && !currentSpan()) return;
    event.preventDefault();
    createSpan(button.dataset.label);
  });

  document.addEventListener("click", function (event) {
    const labelButton = event.target.closest(".label-button");
    if (labelButton && !labelButton.disabled) {
      event.preventDefault();
      createSpan(labelButton.dataset.label);
      return;
    }
    if (event.target.closest(".js-close-editor")) {
      document.getElementById("annotation-editor").innerHTML =
        '<p class="muted small editor-hint">Click a highlight to edit its label, speaker, note and sources.</p>';
      markActive();
      return;
    }
    const item = event.target.closest(".span-item");
    if (item && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      openAnnotation(item.dataset.spanId);
      return;
    }
    const mark = event.target.closest("mark.hl");
    if (mark && window.getSelection().isCollapsed) openAnnotation(mark.dataset.annotationId);
  });

  document.addEventListener("keydown", function (event) {
    // Highlights are focusable: Enter opens the focused one.
    if (event.key === "Enter" && event.target.matches && event.target.matches("mark.hl")) {
      openAnnotation(event.target.dataset.annotationId);
    }
  });

  // Keep the label bar's buttons from stealing the selection on mousedown.
  bar.addEventListener("mousedown", function (event) { event.preventDefault(); });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    markActive();
    // On a narrow screen the editor sits below the article: bring it into view.
    const editor = document.getElementById("annotation-editor");
    if (editor && event.detail.target === editor) {
      const box = editor.getBoundingClientRect();
      if (box.top > window.innerHeight || box.bottom < 0) editor.scrollIntoView({ behavior: "smooth", block: "start" });
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
  document.body.addEventListener("htmx:afterSettle", function () {
    // Bring a form error or a conflict into view, and put the keyboard on it.
    const problem = document.querySelector("#annotation-editor .conflict, #annotation-editor .form-errors, #annotation-editor .errorlist");
    if (problem) {
      problem.scrollIntoView({ block: "nearest" });
      const focusable = problem.closest("[tabindex]") || problem;
      if (focusable.focus) focusable.focus({ preventScroll: true });
    }
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const type = xhr.getResponseHeader("Content-Type") || "";
    const text = type.startsWith("text/plain") && xhr.responseText ? xhr.responseText : "The server could not save that (" + xhr.status + "). Nothing was changed; try again.";
    showMessage(text);
  });
  document.body.addEventListener("htmx:sendError", function () {
    showMessage("The server cannot be reached. Nothing was saved; check your connection and try again.");
  });

  markActive();
})();
