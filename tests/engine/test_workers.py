"""pipeline.engine.workers: long-lived bounded workers. A document that overruns a limit or kills its
worker gets one error line naming the limit, the worker is replaced, and the others go on."""

from __future__ import annotations

import os
import signal
import time

from parsers.model import Report
from pipeline.engine.document import Task, run_task
from pipeline.engine.workers import Limits, WorkerPool


def misbehaving(task: Task):
    """A stand-in parser: the source says what to do."""
    if task.source.startswith("hang"):
        time.sleep(60)
    if task.source.startswith("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    if task.source.startswith("hog"):
        return [bytearray(64 << 20) for _ in range(32)]  # 2 GB, over the limit
    return Report(source=task.source, year=os.getpid()), {"source": task.source, "sha256": "x" * 64}


def tasks(*names: str) -> list[Task]:
    return [Task(i, name) for i, name in enumerate(names)]


def test_results_come_back_in_task_order_from_long_lived_workers():
    with WorkerPool(2, Limits(timeout_s=20), run=misbehaving) as pool:
        out = list(pool.map_ordered(tasks(*(f"ok{i}" for i in range(30))), window=4))
    assert [t.source for t, _ in out] == [f"ok{i}" for i in range(30)]
    pids = {report.year for _, (report, _prov) in out}
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids  # two workers served all thirty, none is the parent


def test_a_hang_a_crash_and_a_memory_hog_each_cost_one_line_and_the_run_goes_on():
    names = ("ok0", "hang.txt", "ok1", "die.html", "ok2", "hog.pdf", "ok3")
    start = time.monotonic()
    with WorkerPool(2, Limits(timeout_s=2, memory_mb=256), run=misbehaving) as pool:
        out = {t.source: r for t, (r, _p) in pool.map_ordered(tasks(*names))}
        replaced = pool.replaced
    assert time.monotonic() - start < 30
    assert out["hang.txt"].error == "hang.txt: parsing took over 2 s (time limit); stopped"
    assert out["die.html"].error.startswith("die.html: parser process died (SIGKILL; over the 256 MB memory limit?)")
    assert out["hog.pdf"].error == "hog.pdf: needs more than the 256 MB memory limit (MemoryError)"
    assert all(out[f"ok{i}"].error is None for i in range(4))
    assert replaced >= 3


def test_a_worker_reads_and_hashes_the_file_itself(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    report, prov = run_task(Task(0, "a.txt", path=str(tmp_path / "a.txt")))
    assert report.error == "a.txt: empty file" and prov["sha256"] and prov["size_bytes"] == 0
