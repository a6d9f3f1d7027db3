"""The raw archive: exact bytes named by their sha256, and a SQLite manifest of every fetch.

Layout under the raw folder (default data/raw/):

    archive/<sha[:2]>/<sha256>.<ext>        documents: report pages and attachments, every version
    .crawl/manifest.sqlite                  the manifest (WAL mode, so also -wal and -shm files)
    .crawl/pages/<sha[:2]>/<sha256>.<ext>   listing pages, and report pages whose report is in
                                            their attachments (kept to re-read links on a 304)
    .crawl/nianbao.lock                     the run lock (pipeline.engine.lock)

`.crawl/` is a hidden folder, so `pipeline.orchestrate.iter_documents` does not enter it: only
`archive/` (and whatever else lies in the raw folder) is parsed.

Crash safety: bytes are written to a hidden `*.tmp` file in the destination folder, fsynced and
renamed into place (and the folder fsynced) BEFORE the manifest row that names them commits.
A kill between the two leaves a complete file and no row: the next run downloads it again
(same name, nothing doubled) and records it. Leftover `*.tmp` files are removed at the next start.

Manifest tables:
    runs      the run history: id, command, started_at, finished_at, duration (s), exit_status,
              interrupted, fetch counts (sites, sites_failed, requests, downloaded, not_modified,
              new_documents, new_versions, dead_links), parse counts filled by the engine
              (parsed, cached, parse_failed; null when the run did not parse), release_id,
              summary (JSON). An unfinished run (killed) is resumed by the next one.
    site_runs one row per site and run: ok, error_class (dns, refused, tls, timeout, http-4xx,
              http-5xx, robots...), error, requests, new_documents, new_versions, dead_links
    fetches   one row per request (or reuse): url, final_url, parent_url, site, fetched_at, status,
              outcome, etag, last_modified, content_type, encoding, sha256, size, path, kind,
              report_url, error, error_class
    versions  one row per (url, sha256) ever stored: path, kind, report_url, first_seen
The current version of a URL is the sha256 of its latest fetch that has one; the others are kept
and listed by `superseded_paths`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Archive", "ArchiveError", "FetchRecord", "SiteResult", "StoredVersion", "DocumentVersion",
           "document_versions", "superseded_paths", "current_document_paths", "verify_archive", "CRAWL_DIR",
           "DOCUMENTS_DIR", "manifest_path", "lock_path", "open_run", "close_run", "record_run_result",
           "RUN_COUNTS"]

DOCUMENTS_DIR = "archive"
CRAWL_DIR = ".crawl"
PAGES_DIR = "pages"
MANIFEST = "manifest.sqlite"
LOCK = "nianbao.lock"
RESUME_WITHIN = 24 * 3600.0  # seconds: an unfinished run older than this is not resumed
DOCUMENT_KINDS = frozenset({"report", "attachment"})

# Outcomes of a fetch row.
NEW, CHANGED, UNCHANGED, NOT_MODIFIED, FAILED, BLOCKED, SKIPPED, ABSENT = (
    "new", "changed", "unchanged", "not_modified", "error", "robots", "skipped", "absent")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, summary TEXT);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, url TEXT NOT NULL, final_url TEXT,
    parent_url TEXT, site TEXT, fetched_at TEXT NOT NULL, status INTEGER, outcome TEXT NOT NULL,
    etag TEXT, last_modified TEXT, content_type TEXT, encoding TEXT, sha256 TEXT, size INTEGER,
    path TEXT, kind TEXT, report_url TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS fetches_url ON fetches (url, id);
CREATE INDEX IF NOT EXISTS fetches_run ON fetches (run_id, url);
CREATE TABLE IF NOT EXISTS versions (
    url TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL, kind TEXT, report_url TEXT,
    first_seen TEXT NOT NULL, PRIMARY KEY (url, sha256));
CREATE TABLE IF NOT EXISTS site_runs (
    run_id INTEGER NOT NULL, site TEXT NOT NULL, start_url TEXT, finished_at TEXT NOT NULL, ok INTEGER NOT NULL,
    error_class TEXT, error TEXT, requests INTEGER, new_documents INTEGER, new_versions INTEGER,
    dead_links INTEGER, PRIMARY KEY (run_id, site));
CREATE INDEX IF NOT EXISTS site_runs_site ON site_runs (site, run_id);
"""

# Columns added since the first manifests (added to an older manifest when it is opened).
_ADDED_COLUMNS = {
    "runs": (("command", "TEXT"), ("duration", "REAL"), ("exit_status", "INTEGER"),
             ("interrupted", "INTEGER NOT NULL DEFAULT 0"), ("sites", "INTEGER"), ("sites_failed", "INTEGER"),
             ("requests", "INTEGER"), ("downloaded", "INTEGER"), ("not_modified", "INTEGER"),
             ("new_documents", "INTEGER"), ("new_versions", "INTEGER"), ("dead_links", "INTEGER"),
             ("parsed", "INTEGER"), ("cached", "INTEGER"), ("parse_failed", "INTEGER"), ("release_id", "TEXT")),
    "fetches": (("error_class", "TEXT"),),
}
# What the engine reports about the parse side of a run (record_run_result), all nullable.
RUN_COUNTS = ("parsed", "cached", "parse_failed", "release_id")

_FETCH_COLUMNS = ("run_id", "url", "final_url", "parent_url", "site", "fetched_at", "status", "outcome",
                  "etag", "last_modified", "content_type", "encoding", "sha256", "size", "path", "kind",
                  "report_url", "error", "error_class")


class ArchiveError(Exception):
    """The archive or its manifest cannot be used; the message is one line naming the file."""


@dataclass
class FetchRecord:
    """One manifest row of `fetches` (run_id and fetched_at are filled in by the Archive)."""

    url: str
    outcome: str
    final_url: str | None = None
    parent_url: str | None = None
    site: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    sha256: str | None = None
    size: int | None = None
    path: str | None = None
    kind: str | None = None
    report_url: str | None = None
    error: str | None = None
    error_class: str | None = None


@dataclass(frozen=True)
class SiteResult:
    """One site's outcome in one run (a row of `site_runs`)."""

    site: str
    start_url: str
    ok: bool
    error_class: str | None = None
    error: str | None = None
    requests: int = 0
    new_documents: int = 0
    new_versions: int = 0
    dead_links: int = 0


@dataclass(frozen=True)
class StoredVersion:
    """The latest stored state of a URL: what a conditional request and a 304 need."""

    url: str
    sha256: str
    path: str
    kind: str | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    encoding: str | None
    report_url: str | None
    final_url: str | None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def manifest_path(raw_dir: str | os.PathLike[str]) -> Path:
    return Path(raw_dir) / CRAWL_DIR / MANIFEST


def lock_path(raw_dir: str | os.PathLike[str]) -> Path:
    return Path(raw_dir) / CRAWL_DIR / LOCK


class Archive:
    """The raw folder's archive and manifest. Thread-safe (one connection behind a lock)."""

    def __init__(self, raw_dir: str | os.PathLike[str]) -> None:
        self.root = Path(raw_dir)
        self.db_path = manifest_path(self.root)
        self._lock = threading.Lock()
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _connect(self.db_path)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(f"{self.db_path}: cannot open the manifest: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._db:
                    yield self._db
            except sqlite3.Error as exc:
                raise ArchiveError(f"{self.db_path}: {exc}") from exc

    # --- runs ------------------------------------------------------------------------------------

    def begin_run(self, max_resume_age: float = RESUME_WITHIN, command: str | None = None) -> tuple[int, bool]:
        """(run id, resumed): the last run again when it never finished (a crash) and started less
        than max_resume_age seconds ago; else a new run (an older unfinished one is closed)."""
        self.remove_temp_files()
        with self._tx() as db:
            row = db.execute("SELECT id, finished_at, started_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            if row is not None and row[1] is None:
                age = (datetime.now(UTC) - datetime.fromisoformat(row[2])).total_seconds()
                if age < max_resume_age:
                    return row[0], True
                db.execute("UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                           (now_iso(), json.dumps({"abandoned": True}), row[0]))
            cur = db.execute("INSERT INTO runs (started_at, command) VALUES (?, ?)", (now_iso(), command))
            return int(cur.lastrowid), False

    def record_fetch_summary(self, run_id: int, summary: dict[str, Any]) -> None:
        """The fetch counts of a run (FetchSummary.to_dict()); the run stays open."""
        counts = {"sites": summary.get("sites"), "sites_failed": summary.get("sites_failed"),
                  "requests": summary.get("requests"), "downloaded": summary.get("downloaded"),
                  "not_modified": summary.get("not_modified"), "new_documents": summary.get("new_documents"),
                  "new_versions": summary.get("new_versions"), "dead_links": summary.get("failed")}
        sets = ", ".join(f"{k} = ?" for k in counts)
        with self._tx() as db:
            db.execute(f"UPDATE runs SET {sets}, summary = ? WHERE id = ?",
                       (*counts.values(), json.dumps(summary, ensure_ascii=False), run_id))

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        """Record the fetch counts and close the run (exit status unknown)."""
        self.record_fetch_summary(run_id, summary)
        self.end_run(run_id, exit_status=None, interrupted=bool(summary.get("interrupted")))

    def end_run(self, run_id: int, exit_status: int | None, interrupted: bool) -> None:
        """Close a run: finished_at, duration, exit status, interrupted."""
        with self._tx() as db:
            row = db.execute("SELECT started_at FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return
            ended = datetime.now(UTC)
            duration = (ended - datetime.fromisoformat(row[0])).total_seconds()
            db.execute("UPDATE runs SET finished_at = ?, duration = ?, exit_status = ?, interrupted = ? "
                       "WHERE id = ?", (ended.isoformat(timespec="milliseconds"), round(duration, 3), exit_status,
                                        int(interrupted), run_id))

    def record_result(self, run_id: int | None, **counts: Any) -> int | None:
        """Parse counts / release_id of a run (the latest one when run_id is None); its id, or None."""
        unknown = set(counts) - set(RUN_COUNTS)
        if unknown:
            raise ValueError(f"record_run_result: unknown field(s) {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(RUN_COUNTS)})")
        with self._tx() as db:
            if run_id is None:
                row = db.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 1").fetchone()
                if row is None:
                    return None
                run_id = row[0]
            if counts:
                sets = ", ".join(f"{k} = ?" for k in counts)
                db.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*counts.values(), run_id))
        return run_id

    def record_site(self, run_id: int, result: SiteResult) -> None:
        """One site's outcome in this run (replaced when a resumed run crawls it again)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO site_runs (run_id, site, start_url, finished_at, ok, error_class, "
                       "error, requests, new_documents, new_versions, dead_links) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (run_id, result.site, result.start_url, now_iso(), int(result.ok), result.error_class,
                        result.error, result.requests, result.new_documents, result.new_versions,
                        result.dead_links))

    # --- reading the manifest --------------------------------------------------------------------

    def latest(self, url: str) -> StoredVersion | None:
        """The latest stored body of url (with its validators), or None."""
        with self._tx() as db:
            row = db.execute(
                "SELECT url, sha256, path, kind, etag, last_modified, content_type, encoding, report_url, "
                "final_url FROM fetches WHERE url = ? AND sha256 IS NOT NULL ORDER BY id DESC LIMIT 1",
                (url,)).fetchone()
        return StoredVersion(*row) if row is not None else None

    def done_in_run(self, run_id: int, url: str) -> FetchRecord | None:
        """The fetch of url already made in this run (resuming after a crash), if any."""
        with self._tx() as db:
            row = db.execute(f"SELECT {', '.join(_FETCH_COLUMNS)} FROM fetches WHERE run_id = ? AND url = ? "
                             "ORDER BY id DESC LIMIT 1", (run_id, url)).fetchone()
        if row is None:
            return None
        values = dict(zip(_FETCH_COLUMNS, row, strict=True))
        values.pop("run_id")
        values.pop("fetched_at")
        return FetchRecord(**values)

    def read(self, relpath: str) -> bytes | None:
        """The bytes of an archived file, or None when it is gone."""
        try:
            return (self.root / relpath).read_bytes()
        except OSError:
            return None

    # --- writing ---------------------------------------------------------------------------------

    def store(self, body: bytes, sha256: str, ext: str, kind: str) -> str:
        """Write body under its sha256 (documents in archive/, other pages in .crawl/pages/) and
        return its path relative to the raw folder. Durable on return; a no-op when present."""
        folder = DOCUMENTS_DIR if kind in DOCUMENT_KINDS else f"{CRAWL_DIR}/{PAGES_DIR}"
        relpath = f"{folder}/{sha256[:2]}/{sha256}.{ext}"
        target = self.root / relpath
        if target.is_file() and target.stat().st_size == len(body):
            return relpath
        try:
            write_durably(target, body)
        except OSError as exc:
            raise ArchiveError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        return relpath

    def record(self, run_id: int, rec: FetchRecord) -> None:
        """Commit one fetch row (and the version row when it stored a document body)."""
        row = {**rec.__dict__, "run_id": run_id, "fetched_at": now_iso()}
        with self._tx() as db:
            db.execute(f"INSERT INTO fetches ({', '.join(_FETCH_COLUMNS)}) VALUES "
                       f"({', '.join('?' for _ in _FETCH_COLUMNS)})", [row[c] for c in _FETCH_COLUMNS])
            if rec.sha256 and rec.path and rec.outcome in (NEW, CHANGED, UNCHANGED):
                db.execute("INSERT OR IGNORE INTO versions (url, sha256, path, kind, report_url, first_seen) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (rec.url, rec.sha256, rec.path, rec.kind, rec.report_url, row["fetched_at"]))

    def remove_temp_files(self) -> int:
        """Delete `*.tmp` files left by a killed run (call only while holding the run lock)."""
        removed = 0
        for folder in (self.root / DOCUMENTS_DIR, self.root / CRAWL_DIR / PAGES_DIR):
            if folder.is_dir():
                for tmp in folder.rglob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return removed

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read-only access for reports and tests."""
        with self._tx() as db:
            return db.execute(sql, params).fetchall()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(_SCHEMA)
    _add_columns(db)
    return db


def _add_columns(db: sqlite3.Connection) -> None:
    """Bring a manifest written by an older version up to the current columns."""
    for table, columns in _ADDED_COLUMNS.items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, decl in columns:
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
    db.commit()


# --- the run history (the command line opens and closes a run; the engine adds its counts) -----


def open_run(raw_dir: str | os.PathLike[str], command: str) -> tuple[int, bool]:
    """Open (or resume, after a crash) the run row of a command; (run id, resumed)."""
    with Archive(raw_dir) as archive:
        return archive.begin_run(command=command)


def close_run(raw_dir: str | os.PathLike[str], run_id: int, exit_status: int | None, interrupted: bool) -> None:
    with Archive(raw_dir) as archive:
        archive.end_run(run_id, exit_status, interrupted)


def record_run_result(raw_dir: str | os.PathLike[str], run_id: int | None = None, *, parsed: int | None = None,
                      cached: int | None = None, parse_failed: int | None = None,
                      release_id: str | None = None) -> int | None:
    """What the parse side of a run did, for `nianbao runs`: documents parsed, served from the
    cache, failed, and the release it published. Called by the engine; run_id None means the
    latest run (the one the command line opened). Only the values given are written. Returns the
    run id, or None when the manifest has no run (nothing is created then)."""
    counts = {k: v for k, v in (("parsed", parsed), ("cached", cached), ("parse_failed", parse_failed),
                                ("release_id", release_id)) if v is not None}
    if not manifest_path(raw_dir).is_file():
        return None
    with Archive(raw_dir) as archive:
        return archive.record_result(run_id, **counts)


def write_durably(target: Path, data: bytes) -> None:
    """temp file in the same folder -> write -> fsync -> rename -> fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if os.name == "nt":  # Windows cannot open a folder to sync it; the rename is durable on NTFS
        return
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- what the parse side needs ------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentVersion:
    path: Path
    url: str
    report_url: str | None
    sha256: str
    kind: str | None
    first_seen: str
    current: bool


def document_versions(raw_dir: str | os.PathLike[str]) -> list[DocumentVersion]:
    """Every document version in archive/ with its URL, report and whether it is current.
    [] when there is no manifest."""
    root = Path(raw_dir)
    if not manifest_path(root).is_file():
        return []
    with Archive(root) as archive:
        current = _current_shas(archive)
        rows = archive.query("SELECT url, sha256, path, kind, report_url, first_seen FROM versions "
                             "WHERE path LIKE ? ORDER BY first_seen, url", (f"{DOCUMENTS_DIR}/%",))
    return [DocumentVersion(root / path, url, report, sha, kind, first, current.get(url) == sha)
            for url, sha, path, kind, report, first in rows]


def _current_shas(archive: Archive) -> dict[str, str]:
    rows = archive.query("SELECT f.url, f.sha256 FROM fetches f JOIN (SELECT url, MAX(id) AS id FROM fetches "
                         "WHERE sha256 IS NOT NULL GROUP BY url) last ON f.id = last.id")
    return dict(rows)


def superseded_paths(raw_dir: str | os.PathLike[str]) -> set[Path]:
    """Files in archive/ that are no longer the current version of any URL (kept, not to be parsed
    as if they were a second report)."""
    versions = document_versions(raw_dir)
    current = {v.path for v in versions if v.current}
    return {v.path for v in versions if v.path not in current}


def current_document_paths(raw_dir: str | os.PathLike[str]) -> list[Path]:
    """The current version of every archived document, sorted, each once."""
    return sorted({v.path for v in document_versions(raw_dir) if v.current})


def verify_archive(raw_dir: str | os.PathLike[str]) -> list[str]:
    """One line per problem: a version whose file is missing or whose bytes do not hash to its name."""
    root = Path(raw_dir)
    problems = []
    with Archive(root) as archive:
        paths = {row[0]: row[1] for row in archive.query("SELECT DISTINCT path, sha256 FROM versions")}
    for relpath, sha in sorted(paths.items()):
        data = (root / relpath).read_bytes() if (root / relpath).is_file() else None
        if data is None:
            problems.append(f"{root / relpath}: missing")
        elif hashlib.sha256(data).hexdigest() != sha:
            problems.append(f"{root / relpath}: bytes do not match sha256 {sha}")
    return problems
