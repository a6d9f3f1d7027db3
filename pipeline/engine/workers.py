"""Long-lived bounded worker processes: every document of every format is parsed in one.

A worker imports the parsing libraries once (pdfplumber, python-docx) and then parses one document
after another. Each document has limits:
- wall time: the parent waits `timeout_s`; past it the worker is stopped (SIGTERM, which also stops a
  LibreOffice conversion it started, then SIGKILL) and replaced; RLIMIT_CPU backs this up;
- memory: the worker's address space may grow `memory_mb` past what it had when it started
  (RLIMIT_AS); a MemoryError becomes the document's error and the worker is replaced, and a worker
  whose resident memory has grown by half that budget retires after its document (fragmentation);
- a worker that dies (a C library crash, the kernel's OOM killer) gives its document one error
  line and is replaced. A worker also retires after `max_tasks` documents.

The run goes on in every case; the document gets one line naming the limit.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import signal
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from parsers.model import Report
from pipeline.engine.document import Result, Task, run_task

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_MB = 2048
DEFAULT_MAX_TASKS = 1000
GRACE_S = 2.0


class WorkerStartError(Exception):
    """A worker process could not be started (one line)."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    max_tasks: int = DEFAULT_MAX_TASKS


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class WorkerPool:
    """`jobs` bounded workers; `map_ordered` parses tasks and yields the results in task order."""

    def __init__(self, jobs: int = 1, limits: Limits | None = None, run: Callable[[Task], Result] = run_task,
                 lean: bool = False) -> None:
        """lean: start the workers from a small server process that imported only the parsers
        (forkserver), not from this process: a run's own process holds pandas and the tables, and
        every forked worker would carry (and, touching it, copy) that memory."""
        self.jobs, self.limits, self.run = max(1, jobs), limits or Limits(), run
        self._ctx = _context(lean)
        self._idle: list[_Worker] = []
        self.replaced = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().stop()

    def map_ordered(self, tasks: Iterable[Task], window: int | None = None) -> Iterator[tuple[Task, Result]]:
        """(task, result) in the order of `tasks`, at most `window` tasks taken ahead (bounded memory)."""
        window = window or self.jobs * 8
        source = iter(tasks)
        pending: deque[Task] = deque()
        queue: deque[Task] = deque()
        done: dict[int, Result] = {}
        busy: dict[Connection, tuple[_Worker, Task, float]] = {}
        try:
            while True:
                _take(source, pending, queue, window)
                while pending and pending[0].index in done:
                    task = pending.popleft()
                    yield task, done.pop(task.index)
                    _take(source, pending, queue, window)
                if not pending:
                    return
                while queue and len(busy) < self.jobs:
                    task = queue.popleft()
                    worker = self._worker()
                    worker.send(task)
                    busy[worker.conn] = (worker, task, time.monotonic())
                self._collect(busy, done)
        finally:
            for worker, _task, _start in busy.values():
                worker.stop()

    def run_one(self, task: Task) -> Result:
        return next(iter(self.map_ordered([task])))[1]

    def _worker(self) -> _Worker:
        return self._idle.pop() if self._idle else _Worker(self._ctx, self.limits, self.run)

    def _collect(self, busy: dict[Connection, tuple[_Worker, Task, float]], done: dict[int, Result]) -> None:
        now = time.monotonic()
        first_deadline = min(start for _, _, start in busy.values()) + self.limits.timeout_s
        for conn in wait(list(busy), timeout=max(0.0, first_deadline - now)):
            worker, task, _start = busy.pop(conn)  # type: ignore[call-overload]
            result, retire = worker.receive(task)
            done[task.index] = result
            self._release(worker, retire)
        now = time.monotonic()
        for conn, (worker, task, start) in list(busy.items()):
            if now - start >= self.limits.timeout_s:
                del busy[conn]
                worker.stop()
                self.replaced += 1
                done[task.index] = (_timed_out(task, self.limits.timeout_s), _no_prov(task))

    def _release(self, worker: _Worker, retire: bool) -> None:
        if retire or not worker.alive() or worker.done >= self.limits.max_tasks:
            worker.stop()
            self.replaced += 1
        else:
            self._idle.append(worker)


def _take(source: Iterator[Task], pending: deque[Task], queue: deque[Task], window: int) -> None:
    while len(pending) < window:
        task = next(source, None)
        if task is None:
            return
        pending.append(task)
        queue.append(task)


def _context(lean: bool = False) -> Any:
    methods = multiprocessing.get_all_start_methods()
    if lean and "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def pack(report: Report) -> bytes:
    """A Report as the parse cache stores it (pickled, zlib level 1)."""
    return zlib.compress(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _no_prov(task: Task) -> dict[str, Any]:
    """Provenance of a document a limit stopped ("limit": not kept in the parse cache)."""
    return {"source": task.source, "sha256": None, "size_bytes": None, "limit": True}


def _timed_out(task: Task, timeout_s: float) -> Report:
    return Report(source=task.source, error=f"{task.source}: parsing took over {timeout_s:g} s (time limit); stopped")


class _Worker:
    def __init__(self, ctx: Any, limits: Limits, run: Callable[[Task], Result]) -> None:
        self.limits, self.done = limits, 0
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_serve, args=(child, limits, run), daemon=True)
        try:
            self.proc.start()
        except (OSError, AssertionError) as exc:  # AssertionError: daemonic processes may not have children
            raise WorkerStartError(f"cannot start a parser process: {exc}") from exc
        child.close()

    def alive(self) -> bool:
        return self.proc.is_alive()

    def send(self, task: Task) -> None:
        self.conn.send(task)

    def receive(self, task: Task) -> tuple[Result, bool]:
        """(the result, whether this worker must retire)."""
        self.done += 1
        try:
            blob, prov, retire = self.conn.recv()
            return (pickle.loads(zlib.decompress(blob)), prov | {"blob": blob}), retire
        except (EOFError, OSError):
            self.proc.join(GRACE_S)  # the pipe closes a moment before the process is gone
            return (Report(source=task.source, error=f"{task.source}: {_death(self.proc.exitcode, self.limits)}"),
                    _no_prov(task)), True

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(GRACE_S)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def _death(exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        if number == signal.SIGXCPU:
            return "parser used too much CPU time (time limit); stopped"
        return f"parser process died ({name}; over the {limits.memory_mb} MB memory limit?)"
    return f"parser process ended without a result (exit code {exitcode}; over the {limits.memory_mb} MB memory limit?)"


# ---- in the worker ---------------------------------------------------------------------------------


def _serve(conn: Connection, limits: Limits, run: Callable[[Task], Result]) -> None:
    signal.signal(signal.SIGTERM, _on_terminate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _preload()
    start_rss = _rss()
    limit_memory(limits.memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        limit_cpu(limits.timeout_s)
        result, retire = _run_guarded(run, task, limits)
        retire = retire or _rss() - start_rss > limits.memory_mb * (1 << 19)  # half the budget, in bytes
        try:
            report, prov = result
            conn.send((pack(report), prov, retire))  # compressed in the worker: less to send, ready to cache
        except MemoryError:
            conn.send((pack(Report(source=task.source, error=f"{task.source}: the result is over the "
                                  f"{limits.memory_mb} MB memory limit")), _no_prov(task), True))
        if retire:
            return


def _run_guarded(run: Callable[[Task], Result], task: Task, limits: Limits) -> tuple[Result, bool]:
    try:
        report, prov = run(task)
    except MemoryError:
        report, prov = Report(source=task.source, error="MemoryError"), _no_prov(task)
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the parent gets one line
        report, prov = Report(source=task.source, error=f"{task.source}: unexpected {type(exc).__name__}: {exc}"), _no_prov(task)
    if report.error and "MemoryError" in report.error:
        report.error = f"{task.source}: needs more than the {limits.memory_mb} MB memory limit (MemoryError)"
        report.cells, report.checks = [], []
        return (report, prov | {"limit": True}), True
    return (report, prov), False


PRELOAD = ("pipeline.engine.workers", "parsers.pdf", "pdfplumber", "parsers.docx", "docx")


def _preload() -> None:
    """Import the parsing libraries once per worker (not once per document)."""
    for module in PRELOAD:
        try:
            __import__(module)
        except ImportError:
            continue


def limit_memory(memory_mb: int) -> None:
    """Soft RLIMIT_AS: the address space now plus memory_mb (a converter started from here may set its own)."""
    in_use = _address_space()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = in_use + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))


def limit_cpu(timeout_s: float) -> None:
    """Soft RLIMIT_CPU: the CPU used so far plus this document's time (and a margin)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime + timeout_s) + 5
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _on_terminate(signum: int, frame: Any) -> None:
    from parsers.doc import stop_conversions

    stop_conversions()
    os._exit(1)
