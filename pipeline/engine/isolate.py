"""Parse one document in a child process with a memory and a wall-clock limit.

A hostile or broken file (a PDF that makes a C library spin, a zip bomb, a page that eats memory)
can then only cost its own process: the parent gets a Report whose `error` says what happened,
and the batch goes on. Each document gets a fresh process (forked where the platform allows, so
starting one costs milliseconds and nothing leaks from one document to the next).

Limits:
- memory: RLIMIT_AS of the child is set to its address space at start plus `memory_mb`, so the
  budget is what the parse itself may allocate (the soft limit only: LibreOffice, started for .doc
  files, sets its own);
- time: the parent waits `timeout_s` for the result, then terminates the child (which stops any
  converter it started) and, a moment later, kills it; RLIMIT_CPU backs this up inside the child.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

import parsers
from parsers.document import MAX_BYTES
from parsers.model import Report

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_MB = 2048
GRACE_S = 2.0


class IsolationError(Exception):
    """The child process could not be started."""


def parse_isolated(raw: bytes, source: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                   memory_mb: int = DEFAULT_MEMORY_MB, max_bytes: int = MAX_BYTES,
                   bad_cells: str = "null") -> Report:
    """parsers.parse(raw, source) in a fresh child process; never raises for a bad document."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    args = (send, raw, source, max_bytes, bad_cells, memory_mb, timeout_s)
    proc = ctx.Process(target=_child, args=args, daemon=True)
    try:
        proc.start()
    except OSError as exc:
        raise IsolationError(f"cannot start a parser process: {exc}") from exc
    send.close()
    try:
        return _result(proc, receive, source, timeout_s, memory_mb)
    finally:
        receive.close()
        _stop(proc)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def _result(proc: Any, receive: Connection, source: str, timeout_s: float, memory_mb: int) -> Report:
    if receive.poll(timeout_s):
        try:
            report = receive.recv()
            if isinstance(report, Report):
                return report
        except (EOFError, OSError):
            pass  # the child died before sending: its exit code says why
        proc.join(GRACE_S)  # the pipe closes a moment before the process is gone
    if proc.is_alive():
        return Report(source=source, error=f"{source}: parsing took over {timeout_s:g} s (time limit); stopped")
    return Report(source=source, error=f"{source}: {_death(proc.exitcode, memory_mb)}")


def _death(exitcode: int | None, memory_mb: int) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        if -exitcode == signal.SIGXCPU:
            return "parser used too much CPU time (time limit); stopped"
        return f"parser process died ({name}; over the {memory_mb} MB memory limit?)"
    return f"parser process ended without a result (exit code {exitcode}; over the {memory_mb} MB memory limit?)"


def _stop(proc: Any) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(GRACE_S)
    if proc.is_alive():
        proc.kill()
    proc.join()
    proc.close()


# ---- in the child ----------------------------------------------------------------------------------


def _child(send: Connection, raw: bytes, source: str, max_bytes: int, bad_cells: str, memory_mb: int,
           timeout_s: float) -> None:
    signal.signal(signal.SIGTERM, _on_terminate)
    limit_resources(memory_mb, timeout_s)
    try:
        report = parsers.parse(raw, source, max_bytes=max_bytes, bad_cells=bad_cells)
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the parent gets one line
        report = Report(source=source, error=f"{source}: unexpected {type(exc).__name__}: {exc}")
    if report.error and "unexpected MemoryError" in report.error:
        report.error = f"{source}: needs more than the {memory_mb} MB memory limit (MemoryError)"
        report.cells, report.checks = [], []
    try:
        send.send(report)
    except MemoryError:
        send.send(Report(source=source, error=f"{source}: the result is over the {memory_mb} MB memory limit"))
    send.close()


def limit_resources(memory_mb: int, timeout_s: float) -> None:
    """Soft limits only (a converter started from here may set its own, up to the hard limit)."""
    in_use = _address_space()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = in_use + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    cpu = int(timeout_s) + 5
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime)
    cpu += used
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if cpu_hard == resource.RLIM_INFINITY else min(cpu, cpu_hard),
                                             cpu_hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _on_terminate(signum: int, frame: Any) -> None:
    from parsers.doc import stop_conversions

    stop_conversions()
    os._exit(1)
