/* The attention page: pick where a span goes by selecting text in the current article.
 *
 * "Pick in the text" on a span makes it the target; a selection in the current text
 * (measured in code points by offsets.js, the server's unit) fills that span's start and
 * end and its form is shown again, ready to submit. Without JavaScript the offsets can
 * still be typed, or a proposed place chosen. */
(function () {
  "use strict";
  const pane = document.getElementById("attention-current-text");
  if (!pane || !window.FactcheckOffsets) return;
  const status = document.getElementById("attention-pick-status");
  let target = null;

  document.querySelectorAll("[data-pick-for]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      target = document.getElementById(button.dataset.pickFor);
      status.textContent = "Select the text for span #" + target.dataset.spanId + " below.";
      pane.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });

  pane.addEventListener("mouseup", function () {
    const selection = window.getSelection();
    if (!target || !selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    const span = window.FactcheckOffsets.spanFromRange(pane, selection.getRangeAt(0));
    if (!span) return;
    target.querySelector("input[name=start]").value = span.start;
    target.querySelector("input[name=end]").value = span.end;
    target.querySelectorAll("input[name=choice]").forEach(function (radio) { radio.checked = false; });
    target.querySelector("details.attention-manual").open = true;
    const chosen = target.querySelector(".attention-picked");
    chosen.textContent = "Chosen: “" + span.quote + "”";
    status.textContent = "";
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.querySelector("button[type=submit]").focus({ preventScroll: true });
    target = null;
  });
})();
