"""One document: read its bytes (bounded), hash them, clean them, parse them. Runs inside a worker.

Never raises for a bad or unreadable file: the Report's `error` says why, in one line starting
with the document's source.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import parsers
from parsers.model import Report

MAX_BYTES = 32 * 1024 * 1024
MAX_ERROR_CHARS = 1000
_HEAD_BYTES = 65536  # enough for parsers.sniff_format to tell docx from zip
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16/32 text holds NUL bytes on purpose
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MOSTLY_CONTROL = 0.1  # past this share of control bytes a file is binary, not text with stray bytes


class FileRefused(Exception):
    """A file not read on purpose (too large, not a regular file)."""


@dataclass(frozen=True)
class Task:
    """One document for a worker: a path to read, or bytes already read (`raw`)."""

    index: int
    source: str
    path: str | None = None
    raw: bytes | None = None
    max_bytes: int = MAX_BYTES
    bad_cells: str = "null"
    glued: str = "strict"


Result = tuple[Report, dict[str, Any]]


def run_task(task: Task) -> Result:
    """The worker's job: (Report, provenance {"source", "sha256", "size_bytes"})."""
    prov: dict[str, Any] = {"source": task.source, "sha256": None, "size_bytes": None}
    raw = task.raw
    if raw is None:
        path = Path(task.path or task.source)
        try:
            raw = read_bounded(path, task.max_bytes, prov)
        except FileRefused as exc:
            fmt = sniff_head(path) if prov["size_bytes"] is not None else None  # regular files only
            return Report(source=task.source, format=fmt, error=f"{task.source}: {exc}"), prov
        except OSError as exc:
            return Report(source=task.source, error=f"{task.source}: {describe_os_error(exc)}"), prov
    prov["sha256"] = hashlib.sha256(raw).hexdigest()
    prov["size_bytes"] = len(raw)
    return parse_bytes_here(raw, task.source, task.max_bytes, task.bad_cells, task.glued), prov


def parse_bytes_here(raw: bytes, source: str, max_bytes: int = MAX_BYTES, bad_cells: str = "null",
                     glued: str = "strict") -> Report:
    """parsers.parse in this process, control bytes of text removed first; a parser bug becomes this
    document's error."""
    raw, removed = scrub_controls(raw)
    try:
        report = parsers.parse(raw, source, max_bytes=max_bytes, bad_cells=bad_cells, glued=glued)
    except Exception as exc:  # noqa: BLE001 - one broken document must never stop a batch
        report = Report(source=source, error=f"unexpected {type(exc).__name__}: {exc}")
    if report.error is not None:
        report.error = error_line(report.error, source)
    elif removed:
        report.warnings.append(f"{removed} control byte(s) (NUL…) removed before reading")
    return report


def scrub_controls(raw: bytes) -> tuple[bytes, int]:
    """Text with stray NUL and other control bytes (not tab or line breaks) -> without them, and how
    many. PDF/Word files, UTF-16/32 text and files that are mostly control bytes are left alone.
    Safe in UTF-8 and GB18030: no byte under 0x80 is part of a multi-byte character there."""
    head = raw[:8].lstrip()
    if head.startswith(_BINARY_MAGIC) or raw.startswith(_WIDE_BOMS):
        return raw, 0
    found = len(_CONTROL.findall(raw, 0, 1 << 20)) if _CONTROL.search(raw) else 0
    if not found or found > _MOSTLY_CONTROL * min(len(raw), 1 << 20):
        return raw, 0
    cleaned = _CONTROL.sub(b"", raw)
    return cleaned, len(raw) - len(cleaned)


def error_line(error: str, source: str) -> str:
    """One line, starting with the document's source, at most MAX_ERROR_CHARS long."""
    line = " ".join(error.split())
    line = line if line.startswith(f"{source}:") else f"{source}: {line}"
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def read_bounded(path: Path, max_bytes: int, prov: dict[str, Any]) -> bytes:
    """The file's bytes, refusing (after a stat, before reading) files over max_bytes."""
    st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "is a directory", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused("not a regular file")
    prov["size_bytes"] = st.st_size
    if st.st_size > max_bytes:
        raise FileRefused(too_large(st.st_size, max_bytes))
    with open(path, "rb") as fh:
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:  # it grew since the stat
        raise FileRefused(too_large(len(raw), max_bytes))
    prov["size_bytes"] = len(raw)
    return raw


def too_large(size: int, max_bytes: int) -> str:
    return f"file is {_size(size)}, over the {_size(max_bytes, limit=True)} limit"


def _size(n: int, limit: bool = False) -> str:
    mib = 1024 * 1024
    if n >= mib:
        return f"{n / mib:g} MB" if limit else f"{n / mib:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB" if limit else f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def describe_os_error(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read: {exc.strerror or ' '.join(str(exc).split())}"


def sniff_head(path: Path) -> str | None:
    """The format of a refused file, from its first bytes only, where they can be read."""
    try:
        with open(path, "rb") as fh:
            return parsers.sniff_format(fh.read(_HEAD_BYTES))
    except Exception:  # noqa: BLE001 - a best-effort label for an already refused file
        return None


def fs_path(path: str | os.PathLike[str]) -> str:
    """A path as str, undecodable bytes kept as surrogates (os.fsdecode), so it opens again."""
    return os.fsdecode(os.fspath(path))
