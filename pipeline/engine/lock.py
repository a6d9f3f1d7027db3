"""One run at a time: an exclusive lock on a lock file (filelock: flock on POSIX, msvcrt on
Windows), released by the operating system when the process ends (also on kill -9), so a stale
lock file never blocks the next run. The holder's pid is written beside it (`<lock>.pid`) for the
message of the run that finds the lock taken."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["LockHeld", "run_lock"]


class LockHeld(Exception):
    """Another run holds the lock; the message is one line naming the lock file."""


@contextmanager
def run_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive lock on `path` (created with its folder) for the `with` block.

    Raises LockHeld at once, without waiting, when another process (or another `run_lock` of this
    process) holds it."""
    lock_file = Path(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file = lock_file.with_name(lock_file.name + ".pid")
    lock = FileLock(lock_file, timeout=0, thread_local=False, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise LockHeld(f"{lock_file}: another nianbao run is in progress{_holder(pid_file)}; not started") from None
    try:
        with suppress(OSError):
            pid_file.write_text(f"{os.getpid()}\n", encoding="ascii")
        yield lock_file
    finally:
        with suppress(OSError):
            pid_file.unlink()
        lock.release()


def _holder(pid_file: Path) -> str:
    try:
        pid = pid_file.read_text(encoding="ascii").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
