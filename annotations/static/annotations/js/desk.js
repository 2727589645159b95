// The article list's "select all on this page" box: ticks or clears every row's box
// (delegated, so it keeps working after htmx swaps the results in).
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (all) {
    const name = all.dataset.selectAll;
    for (const box of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
      box.checked = all.checked;
    }
  }
});
