"""The run: every document under raw_dir -> parse -> provenance -> normalize once -> export.

One document that cannot be read gives one line in `RunSummary.errors` and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import parsers
from parsers.model import Report
from pipeline.collect.archive import superseded_paths
from pipeline.collect.provenance import Lookup, ProvenanceUnavailable, crawled_sources, provenance_lookup
from pipeline.dataset import releases
from pipeline.dataset.export import FORMATS, write_frames
from pipeline.dataset.normalize import Item, make_report_id, records_to_frames
from pipeline.dataset.reasons import rejection_reason

log = logging.getLogger(__name__)

MAX_BYTES = 32 * 1024 * 1024
SKIPPED_SUFFIXES = (".json", ".tmp", ".sqlite", ".sqlite-wal", ".sqlite-shm", ".lock")
_HEAD_BYTES = 65536  # enough for parsers.sniff_format to tell docx from zip

Progress = Callable[[list[Path]], Iterable[Path]]


class PipelineError(Exception):
    """The run cannot start or finish; the message is one line."""


class RawDirMissing(PipelineError):
    """raw_dir does not exist or is not a directory."""


class FileRefused(Exception):
    """A file not read on purpose (too large, not a regular file)."""


@dataclass
class RunSummary:
    """What a run did. `failed` documents could not be read; `checks_failed` reports were read
    but have at least one relation that does not add up; `warnings` reports have a warning."""

    documents: int = 0
    parsed: int = 0
    failed: int = 0
    checks_failed: int = 0
    warnings: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self, clean_dir: str | os.PathLike[str]) -> str:
        dup = f", {self.duplicates} duplicates skipped" if self.duplicates else ""
        return (f"{self.documents} documents: {self.parsed} parsed, {self.failed} failed, "
                f"{self.checks_failed} with failed checks{dup} → {clean_dir}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = dict(sorted(self.rejected.items()))
        return data


def is_document_name(name: str) -> bool:
    """False for hidden files (.gitkeep too), README*, and *.json / *.tmp."""
    folded = name.casefold()
    return not (name.startswith(".") or folded.startswith("readme") or folded.endswith(SKIPPED_SUFFIXES))


def iter_documents(raw_dir: str | os.PathLike[str],
                   exclude: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Path]:
    """Every regular file under raw_dir (recursively, hidden folders skipped), in sorted order.

    Folders in `exclude` (e.g. the output folder, when it lies inside raw_dir) are not entered.
    """
    root = Path(raw_dir)
    skip = {Path(p).resolve() for p in exclude}
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skip)
        found.extend(here / n for n in filenames if is_document_name(n) and (here / n).is_file())
    yield from sorted(found, key=lambda p: p.relative_to(root).parts)


def source_for(path: Path, root: str | os.PathLike[str] | None) -> str:
    """The path relative to root (POSIX separators) when it lies under root, else as given."""
    if root is None:
        return str(path)
    for inner, outer in ((path, Path(root)), (path.resolve(), Path(root).resolve())):
        try:
            return inner.relative_to(outer).as_posix()
        except ValueError:
            continue
    return str(path)


def parse_file(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES, *,
               root: str | os.PathLike[str] | None = None, source: str | None = None,
               bad_cells: str = "null") -> tuple[Report, dict]:
    """Read and parse one file. Never raises for a bad or unreadable file: the Report's `error` says why.

    Provenance: {"source", "sha256", "size_bytes", "report_id"}; sha256 is None when the bytes were
    not read (a file over max_bytes is refused after a stat, without reading it).
    """
    path = Path(path)
    source = source if source is not None else source_for(path, root)
    prov: dict[str, Any] = {"source": source, "sha256": None, "size_bytes": None}
    try:
        raw = read_bounded(path, max_bytes, prov)
    except FileRefused as exc:
        fmt = _sniff_head(path) if prov["size_bytes"] is not None else None  # regular files only
        report = Report(source=source, format=fmt, error=f"{source}: {exc}")
        return report, _with_id(prov)
    except OSError as exc:
        return Report(source=source, error=f"{source}: {describe_os_error(exc)}"), _with_id(prov)
    prov["sha256"] = hashlib.sha256(raw).hexdigest()
    return parse_bytes(raw, source, max_bytes, bad_cells), _with_id(prov)


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


def _sniff_head(path: Path) -> str | None:
    """The format of a refused file, from its first bytes only, where they can be read."""
    try:
        with open(path, "rb") as fh:
            return parsers.sniff_format(fh.read(_HEAD_BYTES))
    except Exception:  # noqa: BLE001 - a best-effort label for an already refused file
        return None


def _with_id(prov: dict[str, Any]) -> dict[str, Any]:
    prov["report_id"] = make_report_id(prov["sha256"], prov["source"])
    return prov


def parse_bytes(raw: bytes, source: str, max_bytes: int = MAX_BYTES, bad_cells: str = "null") -> Report:
    """parsers.parse, with a guard: a parser bug becomes this document's error, not the run's.
    PDF, DOCX and DOC are parsed in a child process with a time and memory limit
    (pipeline.engine.isolate); text and HTML, cheap and pure Python, in this process."""
    from pipeline.engine.isolate import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, parse_isolated

    try:
        if parsers.sniff_format(raw) in ("pdf", "docx", "doc", "zip"):
            report = parse_isolated(raw, source, timeout_s=DEFAULT_TIMEOUT_S, memory_mb=DEFAULT_MEMORY_MB,
                                    max_bytes=max_bytes, bad_cells=bad_cells)
        else:
            report = parsers.parse(raw, source, max_bytes=max_bytes, bad_cells=bad_cells)
    except Exception as exc:  # noqa: BLE001 - one broken document must never stop a batch
        report = Report(source=source, error=f"unexpected {type(exc).__name__}: {exc}")
    if report.error is not None:
        report.error = error_line(report.error, source)
    return report


def error_line(error: str, source: str) -> str:
    """One line, starting with the document's source."""
    line = " ".join(error.split())
    return line if line.startswith(f"{source}:") else f"{source}: {line}"


def run_pipeline(raw_dir: str | os.PathLike[str], clean_dir: str | os.PathLike[str],
                 max_bytes: int = MAX_BYTES, formats: Iterable[str] = FORMATS,
                 progress: Progress | None = None, bad_cells: str = "null", *,
                 allow_shrink: bool = False, licence: str | None = None) -> RunSummary:
    """Parse every document under raw_dir and write the dataset (and run.json) to clean_dir.

    bad_cells: "null" keeps reports with unreadable cells (null, named in warnings); "fail" counts
    such a report as a document that could not be read. A run that would drop over 10% of the
    published reports raises releases.ShrinkRefused and writes nothing, unless allow_shrink.
    licence: the datapackage's licence (pipeline.dataset.datapackage.licence; default CC-BY-4.0)."""
    root = Path(raw_dir)
    if not root.is_dir():
        raise RawDirMissing(f"{root}: no such directory")
    formats = tuple(formats)
    superseded = {p.resolve() for p in superseded_paths(root)}  # old versions of a changed report: kept, not parsed
    paths = [p for p in iter_documents(root, exclude=[clean_dir]) if p.resolve() not in superseded]
    summary = RunSummary()
    lookup = crawl_lookup(root, summary)
    items = collect(paths if progress is None else progress(paths), root, max_bytes, summary, bad_cells, lookup)
    frames = records_to_frames(items)
    record = {
        "raw": str(raw_dir), "formats": list(formats), "max_bytes": max_bytes, "bad_cells": bad_cells,
        "tables": {name: len(frame) for name, frame in frames.items()}, "summary": summary.to_dict(),
    }
    # --- issue-10 stand-in for the release mechanism (issue-9): the lead moves these lines there. ---
    # The shrink guard and the release notes run against the dataset in clean_dir, and CHANGES.md +
    # release.json are written beside it; with release folders, `previous` is the current release.
    previous = clean_dir if releases.reports_count(clean_dir) is not None else None
    releases.check_shrink(releases.reports_count(previous), len(frames["reports"]), allow_shrink)
    notes, release = releases.release_notes(previous, frames, previous_id=_release_id_in(previous),
                                            counts={"documents": summary.documents, "parsed": summary.parsed,
                                                    "failed": summary.failed, "duplicates": summary.duplicates})
    record["release_id"] = release["id"]
    package = {"version": release["id"], "created": release["created"], "licence_spec": licence,
               "sources": crawled_sources(root) if lookup is not None else []}
    extra = {releases.CHANGES_FILE: notes.encode("utf-8"),
             releases.RELEASE_FILE: (json.dumps(release, ensure_ascii=False, indent=2) + "\n").encode("utf-8")}
    # --- end of the stand-in ---
    write_frames(frames, clean_dir, formats, summary=record, package=package, extra=extra)
    return summary


def _release_id_in(folder: str | os.PathLike[str] | None) -> str | None:
    """The id in folder/release.json (issue-10 stand-in: the release mechanism knows the current id)."""
    try:
        return json.loads((Path(folder) / releases.RELEASE_FILE).read_text(encoding="utf-8")).get("id")
    except (TypeError, OSError, ValueError, AttributeError):
        return None


def crawl_lookup(root: Path, summary: RunSummary) -> Lookup | None:
    """The crawl manifest's provenance (URL, site, fetch times) of each document, if it can be read."""
    try:
        return provenance_lookup(root)
    except ProvenanceUnavailable as exc:
        summary.notes.append(f"{exc}; URLs and fetch times left null")
        log.warning("%s; URLs and fetch times left null", exc)
        return None


def with_provenance(report: Report, prov: dict[str, Any], lookup: Lookup | None) -> None:
    """Add the crawl's provenance to prov; a crawled document's error names its URL first."""
    found = lookup(prov["sha256"], prov["source"]) if lookup is not None else None
    if found is None:
        return
    prov.update(found.to_dict())
    if report.error is not None:
        source = f"{prov['source']}:"
        rest = report.error[len(source):] if report.error.startswith(source) else f" {report.error}"
        report.error = f"{document_name(prov)}:{rest}"


def document_name(prov: dict[str, Any]) -> str:
    """A document in error lines: `URL (archive path)` when it was crawled, else its path."""
    return f"{prov['url']} ({prov['source']})" if prov.get("url") else prov["source"]


def collect(paths: Iterable[Path], root: Path, max_bytes: int, summary: RunSummary,
            bad_cells: str = "null", lookup: Lookup | None = None) -> list[Item]:
    """Parse one document at a time (only its Report is kept), tallying into summary."""
    items: list[Item] = []
    first_source: dict[str, str] = {}
    for path in paths:
        report, prov = parse_file(path, max_bytes, root=root, bad_cells=bad_cells)
        with_provenance(report, prov, lookup)
        summary.documents += 1
        sha = prov["sha256"]
        if sha is not None and sha in first_source:
            _duplicate(summary, prov, first_source[sha])
            continue
        if sha is not None:
            first_source[sha] = prov["source"]
        tally(summary, report, prov)
        items.append((report, prov))
    return items


def _duplicate(summary: RunSummary, prov: dict[str, Any], first: str) -> None:
    summary.duplicates += 1
    summary.rejected["duplicate"] = summary.rejected.get("duplicate", 0) + 1
    summary.notes.append(f"{prov['source']}: same bytes as {first} (report {prov['report_id']}); skipped")


def tally(summary: RunSummary, report: Report, prov: dict[str, Any]) -> None:
    if report.error is not None:
        summary.failed += 1
        summary.errors.append(report.error)
        reason = rejection_reason(report.error, document_name(prov))
        summary.rejected[reason] = summary.rejected.get(reason, 0) + 1
        log.debug("%s", report.error)
        return
    summary.parsed += 1
    if any(c.get("ok") is False for c in report.checks):
        summary.checks_failed += 1
    if report.warnings:
        summary.warnings += 1
