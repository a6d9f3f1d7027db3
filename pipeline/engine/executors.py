"""Where documents are parsed: local bounded workers (default) or a Dask cluster.

Both take Tasks in the dataset's order and give (task, (Report, provenance)) back in that order,
holding at most a window of documents at a time. With Dask, each Dask worker process keeps one
bounded worker (pipeline.engine.workers) of its own, so the same time and memory limits hold on
every machine; the documents' paths must be readable by the Dask workers (a shared filesystem).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.engine.document import Result, Task, run_task
from pipeline.engine.workers import Limits, WorkerPool, WorkerStartError

EXECUTORS = ("local", "dask")


class ExecutorError(Exception):
    """The executor could not start (Dask missing, scheduler unreachable); one line."""


class LocalExecutor:
    def __init__(self, jobs: int, limits: Limits) -> None:
        self.pool = WorkerPool(jobs, limits, lean=True)
        self.jobs = jobs

    def map_ordered(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Result]]:
        return self.pool.map_ordered(tasks, window=self.jobs * 8)

    def close(self) -> None:
        self.pool.close()


class DaskExecutor:
    """dask.distributed: an existing cluster at `scheduler`, else a local cluster of `jobs` workers."""

    def __init__(self, jobs: int, limits: Limits, scheduler: str | None = None) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ExecutorError("--executor dask needs the dask extra: uv sync --extra dask "
                                "(or pip install 'nianbao[dask]')") from exc
        self.limits, self.jobs, self._cluster = limits, jobs, None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="30s")
            else:
                with dask.config.set({"distributed.worker.daemon": False}):  # workers start bounded children
                    self._cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                 dashboard_address=None, silence_logs=40)
                self.client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler {scheduler or '(local)'}: {exc}") from exc
        self.window = max(jobs, _cluster_threads(self.client)) * 8

    def map_ordered(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, Result]]:
        pending: deque[tuple[Task, Any]] = deque()
        source = iter(tasks)
        while True:
            while len(pending) < self.window and (task := next(source, None)) is not None:
                pending.append((task, self.client.submit(parse_on_dask_worker, task, self.limits, pure=False)))
            if not pending:
                return
            task, future = pending.popleft()
            yield task, future.result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _cluster_threads(client: Any) -> int:
    try:
        return sum(client.nthreads().values()) or 1
    except Exception:  # noqa: BLE001 - only sizes the window
        return 1


_POOL: WorkerPool | None = None


def parse_on_dask_worker(task: Task, limits: Limits) -> Result:
    """Runs on a Dask worker: the document in this worker's own bounded child process."""
    global _POOL
    if _POOL is None or _POOL.limits != limits:
        _POOL = WorkerPool(1, limits)
    try:
        return _POOL.run_one(task)
    except WorkerStartError:  # a daemonic Dask worker (distributed.worker.daemon true) cannot start one
        report, prov = run_task(task)
        report.warnings.append("parsed without a per-document limit: the Dask worker may not start processes "
                               "(set DASK_DISTRIBUTED__WORKER__DAEMON=False)")
        return report, prov


def make_executor(name: str, jobs: int, limits: Limits, scheduler: str | None = None) -> LocalExecutor | DaskExecutor:
    if name == "dask":
        return DaskExecutor(jobs, limits, scheduler)
    if name != "local":
        raise ExecutorError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
    return LocalExecutor(jobs, limits)
