"""Read the same documents with two checkouts of the parsers and compare every record, cell by cell.

    uv run python benchmarks/compare_records.py REF_CHECKOUT NEW_CHECKOUT [--per-shape 40] [--glued 300]

A speed-up must read no cell differently: this parses the generated documents (every tests/synth.py
shape, both templates, random printing habits as tests/accuracy.py draws them, extra glued ones and
`glued="assume-filled"`), the bundled samples and every document of ../shared (when present) with
each checkout, in a child process that imports that checkout's `parsers`, and compares the full
records (t2/t3/t4, undecided, warnings, checks, metadata) and every cell's value, kind, raw text,
page, label and header. It prints the differences (none is the pass; a record the reference could
not read at all and the new side reads is listed apart) and each side's median time per document
by shape. Exit status 1 when any record the reference did read differs.

The documents are generated once (with NEW_CHECKOUT's tests/synth.py) into a temporary folder;
the dumped records stay there (`--keep DIR` keeps them), never in git.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICIES = ("strict", "assume-filled")


# ---- generating the documents (runs inside NEW_CHECKOUT) --------------------------------------


def generate(checkout: Path, out: Path, per_shape: int, glued: int) -> None:
    sys.path.insert(0, str(checkout))
    from tests.accuracy import draw_options
    from tests.synth import SHAPES, make_report

    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random("compare_records")
    n = 0
    for shape in SHAPES:
        for i in range(per_shape):
            template = ("2019", "2021")[i % 2]
            opts = draw_options(rng) if i >= 4 else {}
            if i % 7 == 3:
                opts["inconsistent"] = True
            report = make_report(template, 500 + i, **opts)
            ext = "html" if shape.startswith("html") or shape == "script" else "txt"
            (out / f"gen-{shape}-{template}-{i:03d}.{ext}").write_bytes(SHAPES[shape](report))
            n += 1
    for i in range(glued):  # the glued shape is where the solver works: many more of it
        template = ("2019", "2021")[i % 2]
        opts = draw_options(rng)
        if i % 5 == 2:
            opts["inconsistent"] = True
        report = make_report(template, 2000 + i, **opts)
        (out / f"glued-{template}-{i:03d}.txt").write_bytes(SHAPES["glued"](report))
        n += 1
    print(f"generated {n} documents in {out}", file=sys.stderr)


def real_paths(checkout: Path) -> list[Path]:
    shared = checkout.resolve().parent / "shared"
    paths = sorted((checkout / "data" / "raw" / "samples").glob("*"))
    paths += sorted((shared / "corpus" / "raw").glob("*")) + sorted((shared / "seed").glob("*.txt"))
    return [p for p in paths if p.is_file() and not p.name.startswith(".")]


# ---- dumping records (runs inside each checkout) -----------------------------------------------


def dump(checkout: Path, docs: Path, out: Path, real: list[str]) -> None:
    sys.path.insert(0, str(checkout))
    import parsers
    from parsers import parse

    if not Path(parsers.__file__).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"imported {parsers.__file__}, not the checkout {checkout}")
    paths = sorted(docs.iterdir()) + [Path(p) for p in real]
    records, times = {}, {}
    for path in paths:
        raw = path.read_bytes()
        for policy in POLICIES:
            if policy != "strict" and not _glued_kind(path):
                continue
            start = time.perf_counter()
            report = parse(raw, source=path.name, glued=policy)
            elapsed = time.perf_counter() - start
            name = f"{path.name} [{policy}]"
            records[name] = {"record": report.to_record(), "cells": [_cell(c) for c in report.cells]}
            times[name] = elapsed
    out.write_text(json.dumps({"records": records, "times": times}, ensure_ascii=False, default=str))


def _glued_kind(path: Path) -> bool:
    return path.suffix in (".txt", ".md") or "glued" in path.name


def _cell(c) -> list:
    return [c.table, c.row, c.col, c.value, c.raw, c.kind, c.page, c.label, c.header]


# ---- comparing ---------------------------------------------------------------------------------


def diff(a, b, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'new' if k in b else 'ref'}")
            else:
                out += diff(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{where}[{i}]")]
    return [] if a == b and type(a) is type(b) else [f"{where}: ref {a!r} / new {b!r}"]


def shape_of(name: str) -> str:
    policy = name.rsplit(" [", 1)[1].rstrip("]")
    stem = name.split(" [")[0]
    if stem.startswith("gen-"):
        shape = stem.split("-")[1]
    elif stem.startswith("glued-"):
        shape = "glued (extra)"
    else:
        shape = "real " + Path(stem).suffix.lstrip(".")
    return shape if policy == "strict" else f"{shape} [{policy}]"


def run_side(python: str, checkout: Path, docs: Path, out: Path, real: list[str]) -> dict:
    cmd = [python, __file__, "--dump", str(checkout), str(docs), str(out), "--real", *real]
    subprocess.run(cmd, check=True, cwd=checkout)
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ref", type=Path, nargs="?")
    ap.add_argument("new", type=Path, nargs="?")
    ap.add_argument("--per-shape", type=int, default=40, help="generated documents per synth shape")
    ap.add_argument("--glued", type=int, default=300, help="extra generated glued documents")
    ap.add_argument("--keep", type=Path, help="keep the documents and dumped records in this folder")
    ap.add_argument("--reuse-ref", action="store_true", help="reuse the ref records already dumped in --keep")
    ap.add_argument("--dump", nargs=3, metavar=("CHECKOUT", "DOCS", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--real", nargs="*", default=[], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dump:
        dump(Path(args.dump[0]), Path(args.dump[1]), Path(args.dump[2]), args.real)
        return
    if args.ref is None or args.new is None:
        ap.error("give two checkouts: REF NEW")
    work = args.keep or Path(tempfile.mkdtemp(prefix="compare_records-"))
    docs = work / "docs"
    if not docs.exists():
        subprocess.run([sys.executable, __file__, "--generate", str(args.new), str(docs),
                        str(args.per_shape), str(args.glued)], check=True)
    real = [str(p) for p in real_paths(args.new)]
    sides = {}
    for side, path in (("ref", args.ref), ("new", args.new)):
        out = work / f"{side}.json"
        if side == "ref" and args.reuse_ref and out.exists():
            sides[side] = json.loads(out.read_text())
            continue
        sides[side] = run_side(sys.executable, path.resolve(), docs, out, real)
    report(sides["ref"], sides["new"])


def report(ref: dict, new: dict) -> None:
    problems, ref_failed = [], []
    for name in sorted(set(ref["records"]) | set(new["records"])):
        if name not in ref["records"] or name not in new["records"]:
            problems.append(f"{name}: read by one side only")
            continue
        found = [f"{name}{d}" for d in diff(ref["records"][name], new["records"][name])]
        error = ref["records"][name]["record"]["error"]
        if found and error and new["records"][name]["record"]["error"] is None:
            ref_failed.append(f"{name}: ref could not read it ({error}); new reads it")
        else:
            problems += found
    shapes: dict[str, list[str]] = {}
    for name in ref["times"]:
        shapes.setdefault(shape_of(name), []).append(name)
    print(f"{'shape':<30} {'docs':>5} {'ref ms/doc':>11} {'new ms/doc':>11} {'speed-up':>9} "
          f"{'ref mean':>9} {'new mean':>9}")
    for shape, names in sorted(shapes.items()):
        a = statistics.median(ref["times"][n] for n in names) * 1000
        b = statistics.median(new["times"][n] for n in names) * 1000
        ma = statistics.mean(ref["times"][n] for n in names) * 1000
        mb = statistics.mean(new["times"][n] for n in names) * 1000
        print(f"{shape:<30} {len(names):>5} {a:>11.2f} {b:>11.2f} {a / b:>8.1f}x {ma:>9.2f} {mb:>9.2f}")
    print(f"{len(ref['records'])} records compared, {len(problems)} differences"
          + (f" (besides {len(ref_failed)} records only the new side could read)" if ref_failed else ""))
    for p in ref_failed[:50] + problems[:200]:
        print("  " + p)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        generate(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
