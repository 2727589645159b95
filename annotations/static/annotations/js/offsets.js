/* Selection <-> span, in Python code points (the server's unit).
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

  /* The UTF-16 index in `text` of code point `points` (clamped to the text). */
  function utf16Index(text, points) {
    let i = 0;
    for (let seen = 0; seen < points && i < text.length; seen++) {
      const unit = text.charCodeAt(i);
      i += unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length ? 2 : 1;
    }
    return i;
  }

  function utf16OffsetIn(pane, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(pane);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  /* The DOM position (text node, offset) of UTF-16 index `index` in the pane's text. */
  function domPosition(pane, index) {
    const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
    let seen = 0;
    let node = null;
    let last = null;
    while ((node = walker.nextNode())) {
      const length = node.data.length;
      if (index <= seen + length) return { node: node, offset: index - seen };
      seen += length;
      last = node;
    }
    return last ? { node: last, offset: last.data.length } : { node: pane, offset: 0 };
  }

  /* A DOM Range over code points [start, end) of the pane's text. */
  function rangeFromSpan(pane, start, end) {
    const text = pane.textContent;
    const from = domPosition(pane, utf16Index(text, start));
    const to = domPosition(pane, utf16Index(text, end));
    const range = document.createRange();
    range.setStart(from.node, from.offset);
    range.setEnd(to.node, to.offset);
    return range;
  }

  /* The part of `range` inside `pane` as {start, end, quote}, with white space trimmed
   * from both ends, or null when nothing but white space is selected. */
  /* The part of `range` inside `pane` (a drag may begin in the title or end in the
   * sidebar), or null when none of it is. */
  function clipToPane(pane, range) {
    if (pane.contains(range.commonAncestorContainer) || range.commonAncestorContainer === pane) return range;
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
    return clipped;
  }

  function spanFromRange(pane, range) {
    range = clipToPane(pane, range);
    if (!range) return null;
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

  /* Widen [from, to) (UTF-16 indexes into `text`) to whole words, so a sloppy drag that
   * cuts "isleading" stores "misleading". Words come from the browser's own Unicode word
   * segmentation, which also handles scripts without spaces (CJK). */
  function snapToWords(text, from, to) {
    if (typeof Intl === "undefined" || !Intl.Segmenter) return [from, to];
    const segmenter = new Intl.Segmenter(document.documentElement.lang || undefined, { granularity: "word" });
    const windowStart = Math.max(0, from - 64);
    const windowEnd = Math.min(text.length, to + 64);
    const segments = segmenter.segment(text.slice(windowStart, windowEnd));
    let start = from;
    let end = to;
    for (const part of segments) {
      if (!part.isWordLike) continue;
      const s = windowStart + part.index;
      const e = s + part.segment.length;
      if (s < from && from < e) start = s;
      if (s < to && to < e) end = e;
    }
    return [start, end];
  }

  window.FactcheckOffsets = {
    codePointCount: codePointCount,
    utf16Index: utf16Index,
    domPosition: domPosition,
    rangeFromSpan: rangeFromSpan,
    clipToPane: clipToPane,
    spanFromRange: spanFromRange,
    snapToWords: snapToWords,
  };
})();
