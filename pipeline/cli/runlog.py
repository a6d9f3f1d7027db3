"""A command's run, recorded in the manifest's history and stoppable by a signal.

    with recorded_run(raw_dir, "fetch") as run:      # opens the run row; SIGTERM/SIGINT handlers
        with run.cooperative():                      # the crawl: a signal sets run.stop, the crawl
            summary = crawl_sites(..., stop=run.stop)  # finishes its current requests and returns
        run.check()                                  # stopped? leave now
        ...                                          # elsewhere a signal stops at once
        raise click.exceptions.Exit(code)            # recorded as the run's exit status

A run stopped by a signal is recorded as interrupted, prints one line and exits 128 + the
signal's number (130 for Ctrl-C/SIGINT, 143 for SIGTERM). A second signal stops at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

log = logging.getLogger("pipeline.cli")

__all__ = ["RunStopped", "Run", "recorded_run"]

_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)


class RunStopped(BaseException):
    """A signal asked the run to stop (a BaseException, like KeyboardInterrupt, so that no
    `except Exception` of the work swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class Run:
    id: int
    raw_dir: Path
    resumed: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    signum: int | None = None
    requests: int = 0
    _cooperative: bool = False

    @contextmanager
    def cooperative(self) -> Iterator[None]:
        """Inside: a signal only sets `stop` (the work checks it and winds down)."""
        self._cooperative = True
        try:
            yield
        finally:
            self._cooperative = False

    def check(self) -> None:
        """Raise RunStopped when a signal came."""
        if self.signum is not None:
            raise RunStopped(self.signum)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.signum is not None or not self._cooperative:
            self.signum = self.signum or signum
            self.stop.set()
            raise RunStopped(signum)
        self.signum = signum
        self.stop.set()
        log.warning("%s received: stopping after the current requests (send it again to stop at once)",
                    signal.Signals(signum).name, extra={"event": "run.stopping"})


@contextmanager
def recorded_run(raw_dir: Path, command: str) -> Iterator[Run]:
    """Open the run's row in raw_dir's manifest, handle SIGTERM/SIGINT, close the row with the
    exit status (and whether it was interrupted). The caller holds the run lock."""
    from pipeline.cli.logs import ensure_logging
    from pipeline.collect.archive import ArchiveError, close_run, open_run

    ensure_logging()
    try:
        run_id, resumed = open_run(raw_dir, command)
    except ArchiveError as exc:
        click.echo(f"nianbao: error: {' '.join(str(exc).split())}", err=True)
        raise click.exceptions.Exit(1) from None
    run = Run(run_id, raw_dir, resumed)
    previous = _install(run)
    log.info("run %d started (%s%s)", run_id, command, ", resuming a killed run" if resumed else "",
             extra={"event": "run.start"})
    status: int | None = 1
    try:
        try:
            yield run
            status = 0
        except RunStopped as stopped:
            run.signum = stopped.signum
        except click.exceptions.Exit as exc:
            status = exc.exit_code
            if run.signum is None:
                raise
    finally:
        _restore(previous)
        if run.signum is not None:
            status = 128 + run.signum
        close_run(raw_dir, run_id, status, interrupted=run.signum is not None)
        log.info("run %d ended: exit %s", run_id, status, extra={"event": "run.end"})
    if run.signum is None:
        return
    name = signal.Signals(run.signum).name
    click.echo(f"nianbao: stopped by {name}; run {run_id} recorded as interrupted (the next run carries on)",
               err=True)
    raise click.exceptions.Exit(status)


def _install(run: Run) -> dict[int, object]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum in _SIGNALS:
        previous[signum] = signal.signal(signum, run._on_signal)
    return previous


def _restore(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
