"""Where parse() of an HTML page spends its time, stage by stage, against the same baseline as
bench_parse.py (decode + one lxml parse), every stage timed in turn on each document.

    uv run python benchmarks/bench_html_stages.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_parse  # noqa: E402

from parsers import html, parse, sniff_format  # noqa: E402
from parsers.document import fill_report  # noqa: E402
from parsers.labels import normalize_text  # noqa: E402
from parsers.model import Report  # noqa: E402
from parsers.rows import grid_to_rows  # noqa: E402


def stages(docs: list[bytes]) -> dict[str, list]:
    """Each stage as a function of the document's index, fed the previous stage's output."""
    decoded = [html.decode_html(d)[0] for d in docs]
    streams = [html._ZERO_WIDTH.sub("", html._walk(d)[0]) for d in decoded]
    split = [html._split_stream(s) for s in streams]
    pages = [html.read_html(d) for d in decoded]
    rows = [[r for i, g in enumerate(p.grids) for r in grid_to_rows(g, f"table {i + 1}")] for p in pages]
    texts = [normalize_text(p.text) for p in pages]

    def fill(i: int) -> None:
        report = Report(source="bench", format="html")
        fill_report(report, rows[i], texts[i], pages[i].title)

    return {
        "baseline: decode + lxml parse": lambda i: bench_parse.html_baseline(docs[i]),
        "decode_html": lambda i: html.decode_html(docs[i]),
        "parse + walk (libxml2, libxslt)": lambda i: html._walk(decoded[i]),
        "stream -> rows and text": lambda i: html._split_stream(streams[i]),
        "lay_out (spans)": lambda i: [html.lay_out(t) for t in split[i][0]],
        "grid_to_rows": lambda i: [r for g in pages[i].grids for r in grid_to_rows(g, "table")],
        "normalize_text": lambda i: normalize_text(pages[i].text),
        "fill_report (records, checks…)": fill,
        "parse() whole": lambda i: parse(docs[i], "bench"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    docs = [d for d in bench_parse.synthetic_documents() + bench_parse.real_documents() if sniff_format(d) == "html"]
    fns = stages(docs)
    totals: dict[str, list[float]] = {name: [] for name in fns}
    clock = time.perf_counter
    for _ in range(args.rounds):
        spent = dict.fromkeys(fns, 0.0)
        for i in range(len(docs)):
            for name, fn in fns.items():
                start = clock()
                fn(i)
                spent[name] += clock() - start
        for name, t in spent.items():
            totals[name].append(t)
    base = statistics.median(totals["baseline: decode + lxml parse"])
    print(f"{len(docs)} HTML documents, median of {args.rounds} rounds")
    for name, ts in totals.items():
        t = statistics.median(ts)
        print(f"{name:<34} {t / len(docs) * 1e3:7.3f} ms/doc {t / base:6.2f}x baseline")


if __name__ == "__main__":
    main()
