"""`nianbao run` at scale: wall time, CPU, documents/s, peak memory, --jobs speed-up, cached re-runs.

    uv run python benchmarks/bench_run.py                       # 1k and 5k documents
    uv run python benchmarks/bench_run.py --sizes 1000 5000 20000
    uv run python benchmarks/bench_run.py --sizes 100000 --skip-jobs1   # by hand: hours on 2 cores

Corpora are generated (tests/corpus.py: HTML, GBK HTML, text shapes, Markdown, ~3% PDF, ~3% DOCX,
made-up agencies) under --work and kept for the next run. Each measurement runs `python -m pipeline
run` in a child process, as an operator would; the figures are medians of --repeat runs:
- cold: every document parsed (--no-cache), --jobs 1 and --jobs N;
- rerun: the same folder again with the parse cache filled (nothing changed);
- add10: ten new documents added to the folder (the run must parse exactly 10);
- memory: peak resident memory of the run's whole process tree (the run + its workers), sampled
  every 50 ms, and of the run's own process (the tables are built there);
- hostile: a folder of good reports plus hostile ones (glued digit runs, span bombs, a zip bomb,
  a truncated PDF) must finish in bounded time with every good report read.
Ratios are against baselines measured in the same invocation (cold --jobs 1, cold --jobs N, 5k).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.corpus import write_corpus  # noqa: E402


def tree(pid: int) -> tuple[int, dict[int, int]]:
    """(resident bytes of pid and all its descendants, CPU ticks so far of each of them) from /proc.
    The workers are started by a forkserver, so they are descendants, not waited-for children:
    their CPU time is sampled here rather than read from os.times()."""
    page = os.sysconf("SC_PAGE_SIZE")
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
                ticks[int(entry)] = int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                continue
    total, todo, cpu = 0, [pid], {}
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * page
        except OSError:
            continue
        cpu[p] = ticks.get(p, 0)
        todo.extend(children.get(p, []))
    return total, cpu


def tree_rss(pid: int) -> int:
    return tree(pid)[0]


def run(raw: Path, clean: Path, jobs: int, cache: bool, timeout_s: float = 120) -> dict:
    """One `nianbao run` in a child process: wall, CPU of the tree, peak RSS, run.json summary."""
    args = [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--clean", str(clean),
            "--jobs", str(jobs), "--timeout", str(timeout_s), "--format", "parquet", "--format", "csv"]
    if not cache:
        args.append("--no-cache")
    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    cpu: dict[int, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, ticks = tree(proc.pid)
            peak[0] = max(peak[0], rss)
            for p, t in ticks.items():
                cpu[p] = max(cpu.get(p, 0), t)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    line = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    summary = json.loads((clean / "current" / "run.json").read_text(encoding="utf-8"))["summary"]
    if "nothing changed" in line:  # the current release stays: its run.json is that of the run that made it
        summary = summary | {"fresh": 0, "cached": summary["documents"] - summary["duplicates"]}
    return {"wall": wall, "cpu": sum(cpu.values()) / os.sysconf("SC_CLK_TCK"),  # every process, sampled
            "rss_tree": peak[0], "rss_run": usage.ru_maxrss * 1024, "exit": proc.returncode,
            "fresh": summary["fresh"], "cached": summary["cached"], "documents": summary["documents"],
            "failed": summary["failed"], "errors": summary["errors"], "stderr_lines": stderr.count("\n")}


def median_run(repeat: int, make_clean, **kwargs) -> dict:
    results = []
    for _ in range(repeat):
        clean = make_clean()
        results.append(run(clean=clean, **kwargs))
    keys = ("wall", "cpu", "rss_tree", "rss_run")
    out = dict(results[-1])
    out.update({k: statistics.median(r[k] for r in results) for k in keys})
    return out


def corpus(work: Path, n: int) -> Path:
    raw = work / f"corpus-{n}"
    marker = raw / ".complete"
    if not marker.exists():
        print(f"generating {n} documents in {raw} …", file=sys.stderr, flush=True)
        write_corpus(raw, n, seed=2024)
        marker.write_text("ok\n")
    return raw


def bench_size(work: Path, n: int, jobs: int, repeat: int, skip_jobs1: bool) -> dict:
    raw = corpus(work, n)
    out: dict = {"n": n}
    counter = [0]

    def fresh_clean() -> Path:
        counter[0] += 1
        clean = work / f"clean-{n}-{counter[0]}"
        shutil.rmtree(clean, ignore_errors=True)
        return clean

    if not skip_jobs1:
        out["cold1"] = median_run(repeat, fresh_clean, raw=raw, jobs=1, cache=False)
    out["coldN"] = median_run(repeat, fresh_clean, raw=raw, jobs=jobs, cache=False)
    cached_clean = fresh_clean()
    out["fill"] = run(raw, cached_clean, jobs, cache=True)  # fills the cache (a cold run with the cache on)
    out["rerun"] = median_run(repeat, lambda: cached_clean, raw=raw, jobs=jobs, cache=True)
    extra = raw / "zz-added"
    try:
        write_corpus(extra, 10, seed=7, start=n)
        out["add10"] = run(raw, cached_clean, jobs, cache=True)
    finally:
        shutil.rmtree(extra, ignore_errors=True)
    for path in work.glob(f"clean-{n}-*"):
        shutil.rmtree(path, ignore_errors=True)
    return out


def hostile_folder(work: Path) -> Path:
    """Forty good reports and eight hostile documents."""
    import io
    import zipfile

    raw = work / "hostile"
    shutil.rmtree(raw, ignore_errors=True)
    write_corpus(raw, 40, seed=5)
    bad = raw / "bad"
    bad.mkdir()
    labels = ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开", "（七）总计")
    for i, digits in enumerate(("1" * 60, "9" * 400, "1234567890" * 300)):
        text = "示例县2020年政府信息公开工作年度报告\n表三\n" + "".join(f"{lab}{digits}\n" for lab in labels * 20)
        (bad / f"glued{i}.txt").write_text(text, encoding="utf-8")
    (bad / "rowspan.html").write_text("<table>" + "<tr><td rowspan=999999>1</td><td>2</td></tr>" * 20000 + "</table>")
    (bad / "colspan.html").write_text("<table>" + ("<tr>" + "<td colspan=999>x</td>" * 300 + "</tr>") * 300 + "</table>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (256 << 20))
    (bad / "bomb.docx").write_bytes(buf.getvalue())
    good_pdf = next(raw.rglob("*.pdf"), None)
    (bad / "truncated.pdf").write_bytes(good_pdf.read_bytes()[:2000] if good_pdf else b"%PDF-1.7\n")
    (bad / "nul.txt").write_bytes(b"\0" * 100000)
    return raw


def mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB"


def report(results: list[dict], jobs: int, hostile: dict | None) -> str:
    cores = os.cpu_count()
    lines = [f"machine: {cores} cores (os.cpu_count), {os.getloadavg()[0]:.1f} load at the end; --jobs {jobs}", "",
             "| documents | cold --jobs 1 | cold --jobs N | speed-up | cores obtained (1 / N) | docs/s (N) | CPU s (N) | "
             "unchanged re-run | re-run / cold | add 10: parsed | add 10 / cold | peak RSS tree (N) | peak RSS run process |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        cold1, cold = r.get("cold1"), r["coldN"]
        speed = f"{cold1['wall'] / cold['wall']:.2f}×" if cold1 else "–"
        # CPU seconds / wall seconds: how many cores the run got (a shared machine gives fewer than --jobs)
        cores = (f"{cold1['cpu'] / cold1['wall']:.2f} / " if cold1 else "– / ") + f"{cold['cpu'] / cold['wall']:.2f}"
        lines.append(
            f"| {r['n']:,} | {cold1['wall']:.1f} s | " if cold1 else f"| {r['n']:,} | – | ")
        lines[-1] += (f"{cold['wall']:.1f} s | {speed} | {cores} | {r['n'] / cold['wall']:.0f} | {cold['cpu']:.0f} | "
                      f"{r['rerun']['wall']:.1f} s | {r['rerun']['wall'] / r['fill']['wall']:.1%} | "
                      f"{r['add10']['fresh']} of {r['add10']['documents']:,} | {r['add10']['wall'] / r['fill']['wall']:.1%} | "
                      f"{mb(cold['rss_tree'])} | {mb(cold['rss_run'])} |")
    by_n = {r["n"]: r for r in results}
    if 5000 in by_n and len(by_n) > 1:
        base = by_n[5000]["coldN"]["rss_tree"]
        for n, r in sorted(by_n.items()):
            lines.append(f"peak RSS (tree) at {n:,} / at 5,000: {r['coldN']['rss_tree'] / base:.2f}")
    if hostile:
        lines.append(f"hostile folder (40 good + {hostile['bad']} hostile): {hostile['wall']:.1f} s, "
                     f"{hostile['documents'] - hostile['failed']} read, {hostile['failed']} error lines, every good "
                     f"report read: {hostile['good_all_read']}, one line each: {hostile['one_line_each']}")
        lines += [f"  {e[:110]}" for e in hostile["errors"]]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/nianbao-bench"))
    ap.add_argument("--skip-jobs1", action="store_true", help="no --jobs 1 baseline (very large sizes)")
    ap.add_argument("--no-hostile", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    opts = ap.parse_args()
    opts.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in opts.sizes:
        results.append(bench_size(opts.work, n, opts.jobs, opts.repeat, opts.skip_jobs1))
        print(report(results, opts.jobs, None), file=sys.stderr, flush=True)
    hostile = None
    if not opts.no_hostile:
        raw = hostile_folder(opts.work)
        bad = len(list((raw / "bad").iterdir()))
        clean = opts.work / "clean-hostile"
        shutil.rmtree(clean, ignore_errors=True)
        h = run(raw, clean, opts.jobs, cache=False, timeout_s=20)
        errors = h["errors"]
        # glued digit runs are reports with their cells left null (warnings), not errors: the others are errors
        h |= {"bad": bad, "good_all_read": all(e.startswith("bad/") for e in errors),
              "one_line_each": all("\n" not in e for e in errors) and len(set(errors)) == len(errors)}
        hostile = h
        shutil.rmtree(clean, ignore_errors=True)
    print(report(results, opts.jobs, hostile))
    if opts.json:
        opts.json.write_text(json.dumps({"results": results, "hostile": hostile}, indent=2, default=str))


if __name__ == "__main__":
    main()
