/* Selection -> span, in Python code points (the server's unit).
 *
 * The DOM counts in UTF-16 code units; an emoji is 2 units but 1 code point. This is the
 * one place the page converts. The reading pane's textContent is the article body, so a
 * range measured from the start of the pane is an offset into the body. */
(function () {
  "use strict";

  function codePointCount(text) {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      // A high surrogate followed by a low one is a single code point.
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
      count++;
    }
    return count;
  }

  function utf16OffsetIn(pane, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(pane);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  /* The part of `range` inside `pane` as {start, end, quote}, with white space trimmed
   * from both ends, or null when nothing but white space is selected. */
  function spanFromRange(pane, range) {
    if (!pane.contains(range.commonAncestorContainer) && range.commonAncestorContainer !== pane) {
      const clipped = document.createRange();
      clipped.selectNodeContents(pane);
      if (range.compareBoundaryPoints(Range.END_TO_START, clipped) > 0 ||
          range.compareBoundaryPoints(Range.START_TO_END, clipped) < 0) return null;
      if (range.compareBoundaryPoints(Range.START_TO_START, clipped) > 0) {
        clipped.setStart(range.startContainer, range.startOffset);
      }
      if (range.compareBoundaryPoints(Range.END_TO_END, clipped) < 0) {
        clipped.setEnd(range.endContainer, range.endOffset);
      }
      range = clipped;
    }
    const text = pane.textContent;
    let from = utf16OffsetIn(pane, range.startContainer, range.startOffset);
    let to = utf16OffsetIn(pane, range.endContainer, range.endOffset);
    while (from < to && /\s/.test(text[from])) from++;
    while (to > from && /\s/.test(text[to - 1])) to--;
    if (to <= from) return null;
    const start = codePointCount(text.slice(0, from));
    const quote = text.slice(from, to);
    return { start: start, end: start + codePointCount(quote), quote: quote };
  }

  window.FactcheckOffsets = { codePointCount: codePointCount, spanFromRange: spanFromRange };
})();
