"""Parsing speed: documents per second per core, for text and HTML reports.

    uv run python benchmarks/bench_parse.py [--rounds 7] [--min-docs 200]

Documents: the synthetic ones the tests render (both templates, every text shape, HTML in UTF-8 and
GBK), plus the real ones of ../shared when present. Each figure is the median of the rounds, and is
quoted beside a baseline measured in the same run on the same bytes:
  text: decode + NFKC normalize + split lines (the least any reader of the text must do);
  HTML: decode_html + one lxml parse of the page (the least any reader of the tables must do).
The baseline and parse() run document by document in turn (the machine is shared: load that comes
and goes then weighs on both alike); the ratio is the median of the rounds' time ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import unicodedata
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers import parse, sniff_format  # noqa: E402
from parsers.html import decode_html  # noqa: E402

SHARED = ROOT.parent / "shared"


def synthetic_documents() -> list[tuple[str, bytes]]:
    """(shape, bytes) of the generated documents."""
    try:
        from tests.synth import SHAPES, make_report
    except ImportError:
        return []
    docs = []
    for template in ("2019", "2021"):
        for seed in range(4):
            report = make_report(template, seed)
            docs += [(shape, render(report)) for shape, render in SHAPES.items()]
    return docs


def real_documents() -> list[tuple[str, bytes]]:
    paths = sorted((SHARED / "corpus" / "raw").glob("*")) + sorted((SHARED / "seed").glob("*.txt"))
    return [(f"real {p.suffix[1:]}", p.read_bytes()) for p in paths if p.suffix in (".txt", ".md", ".html")]


def text_groups(docs: list[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    """The text documents by shape: each generated shape, glued apart, the real ones by suffix."""
    groups: dict[str, list[bytes]] = {}
    for shape, raw in docs:
        if sniff_format(raw) == "text":
            groups.setdefault(f"text {shape}", []).append(raw)
    return groups


def text_baseline(raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    unicodedata.normalize("NFKC", text).splitlines()


def html_baseline(raw: bytes) -> None:
    doc, _ = decode_html(raw)
    etree.fromstring(doc, etree.HTMLParser())


def rates(fn, baseline, docs: list[bytes], rounds: int) -> tuple[float, float, float]:
    """(docs/s of fn, docs/s of baseline, time ratio fn/baseline): medians over `rounds` passes,
    the two timed in turn on each document."""
    ours, base, ratios = [], [], []
    clock = time.perf_counter
    for _ in range(rounds):
        t_ours = t_base = 0.0
        for raw in docs:
            start = clock()
            baseline(raw)
            middle = clock()
            fn(raw)
            t_base += middle - start
            t_ours += clock() - middle
        ours.append(len(docs) / t_ours)
        base.append(len(docs) / t_base)
        ratios.append(t_ours / t_base)
    return statistics.median(ours), statistics.median(base), statistics.median(ratios)


def widen(docs: list[bytes], minimum: int) -> list[bytes]:
    return (docs * (minimum // max(len(docs), 1) + 1))[: max(minimum, len(docs))] if docs else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-docs", type=int, default=200)
    args = ap.parse_args()
    docs = synthetic_documents() + real_documents()
    texts = text_groups(docs)
    glued = {k: v for k, v in texts.items() if "glued" in k or k == "text real txt"}
    groups = {
        "text": ([d for k, g in texts.items() if k not in glued for d in g], text_baseline),
        **{k: (g, text_baseline) for k, g in texts.items()},
        "html": ([d for _, d in docs if sniff_format(d) == "html"], html_baseline),
        "html synthetic": ([d for k, d in docs if not k.startswith("real") and sniff_format(d) == "html"],
                           html_baseline),
        "html real": ([d for k, d in docs if k.startswith("real") and sniff_format(d) == "html"], html_baseline),
    }
    print("text: every text shape but glued ones and the real .txt (glued page text); each shape below")
    print(f"{'kind':<16} {'docs':>5} {'parse docs/s':>13} {'baseline docs/s':>16} {'parse/baseline time':>20}")
    for kind, (group, baseline) in groups.items():
        if not group:
            print(f"{kind:<16} no documents")
            continue
        work = widen(group, args.min_docs)
        ours, base, ratio = rates(lambda raw: parse(raw, "bench"), baseline, work, args.rounds)
        print(f"{kind:<16} {len(group):>5} {ours:>13.0f} {base:>16.0f} {ratio:>19.2f}x")

if __name__ == "__main__":
    main()
