// htmx 2.0.10 looks for an answer's out-of-band targets inside the tree of the element
// that made the request. When that element was replaced while its request was in flight
// (Delete pressed while the editor was being redrawn by another answer), that tree is no
// longer the page: every out-of-band part is dropped (htmx:oobErrorNoTarget) and the page
// is left half-updated, e.g. a span deleted with no Undo toast and still in the list.
// Upstream fixed it (bigskysoftware/htmx#3959, #3998) after the copy django-htmx ships;
// until then such an answer is swapped here against the page itself.
document.addEventListener("htmx:beforeSwap", function (event) {
  const detail = event.detail;
  const source = detail.requestConfig && detail.requestConfig.elt; // detail.elt is the target
  if (!detail.shouldSwap || !source || source.isConnected) return;
  const target = detail.target;
  if (!target || !target.isConnected) return;
  detail.shouldSwap = false;
  const declared = detail.swapOverride || (source.closest("[hx-swap]") || target).getAttribute("hx-swap");
  const style = (declared || htmx.config.defaultSwapStyle).trim().split(/\s+/)[0];
  htmx.swap(
    target,
    detail.serverResponse,
    { swapStyle: style, swapDelay: 0, settleDelay: htmx.config.defaultSettleDelay },
    { contextElement: target, eventInfo: detail }
  );
});
