"""PDF reading speed: our reader's time against pdfplumber's own `extract_tables` on the same pages.

    uv run python benchmarks/bench_pdf.py [--rounds 5]

Files: synthetic PDFs the tests render (both templates, several layouts, tables over page breaks)
plus the real PDFs of ../shared when present. In each round, on the same bytes:
  ours:     parsers.pdf.pdf_to_rows (pypdfium2 text, chars and lines; pdfplumber's table finder on
            them, pdfplumber itself for pages in doubt; stitching; rows);
  baseline: pdfplumber.open + page.extract_tables() for every page.
Each figure is the median over rounds of pages per second over all files; the ratio is our time
over the baseline's (the target is ≤ 0.5×). "fast pages" is the share of pages with tables that
the fast reader read itself.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402

from parsers.pdf import pdf_to_rows, read_tables  # noqa: E402

SHARED = ROOT.parent / "shared"


def synthetic_pdfs() -> list[bytes]:
    try:
        from tests.synth import make_report
        from tests.synth_docs import render_pdf
    except ImportError:
        return []
    layouts = ({"t4_header": "plain"}, {"t4_header": "vertical", "break_t3": "group", "fragment": True},
               {"break_t3": "row"})
    return [render_pdf(make_report(t, seed), **layout)
            for t in ("2019", "2021") for seed in range(2) for layout in layouts]


def real_pdfs() -> list[bytes]:
    return [p.read_bytes() for p in sorted((SHARED / "corpus" / "raw").glob("*.pdf"))]


def baseline(raw: bytes) -> int:
    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        for page in pdf.pages:
            page.extract_tables()
        return len(pdf.pages)


def ours(raw: bytes) -> None:
    pdf_to_rows(raw)


def fast_share(docs: list[bytes]) -> str:
    pages = [{(t.page, t.reader) for t in read_tables(raw)} for raw in docs]
    fast = sum(len({p for p, r in found if r == "pdfium"}) for found in pages)
    return f"{fast}/{sum(len({p for p, _ in found}) for found in pages)}"


def pages_per_second(fn, docs: list[bytes], pages: int) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for raw in docs:
        fn(raw)
    return pages / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    for name, docs in (("synthetic", synthetic_pdfs()), ("real (../shared)", real_pdfs())):
        if not docs:
            print(f"{name}: no files")
            continue
        pages = sum(baseline(raw) for raw in docs)  # also warms both readers' imports
        ours(docs[0])
        base_runs, our_runs = [], []
        for _ in range(args.rounds):  # interleaved, so drift hits both alike
            base_runs.append(pages_per_second(baseline, docs, pages))
            our_runs.append(pages_per_second(ours, docs, pages))
        b, o = statistics.median(base_runs), statistics.median(our_runs)
        print(f"{name}: {len(docs)} files, {pages} pages, fast pages {fast_share(docs)} | pdfplumber "
              f"extract_tables {b:.1f} pages/s | ours {o:.1f} pages/s | time ratio {b / o:.2f}× (target ≤ 0.5×)")


if __name__ == "__main__":
    main()
