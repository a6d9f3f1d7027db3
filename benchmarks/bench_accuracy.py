"""Accuracy on generated reports: % of cells right, null (undecided, named) and silently wrong.

    uv run python benchmarks/bench_accuracy.py [--per-shape 25] [--docs-per-shape 8]

Reports from tests/synth.py with random printing habits (blank 表四 cells, full-width 表四 headers,
empty rows, count units in 表二, pipes in the prose, blank zeros and totals, label variants, extra
rows), rendered in every shape: HTML, seed cell-per-line text, row text, span-expanded text
(trafilatura-like), Markdown, a body in a script string, glued page text, DOCX and PDF. Each glued
document is also read with glued="assume-filled" to show what the guess would state.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.accuracy import DOC_SHAPES, TEXT_SHAPES, measure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-shape", type=int, default=30, help="documents per text shape")
    ap.add_argument("--docs-per-shape", type=int, default=10, help="documents per DOCX/PDF shape")
    args = ap.parse_args()
    started = time.perf_counter()
    score = measure(args.per_shape, TEXT_SHAPES, seed=7)
    docs = measure(args.docs_per_shape, DOC_SHAPES, seed=8)
    for part in (docs,):
        for key in ("right", "null", "wrong", "docs", "inexact"):
            getattr(score, key).update(getattr(part, key))
        score.wrong_cells += part.wrong_cells
    print(f"{'shape':10s} {'docs':>5s} {'cells':>7s} {'right %':>8s} {'null':>6s} {'wrong':>6s} {'not exact':>10s}")
    for shape in score.docs:
        right, null, wrong = score.total((shape,))
        cells = right + null + wrong
        print(f"{shape:10s} {score.docs[shape]:5d} {cells:7d} {100 * right / cells:8.3f} {null:6d} {wrong:6d} "
              f"{score.inexact[shape]:10d}")
    exact = tuple(s for s in score.docs if s != "glued")
    right, null, wrong = score.total(exact)
    print(f"\nall shapes but glued: {sum(score.docs[s] for s in exact)} documents, "
          f"{100 * right / (right + null + wrong):.3f}% of cells right, {wrong} silently wrong")
    right, null, wrong = score.total()
    print(f"every shape: {sum(score.docs.values())} documents, {100 * right / (right + null + wrong):.3f}% right, "
          f"{null} null (named), {wrong} silently wrong; {time.perf_counter() - started:.0f} s")
    guess = measure(args.per_shape, ("glued",), seed=7, glued="assume-filled")
    right, null, wrong = guess.total()
    print(f"glued with glued=assume-filled: {100 * right / (right + null + wrong):.3f}% right, {null} null, "
          f"{wrong} wrong (kind assumed, never the default)")
    for line in score.wrong_cells[:20]:
        print("WRONG", line)


if __name__ == "__main__":
    main()
