"""One run at a time: an exclusive `fcntl.flock` on a lock file, released by the kernel when the
process ends (also on kill -9), so a stale lock file never blocks the next run."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LockHeld", "run_lock"]


class LockHeld(Exception):
    """Another run holds the lock; the message is one line naming the lock file."""


@contextmanager
def run_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive lock on `path` (created with its folder) for the `with` block.

    Raises LockHeld at once, without waiting, when another process holds it."""
    lock_file = Path(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise LockHeld(f"{lock_file}: another nianbao run is in progress{holder}; not started") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock_file
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
