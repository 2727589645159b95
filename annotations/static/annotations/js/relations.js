/* Links between spans (a denial to the claim it denies) and the "seen before" panel (issue 7).
 *
 * Link mode: "Link to the span this answers" (or l) shows a banner; a click on a highlight,
 * or j/k then Enter, picks the span the open one answers and posts the link. t changes
 * the kind of link, Esc cancels. The links in the editor jump to the other span. In the
 * seen-before panel, c copies the verdict and sources of the focused match (or the first). */
(function () {
  "use strict";

  const Review = window.FactcheckReview;
  if (!Review) return;
  const TYPES = [["denies", "Denies"], ["responds_to", "Responds to"], ["evidence_for", "Evidence for"]];
  let linking = null; // {origin, url, type, pending}
  let banner = null;

  function pane() { return document.getElementById("article-text"); }
  function linksBlock() {
    const card = Review.openCard();
    return card ? card.querySelector("[data-links]") : null;
  }

  function buildBanner() {
    banner = document.createElement("div");
    banner.id = "link-banner";
    banner.className = "link-banner";
    banner.setAttribute("role", "status");
    banner.setAttribute("aria-live", "polite");
    banner.hidden = true;
    banner.innerHTML =
      '<div class="link-banner-row">' +
      '<span class="link-banner-what">Link <strong data-origin></strong> <bdi class="link-banner-quote" dir="auto"></bdi></span>' +
      '<label class="link-banner-type">as <select data-link-type></select> <kbd>t</kbd></label>' +
      '<button type="button" class="button button-small" data-link-cancel>Cancel <kbd>Esc</kbd></button>' +
      "</div>" +
      '<p class="link-banner-help">Click a highlight, or press <kbd>j</kbd>/<kbd>k</kbd> then <kbd>Enter</kbd>; <kbd>Esc</kbd> cancels</p>' +
      '<p class="link-banner-error" role="alert" hidden></p>';
    const select = banner.querySelector("[data-link-type]");
    TYPES.forEach(function (pair) {
      const option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      select.appendChild(option);
    });
    select.addEventListener("change", function () { if (linking) linking.type = select.value; });
    document.body.appendChild(banner);
  }

  function bannerError(text) {
    const error = banner.querySelector(".link-banner-error");
    error.textContent = text || "";
    error.hidden = !text;
  }

  function markOrigin() {
    document.querySelectorAll("mark.hl.is-link-origin").forEach(function (el) { el.classList.remove("is-link-origin"); });
    if (!linking) return;
    document.querySelectorAll('mark.hl[data-annotation-id="' + linking.origin + '"]').forEach(function (el) {
      el.classList.add("is-link-origin");
    });
  }

  // While linking: a redrawn paragraph (another reviewer's change arriving) gets its ring
  // back, and an editor closed or replaced by another span's ends link mode.
  const watcher = new MutationObserver(function () {
    if (!linking) return;
    const card = Review.openCard();
    if (!card || card.dataset.annotationRef !== linking.origin) { stopLinking(); return; }
    const marks = document.querySelectorAll('mark.hl[data-annotation-id="' + linking.origin + '"]');
    if (marks.length && !marks[0].classList.contains("is-link-origin")) markOrigin();
  });

  function startLinking() {
    const card = Review.openCard();
    if (!card) {
      Review.showMessage("Open a span first (click a highlight, or j/k then Enter), then press l to link it.");
      return;
    }
    const block = linksBlock();
    if (!block || block.dataset.canLink !== "true") {
      Review.showMessage("Only this span's author or an editor can link it.");
      return;
    }
    if (!banner) buildBanner();
    const quote = card.querySelector(".editor-quote");
    const text = quote ? quote.textContent.trim() : "";
    linking = { origin: card.dataset.annotationRef, url: block.dataset.linkUrl, type: block.dataset.defaultType, pending: false };
    banner.querySelector("[data-origin]").textContent = "#" + linking.origin;
    banner.querySelector(".link-banner-quote").textContent = text.length > 60 ? "“" + text.slice(0, 59) + "…”" : "“" + text + "”";
    banner.querySelector("[data-link-type]").value = linking.type;
    bannerError("");
    banner.hidden = false;
    document.body.classList.add("is-linking");
    markOrigin();
    watcher.observe(pane(), { childList: true, subtree: true });
    watcher.observe(document.getElementById("annotation-editor"), { childList: true });
  }

  function stopLinking() {
    linking = null;
    watcher.disconnect();
    if (banner) banner.hidden = true;
    document.body.classList.remove("is-linking");
    markOrigin();
  }

  function cycleType() {
    const values = TYPES.map(function (pair) { return pair[0]; });
    linking.type = values[(values.indexOf(linking.type) + 1) % values.length];
    banner.querySelector("[data-link-type]").value = linking.type;
  }

  function pick(id) {
    if (!linking || linking.pending || !id) return;
    linking.pending = true;
    linking.target = id;
    bannerError("");
    htmx.ajax("POST", linking.url, {
      target: "#annotation-editor",
      swap: "innerHTML",
      values: { to_span: id, type: linking.type },
    });
  }

  // The answer to a link: done (the editor shows it), or the reason in the banner, where
  // the reviewer is looking; link mode stays on so another span can be picked.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const config = event.detail.requestConfig;
    if (!linking || !linking.pending || !config || config.path !== linking.url) return;
    linking.pending = false;
    const xhr = event.detail.xhr;
    if (event.detail.successful && xhr.status === 200) {
      const target = linking.target;
      stopLinking();
      setTimeout(function () { Review.flashSpan(target); }, 0);
    } else if (xhr.status !== 422) {
      const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
      bannerError(plain && xhr.responseText ? xhr.responseText : "The link could not be saved (" + xhr.status + ").");
    }
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    if (!linking) return;
    const card = Review.openCard();
    if (!card || card.dataset.annotationRef !== linking.origin) { stopLinking(); return; }
    const error = card.querySelector(".link-error");
    if (error) bannerError(error.textContent.trim());
    markOrigin(); // the pane's paragraph may have been redrawn
  });

  function jumpTo(id) {
    stopLinking();
    const mark = Review.firstMark(id);
    if (mark) {
      Review.focusMark(mark);
      Review.flashSpan(id);
    }
    Review.openAnnotation(id);
  }

  // --- seen before: c copies from the focused match, or the first --------------------------

  function copyFromMatch() {
    const card = Review.openCard();
    const panel = card.querySelector(".seen-before");
    if (!panel) {
      Review.showMessage("Only claims take a verdict, so this span has no “Seen before”.");
      return;
    }
    const results = panel.querySelector(".seen-results");
    if (!results || !results.hasAttribute("data-loaded")) {
      Review.showMessage("Still looking for similar claims…");
      return;
    }
    const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".seen-match") : null;
    const match = focused && panel.contains(focused) ? focused : panel.querySelector(".seen-match");
    if (!match) {
      Review.showMessage("No similar claim in other articles to copy from.");
      return;
    }
    const button = match.querySelector(".js-seen-copy");
    if (match.hasAttribute("data-applied")) {
      Review.showMessage("This span already has the verdict and sources of #" + match.dataset.matchId + ".");
      return;
    }
    if (!button) {
      Review.showMessage(card.querySelector("form.edit-form")
        ? "#" + match.dataset.matchId + " has no verdict or sources to copy."
        : "Only this span's author or an editor can change its verdict.");
      return;
    }
    Review.submitThroughHtmx(button.form, button);
  }

  // --- keys and clicks ------------------------------------------------------------------------

  Review.keyHooks.push(function (event) {
    const key = event.key;
    if (linking) {
      if (key === "Escape") { stopLinking(); return true; }
      if (Review.inField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return false;
      if (key === "j" || key === "k" || key === "?") return false; // the page moves between highlights
      if (key === "t") { cycleType(); return true; }
      if (key === "Enter") {
        const target = event.target;
        if (target.matches && target.matches("mark.hl")) pick(target.dataset.annotationId);
        else Review.showMessage("Press j or k to move to a highlight, then Enter to link to it.");
        return true;
      }
      // Anything else (a label key, Delete, the next article) would act on the page mid-choice.
      return key.length === 1 || key === "Delete";
    }
    if (Review.inField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return false;
    if (key !== "l" && key !== "c") return false;
    // A label that an editor gave this key keeps it.
    if (document.querySelector('#label-bar [data-shortcut="' + key + '"]')) return false;
    if (key === "l") { startLinking(); return true; }
    if (key === "c" && Review.openCard()) { copyFromMatch(); return true; }
    return false;
  });

  // Capture: in link mode a click on a highlight (or a span in the list) picks it instead
  // of opening it.
  document.addEventListener("click", function (event) {
    if (!linking || !event.target.closest) return;
    if (banner && banner.contains(event.target)) return;
    const mark = event.target.closest("#article-text mark.hl");
    const item = mark ? null : event.target.closest(".span-item");
    if (!mark && !item) return;
    if (mark && !window.getSelection().isCollapsed) return; // a drag, not a pick
    event.preventDefault();
    event.stopPropagation();
    pick(mark ? mark.dataset.annotationId : item.dataset.spanId);
  }, true);

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    const jump = event.target.closest(".js-jump");
    if (jump) { event.preventDefault(); jumpTo(jump.dataset.spanId); return; }
    if (event.target.closest(".js-link-start")) { event.preventDefault(); startLinking(); return; }
    if (event.target.closest("[data-link-cancel]")) stopLinking();
  });

  // The page's key sheet (?) lists these keys too.
  const sheet = document.querySelector("#shortcuts dl");
  if (sheet) {
    [
      ["l", "Link the open span to the span it answers (then click it, or j/k and Enter)"],
      ["t", "While linking: change the kind of link"],
      ["c", "Use the verdict and sources of the focused (or first) “Seen before” match"],
    ].forEach(function (entry) {
      const term = document.createElement("dt");
      const key = document.createElement("kbd");
      key.textContent = entry[0];
      term.appendChild(key);
      const description = document.createElement("dd");
      description.textContent = entry[1];
      sheet.appendChild(term);
      sheet.appendChild(description);
    });
  }

  window.FactcheckRelations = { startLinking: startLinking, stopLinking: stopLinking, isLinking: function () { return Boolean(linking); } };
})();
