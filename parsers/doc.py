"""Legacy Word 97-2003 .doc and WPS .wps: converted to DOCX by LibreOffice headless, then read as DOCX.

The conversion runs in a fresh temporary folder with its own LibreOffice profile (so parallel
conversions never share a lock), in its own process group, killed at the timeout.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from parsers.docx import docx_to_rows
from parsers.model import UnsupportedFormat
from parsers.rows import RawRow

CONVERT_TIMEOUT_S = 60.0
SOFFICE_MEMORY_MB = 2048
SOFFICE_NAMES = ("soffice", "libreoffice")


class NeedsLibreOffice(UnsupportedFormat):
    """A .doc/.wps file on a machine without LibreOffice."""


class ConversionFailed(UnsupportedFormat):
    """LibreOffice could not turn the file into a DOCX (damaged, not a Word file, too slow)."""


def find_soffice() -> str | None:
    return next((path for name in SOFFICE_NAMES if (path := shutil.which(name))), None)


def doc_to_rows(raw: bytes, timeout_s: float = CONVERT_TIMEOUT_S) -> tuple[list[RawRow], str, str | None]:
    return docx_to_rows(doc_to_docx(raw, timeout_s))


def doc_to_docx(raw: bytes, timeout_s: float = CONVERT_TIMEOUT_S) -> bytes:
    soffice = find_soffice()
    if soffice is None:
        raise NeedsLibreOffice(".doc needs LibreOffice (soffice not found)")
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        folder = Path(tmp)
        source = folder / "in.doc"
        source.write_bytes(raw)
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--norestore", "--convert-to", "docx", "--outdir", str(folder / "out"), str(source)]
        run_bounded(command, timeout_s)
        target = folder / "out" / "in.docx"
        if not target.is_file():
            raise ConversionFailed("LibreOffice could not convert this .doc to DOCX (damaged or not a Word file?)")
        return target.read_bytes()


_RUNNING: set[int] = set()  # process groups of conversions under way (stopped if this process is)


def run_bounded(command: list[str], timeout_s: float) -> None:
    """Run in a new process group; on timeout the whole group is killed."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=_soffice_limits)  # noqa: PLW1509
    _RUNNING.add(proc.pid)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()
        raise ConversionFailed(f"LibreOffice took over {timeout_s:g} s to convert the .doc") from None
    finally:
        _RUNNING.discard(proc.pid)


def stop_conversions() -> None:
    """Kill every conversion this process started (called when the process is told to stop)."""
    for pgid in list(_RUNNING):
        _kill_group(pgid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _soffice_limits() -> None:
    """LibreOffice maps far more address space than a parse: give it its own limit (≤ the hard one)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = SOFFICE_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
