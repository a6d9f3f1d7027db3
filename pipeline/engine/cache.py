"""The parse cache: a document's Report, keyed by its sha256, the parser version and the options that
change a record (bad_cells), so a re-run parses only new or changed documents.

One SQLite file in WAL mode (CLEAN/.cache/parse.sqlite): a run killed at any moment (kill -9) leaves
it whole (a transaction either committed or not), and other processes can read it while a run
writes. Only the run's own process writes it; workers never touch it. A file that is not a valid
cache is moved aside and a new one started (the run then parses everything, nothing is lost).

Two tables:
- records(key, source, report): the Report pickled and zlib-compressed;
- files(path, size, mtime_ns, inode, sha256): what a file's bytes hashed to when it had this size
  and modification time, so an unchanged file is not even read again to find its sha256.

The parser version is a hash of the parsers/ package's source files and of the versions of the
libraries that read PDF and Word files: any change to the parsing code makes every key new.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import pickle
import sqlite3
import time
import zlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from parsers.model import Report

CACHE_FORMAT = 1  # bump when what is stored (not the parser) changes shape
CACHE_DIR = ".cache"
CACHE_FILE = "parse.sqlite"
_LIBRARIES = ("pdfplumber", "pdfminer.six", "python-docx", "lxml", "charset-normalizer")
_SCHEMA = """
create table if not exists records (key text primary key, source text, report blob not null);
create table if not exists files (path text primary key, size integer, mtime_ns integer, inode integer,
                                  sha256 text not null);
"""


class CacheError(Exception):
    """The cache could not be opened or written (one line)."""


def source_version(root: str | os.PathLike[str]) -> str:
    """A hash of every .py file under root (relative path and bytes), in a stable order."""
    digest = hashlib.sha256()
    base = Path(root)
    for path in sorted(base.rglob("*.py"), key=lambda p: p.relative_to(base).as_posix()):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def parser_version() -> str:
    """What the records of this installation depend on: the parsers/ source and the reading libraries."""
    import parsers
    from parsers.version import PARSER_VERSION

    digest = hashlib.sha256(f"format {CACHE_FORMAT}\nparsers {PARSER_VERSION}\n"
                            f"{source_version(Path(parsers.__file__).parent)}\n".encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name} {importlib.metadata.version(name)}\n".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name} -\n".encode())
    return digest.hexdigest()[:32]


def record_key(sha256: str, options: dict[str, str], version: str | None = None) -> str:
    opts = ";".join(f"{k}={v}" for k, v in sorted(options.items()))
    return f"{sha256}:{version or parser_version()}:{opts}"


class ParseCache:
    """get/put Reports by key; file stat memo. Use as a context manager (commits on close)."""

    def __init__(self, path: str | os.PathLike[str], commit_every: int = 200, commit_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.commit_every, self.commit_seconds = commit_every, commit_seconds
        self._last_commit = time.monotonic()
        self.notes: list[str] = []
        self._pending = 0
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return _connect(self.path)
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(self.path.name + ".broken")
            with contextlib.suppress(OSError):
                os.replace(self.path, aside)
            self.notes.append(f"{self.path}: not a usable cache ({exc}); moved to {aside.name}, starting afresh")
            try:
                return _connect(self.path)
            except sqlite3.DatabaseError as again:
                raise CacheError(f"{self.path}: cannot open the parse cache: {again}") from again
        except OSError as exc:
            raise CacheError(f"{self.path}: cannot open the parse cache: {exc.strerror or exc}") from exc

    def __enter__(self) -> ParseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.commit()
        self._db.close()

    def has(self, key: str) -> bool:
        return self._db.execute("select 1 from records where key = ?", (key,)).fetchone() is not None

    def get(self, key: str, source: str) -> Report | None:
        row = self._db.execute("select source, report from records where key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            report = pickle.loads(zlib.decompress(row[1]))
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, parsed again
            return None
        return _as_source(report, row[0], source) if isinstance(report, Report) else None

    def put(self, key: str, report: Report, blob: bytes | None = None) -> None:
        """Store the Report (or `blob`, the same Report already pickled and zlib-compressed)."""
        blob = blob or zlib.compress(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._db.execute("insert or replace into records (key, source, report) values (?, ?, ?)",
                         (key, report.source, blob))
        self._tick()

    def known_sha(self, path: str, st: os.stat_result) -> str | None:
        row = self._db.execute("select size, mtime_ns, inode, sha256 from files where path = ?",
                               (_text(path),)).fetchone()
        if row is not None and tuple(row[:3]) == (st.st_size, st.st_mtime_ns, st.st_ino):
            return row[3]
        return None

    def remember_sha(self, path: str, st: os.stat_result, sha256: str) -> None:
        self._db.execute("insert or replace into files (path, size, mtime_ns, inode, sha256) values (?, ?, ?, ?, ?)",
                         (_text(path), st.st_size, st.st_mtime_ns, st.st_ino, sha256))
        self._tick()

    def forget_files_except(self, paths: Iterable[str]) -> None:
        """Drop the stat memo of files no longer under raw (keeps the file small)."""
        keep = {_text(p) for p in paths}
        gone = [p for (p,) in self._db.execute("select path from files") if p not in keep]
        self._db.executemany("delete from files where path = ?", [(p,) for p in gone])
        self._db.commit()

    def _tick(self) -> None:
        """Commit every commit_every writes or commit_seconds: a killed run loses at most that much."""
        self._pending += 1
        if self._pending >= self.commit_every or time.monotonic() - self._last_commit >= self.commit_seconds:
            self._db.commit()
            self._pending, self._last_commit = 0, time.monotonic()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=normal")
    db.executescript(_SCHEMA)
    db.execute("select count(*) from records").fetchone()  # a damaged file fails here
    return db


def _text(path: str) -> str:
    """A path as storable text (undecodable bytes escaped the same way every time)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _as_source(report: Report, cached_source: str | None, source: str) -> Report:
    """The cached Report of the same bytes, named after this document (a rename, or a copy)."""
    if cached_source is None or cached_source == source:
        return report
    report.source = source
    if report.error and report.error.startswith(f"{cached_source}: "):
        report.error = f"{source}: " + report.error[len(cached_source) + 2:]
    return report
