"""Re-anchoring the spans of a revised article (annotations.anchoring), no database.

.venv/bin/python bench/bench_anchoring.py [--chars 50000] [--spans 1000] [--edits 20]

A 50,000-character article of made-up sentences (some non-ASCII), 1,000 spans of 2 to
15 words at random places, then 20 small edits (a word inserted, deleted or misspelt,
spread through the text). Timed: the one diff of old → new (TextMap), then reanchor()
for every span; reported with how each span was placed (diff mapping or exact, by
context, fuzzy, or not placed) and a check that every placed exact span's text is its
quote.
"""

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotations.anchoring import SpanText, TextMap, reanchor
from annotations.offsets import quote_selector

WORDS = (  # noqa: SIM905 (a sentence of words reads better than a list)
    "the minister said bridge safe report council budget inquiry officials claimed "
    "figures rose fell percent million election voters party leader Müller Zürich "
    "北京 政府 élan naïve 🎉 data study found evidence court ruling appeal statement"
).split()


def article(chars: int, rng: random.Random) -> str:
    parts, size = [], 0
    while size < chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize()
        parts.append(sentence + (".\n" if rng.random() < 0.15 else ". "))
        size += len(parts[-1])
    return "".join(parts)[:chars]


def spans(text: str, count: int, rng: random.Random) -> list[SpanText]:
    starts = [i for i in range(1, len(text)) if text[i - 1] == " " and text[i] != " "]
    found = []
    for _ in range(count):
        start = rng.choice(starts)
        end = start
        for _ in range(rng.randint(2, 15)):
            nxt = text.find(" ", end + 1)
            end = nxt if nxt != -1 else len(text)
        selector = quote_selector(text, start, end)
        found.append(SpanText(start, end, selector.exact, selector.prefix, selector.suffix))
    return found


def edit(text: str, edits: int, rng: random.Random) -> str:
    step = len(text) // edits
    out, last = [], 0
    for n in range(edits):
        at = text.find(" ", rng.randint(n * step, (n + 1) * step - 20)) + 1
        out.append(text[last:at])
        kind = n % 3
        if kind == 0:  # a word inserted
            out.append(rng.choice(WORDS) + " ")
            last = at
        elif kind == 1:  # a word deleted
            last = text.find(" ", at) + 1
        else:  # a word misspelt (one letter changed)
            out.append(text[at] + "x")
            last = at + 2
    out.append(text[last:])
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--spans", type=int, default=1_000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    old = article(args.chars, rng)
    marked = spans(old, args.spans, rng)
    new = edit(old, args.edits, rng)
    timings, diff_times = [], []
    for _ in range(args.runs):
        began = time.perf_counter()
        text_map = TextMap(old, new)
        diffed = time.perf_counter()
        placements = [reanchor(old, new, s, text_map=text_map) for s in marked]
        done = time.perf_counter()
        diff_times.append(diffed - began)
        timings.append(done - began)
    methods = Counter(p.method if p else "not placed" for p in placements)
    wrong = sum(
        1
        for s, p in zip(marked, placements, strict=True)
        if p and p.method != "fuzzy" and new[p.start : p.end] != s.quote
    )
    print(
        f"{len(old):,} characters, {len(marked):,} spans, {args.edits} edits "
        f"({len(new) - len(old):+} characters)"
    )
    print(
        f"re-anchoring all spans: median {statistics.median(timings) * 1000:.1f} ms "
        f"(best {min(timings) * 1000:.1f} ms) over {args.runs} runs, "
        f"of which the diff {statistics.median(diff_times) * 1000:.1f} ms"
    )
    print("placed: " + ", ".join(f"{m} {n}" for m, n in sorted(methods.items())))
    print(f"exact placements whose text is not the quote: {wrong}")


if __name__ == "__main__":
    main()
