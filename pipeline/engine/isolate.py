"""Parse one document in a bounded worker process (pipeline.engine.workers), for callers that have
one document's bytes in hand. A hostile or broken file can then only cost that process: the caller
gets a Report whose `error` says what happened (time limit, memory limit, crash)."""

from __future__ import annotations

from parsers.model import Report
from pipeline.engine.document import MAX_BYTES, Task
from pipeline.engine.workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Limits, WorkerPool

__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT_S", "parse_isolated"]


def parse_isolated(raw: bytes, source: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                   memory_mb: int = DEFAULT_MEMORY_MB, max_bytes: int = MAX_BYTES,
                   bad_cells: str = "null") -> Report:
    """parsers.parse(raw, source) in a fresh bounded worker; never raises for a bad document."""
    with WorkerPool(1, Limits(timeout_s=timeout_s, memory_mb=memory_mb)) as pool:
        report, _prov = pool.run_one(Task(0, source, raw=raw, max_bytes=max_bytes, bad_cells=bad_cells))
    return report
