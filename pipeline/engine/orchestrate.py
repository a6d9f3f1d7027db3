"""The run: every document under raw_dir -> (cache or bounded worker) -> tables, streamed -> a release.

1. scan: every document file under raw_dir (non-UTF-8 names read, shown escaped in `source`; a
   folder that cannot be read is an error line);
2. plan: each file's sha256 (from the cache's stat memo when the file is unchanged), duplicates
   skipped, the documents put in the dataset's order (report_id, then source);
3. parse: documents whose (sha256, parser version, options) are in the parse cache come from it;
   the others go to the executor (bounded local workers, or Dask), `--jobs` at a time;
4. build: reports stream, in order, into the tables (pipeline.dataset.build) of a new release
   folder, published in one step (pipeline.dataset.release_dirs).

One document that cannot be read gives one line in `RunSummary.errors` and the run goes on.
The tables are the same whatever the number of workers or the executor.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from parsers.model import Report
from pipeline.collect.archive import superseded_paths
from pipeline.collect.provenance import Lookup, ProvenanceUnavailable, crawled_sources, provenance_lookup
from pipeline.dataset import releases
from pipeline.dataset.agencies import AgencyResolver, load_overrides
from pipeline.dataset.build import TableBuilder, write_json
from pipeline.dataset.export import FORMATS, write_frames  # noqa: F401 - write_frames: public re-export
from pipeline.dataset.normalize import document_label, make_report_id, sort_key
from pipeline.dataset.reasons import rejection_reason
from pipeline.dataset.release_dirs import (
    DEFAULT_KEEP,
    current_release,
    publish,
    remove_leftovers,
    start_release,
)
from pipeline.dataset.sections import previous_of
from pipeline.dataset.twins import Meta, meta_of, settle_across
from pipeline.engine.cache import (
    CACHE_DIR,
    CACHE_FILE,
    ParseCache,
    parser_version,
    record_key,
    source_version,
)
from pipeline.engine.document import (  # noqa: F401 - re-exported: the run's one-document helpers
    MAX_BYTES,
    FileRefused,
    Task,
    describe_os_error,
    error_line,
    fs_path,
    read_bounded,
    too_large,
)
from pipeline.engine.executors import make_executor
from pipeline.engine.workers import Limits, WorkerPool, default_jobs

log = logging.getLogger(__name__)

SKIPPED_SUFFIXES = (".json", ".tmp", ".sqlite", ".sqlite-wal", ".sqlite-shm", ".lock")
_HASH_CHUNK = 1 << 20
DEFAULT_LIMITS = Limits()

Progress = Callable[[list[Path]], Iterable[Path]]


class PipelineError(Exception):
    """The run cannot start or finish; the message is one line."""


class RawDirMissing(PipelineError):
    """raw_dir does not exist or is not a directory."""


@dataclass
class RunSummary:
    """What a run did. `failed` documents could not be read (and folders that could not be listed);
    `checks_failed` reports were read but have at least one relation that does not add up;
    `warnings` reports have a warning. `fresh` documents were parsed by this run, `cached` ones
    came from the parse cache."""

    documents: int = 0
    parsed: int = 0
    failed: int = 0
    checks_failed: int = 0
    warnings: int = 0
    duplicates: int = 0
    fresh: int = 0
    cached: int = 0
    workers_replaced: int = 0
    release_id: str | None = None
    unchanged: bool = False  # the inputs are those of the current release: it stays, nothing written
    errors: list[str] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self, clean_dir: str | os.PathLike[str]) -> str:
        dup = f", {self.duplicates} duplicates skipped" if self.duplicates else ""
        if self.unchanged:
            return (f"{self.documents} documents: {self.parsed} parsed, {self.failed} failed, {self.checks_failed} "
                    f"with failed checks{dup}; nothing changed, release {self.release_id} stays → {clean_dir}")
        return (f"{self.documents} documents: {self.parsed} parsed, {self.failed} failed, "
                f"{self.checks_failed} with failed checks{dup}; {self.fresh} read now, {self.cached} from the "
                f"cache → {clean_dir}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = dict(sorted(self.rejected.items()))
        return data


@dataclass
class Doc:
    """A document to read, in the dataset's order."""

    path: str  # as the filesystem knows it (undecodable bytes as surrogates)
    source: str  # relative to raw, printable (undecodable bytes escaped)
    sha256: str | None = None
    size: int | None = None
    hit: bool = False

    @property
    def report_id(self) -> str:
        return make_report_id(self.sha256, self.source)


# ---- scan -------------------------------------------------------------------------------------------


def is_document_name(name: str) -> bool:
    """False for hidden files (.gitkeep too), README*, and *.json / *.tmp."""
    folded = name.casefold()
    return not (name.startswith(".") or folded.startswith("readme") or folded.endswith(SKIPPED_SUFFIXES))


def printable(text: str) -> str:
    """A file name as text: bytes that are not UTF-8 (a GBK name from a Windows zip) shown as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def scan(raw_dir: str | os.PathLike[str], exclude: Iterable[str | os.PathLike[str]] = ()) -> tuple[list[Path], list[str]]:
    """(every regular document file under raw_dir in sorted order, one error line per folder that
    could not be listed). Hidden folders and folders in `exclude` are not entered."""
    root = Path(fs_path(raw_dir))
    skip = {Path(p).resolve() for p in exclude}
    found: list[Path] = []
    errors: list[str] = []

    def unreadable(exc: OSError) -> None:
        where = source_for(Path(exc.filename), root) if exc.filename else str(root)
        errors.append(f"{printable(where)}/: folder cannot be read: {describe_os_error(exc)}")

    for folder, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skip)
        found.extend(here / n for n in filenames if is_document_name(n) and (here / n).is_file())
    return sorted(found, key=lambda p: p.relative_to(root).parts), errors


def iter_documents(raw_dir: str | os.PathLike[str],
                   exclude: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Path]:
    """Every regular file under raw_dir (recursively, hidden folders skipped), in sorted order."""
    yield from scan(raw_dir, exclude)[0]


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


# ---- one document, outside a run ----------------------------------------------------------------------


def parse_file(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES, *,
               root: str | os.PathLike[str] | None = None, source: str | None = None,
               bad_cells: str = "null", limits: Limits = DEFAULT_LIMITS, glued: str = "strict") -> tuple[Report, dict]:
    """Read and parse one file in a bounded worker. Never raises for a bad or unreadable file."""
    return next(parse_files([path], max_bytes, root=root, sources=None if source is None else [source],
                            bad_cells=bad_cells, limits=limits, glued=glued))


def parse_files(paths: Iterable[str | os.PathLike[str]], max_bytes: int = MAX_BYTES, *,
                root: str | os.PathLike[str] | None = None, sources: Iterable[str] | None = None,
                bad_cells: str = "null", limits: Limits = DEFAULT_LIMITS, jobs: int = 1,
                glued: str = "strict") -> Iterator[tuple[Report, dict]]:
    """(Report, provenance) for each file, in order, parsed by bounded workers (started once)."""
    paths = [Path(fs_path(p)) for p in paths]
    names = list(sources) if sources is not None else [printable(source_for(p, root)) for p in paths]
    tasks = (Task(i, name, path=str(p), max_bytes=max_bytes, bad_cells=bad_cells, glued=glued)
             for i, (p, name) in enumerate(zip(paths, names, strict=True)))
    with WorkerPool(jobs, limits) as pool:
        for _task, (report, prov) in pool.map_ordered(tasks):
            prov.pop("blob", None)
            yield report, _with_id(prov)


def parse_bytes(raw: bytes, source: str, max_bytes: int = MAX_BYTES, bad_cells: str = "null") -> Report:
    """parsers.parse in a bounded worker (pipeline.engine.isolate), whatever the format."""
    from pipeline.engine.isolate import parse_isolated

    report = parse_isolated(raw, source, max_bytes=max_bytes, bad_cells=bad_cells)
    if report.error is not None:
        report.error = error_line(report.error, source)
    return report


def _with_id(prov: dict[str, Any]) -> dict[str, Any]:
    prov["report_id"] = make_report_id(prov.get("sha256"), prov["source"])
    return prov


# ---- the run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    max_bytes: int = MAX_BYTES
    formats: tuple[str, ...] = FORMATS
    bad_cells: str = "null"
    jobs: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    use_cache: bool = True
    keep: int = DEFAULT_KEEP
    limits: Limits = Limits()
    allow_shrink: bool = False
    licence: str | None = None  # of the compiled dataset (pipeline.dataset.datapackage.licence)
    glued: str = "strict"  # glued digits: "strict" or "assume-filled" (parsers.parse)

    def record_options(self) -> dict[str, str]:
        """The options that change a record (part of the cache key)."""
        return {"bad_cells": self.bad_cells, "max_bytes": str(self.max_bytes), "glued": self.glued}


def run_pipeline(raw_dir: str | os.PathLike[str], clean_dir: str | os.PathLike[str],
                 max_bytes: int = MAX_BYTES, formats: Iterable[str] = FORMATS,
                 progress: Progress | None = None, bad_cells: str = "null", **options: Any) -> RunSummary:
    """Parse every document under raw_dir and publish the dataset as a new release of clean_dir.

    bad_cells: "null" keeps reports with unreadable cells (null, named in warnings); "fail" counts
    such a report as a document that could not be read. options: the other fields of RunOptions
    (jobs, executor, scheduler, use_cache, keep, limits, allow_shrink, licence, glued). A run that
    would drop over 10% of the published reports raises releases.ShrinkRefused and publishes nothing,
    unless allow_shrink."""
    opts = RunOptions(max_bytes=max_bytes, formats=tuple(formats), bad_cells=bad_cells, **options)
    root = Path(fs_path(raw_dir))
    if not root.is_dir():
        raise RawDirMissing(f"{root}: no such directory")
    started = time.time()
    summary = RunSummary()
    paths, folder_errors = scan(root, exclude=[clean_dir])
    for line in folder_errors:
        _fail_line(summary, line, "unreadable folder")
    superseded = {p.resolve() for p in superseded_paths(root)}  # old versions of a changed report: kept, not parsed
    paths = [p for p in paths if p.resolve() not in superseded]
    clean = Path(clean_dir)
    if clean.is_dir():
        remove_leftovers(clean)  # of a run killed earlier (one run at a time: the CLI holds the lock)
    cache = ParseCache(clean / CACHE_DIR / CACHE_FILE) if opts.use_cache else None
    try:
        if cache is not None:
            summary.notes.extend(cache.notes)
        lookup = crawl_lookup(root, summary)
        plan = plan_documents(paths, root, opts, cache, summary)
        fingerprint = inputs_fingerprint(plan, opts, folder_errors, summary.notes + [_provenance_state(plan, lookup)])
        every_record_cached = all(d.hit for d in plan if d.sha256)  # a document stopped by a limit is tried again
        if opts.use_cache and every_record_cached and _unchanged(clean, fingerprint, summary):
            return summary
        release_id, building = start_release(clean)
        try:
            package = {"version": release_id, "created": _utc(time.time()), "licence_spec": opts.licence,
                       "sources": crawled_sources(root) if lookup is not None else []}
            counts = _build(plan, opts, cache, summary, building, progress, lookup, package)
            summary.errors = folder_errors + sorted(summary.errors[len(folder_errors):], key=_path_order)
            summary.release_id = release_id
            _describe_release(clean, building, release_id, opts, summary, counts, started, raw_dir, fingerprint)
            summary.release_id = release_id
            publish(clean, building, release_id, keep=opts.keep)
        except BaseException:
            remove_leftovers(clean)
            raise
    finally:
        if cache is not None:
            cache.close()
    return summary


def _provenance_state(plan: list[Doc], lookup: Lookup | None) -> str:
    """What the crawl manifest says of these documents (their provenance goes into the tables)."""
    if lookup is None:
        return "no provenance"
    digest = hashlib.sha256()
    for doc in plan:
        found = lookup(doc.sha256, doc.source) if doc.sha256 else None
        digest.update(repr(found.to_dict() if found is not None else None).encode("utf-8", "backslashreplace"))
    return f"provenance {digest.hexdigest()}"


def plan_documents(paths: list[Path], root: Path, opts: RunOptions, cache: ParseCache | None,
                   summary: RunSummary) -> list[Doc]:
    """The documents to read, duplicates skipped, in the dataset's order (report_id, source)."""
    docs: list[Doc] = []
    first: dict[str, str] = {}
    for path in paths:
        doc = Doc(str(path), printable(source_for(path, root)))
        summary.documents += 1
        _hash(doc, opts.max_bytes, cache)
        if doc.sha256 is not None and doc.sha256 in first:
            _duplicate(summary, doc, first[doc.sha256])
            continue
        if doc.sha256 is not None:
            first[doc.sha256] = doc.source
        docs.append(doc)
    if cache is not None:
        cache.forget_files_except(d.path for d in docs)
        version = parser_version()
        for doc in docs:
            doc.hit = doc.sha256 is not None and cache.has(record_key(doc.sha256, opts.record_options(), version))
    docs.sort(key=lambda d: (d.report_id, d.source))
    return docs


def _hash(doc: Doc, max_bytes: int, cache: ParseCache | None) -> None:
    """doc.sha256 and size for a regular file within max_bytes (else the worker says what is wrong)."""
    try:
        st = os.stat(doc.path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return
        doc.size = st.st_size
        known = cache.known_sha(doc.path, st) if cache is not None else None
        doc.sha256 = known or _sha256_of(doc.path)
        if cache is not None and known is None:
            cache.remember_sha(doc.path, st, doc.sha256)
    except OSError:
        doc.sha256 = None  # unreadable: the worker gives the error line


def _sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _build(plan: list[Doc], opts: RunOptions, cache: ParseCache | None, summary: RunSummary, building: Path,
           progress: Progress | None, lookup: Lookup | None, package: dict[str, Any]) -> dict[str, int]:
    """Two passes over the records, holding only small keys between them: the first parses what the
    cache lacks and notes each report's place (agency, year) and twin key; the second streams the
    records, in the dataset's order and settled by their twins and last year's report, into the tables."""
    store = cache if cache is not None else ParseCache(building / CACHE_FILE)  # --no-cache: this run's records only
    records = Records(store, opts)
    try:
        keys, metas, years = first_pass(plan, opts, records, summary, progress, lookup)
        settlement = settle_across(metas, records.load)
        previous = previous_of({rid: v for rid, v in years.items() if rid not in settlement.twin_of})
        builder = TableBuilder(building, opts.formats, package=package, load=records.load, settlement=settlement,
                               previous=previous)
        try:
            for _key, doc in sorted(keys, key=lambda pair: pair[0]):
                report = settlement.reports.get(doc.report_id) or records.report_of(doc)
                prov = _with_id({"source": doc.source, "sha256": doc.sha256, "size_bytes": doc.size})
                with_provenance(report, prov, lookup)
                builder.add(report, prov)
            return builder.finish()
        except BaseException:
            builder.abort()
            raise
    finally:
        if cache is None:
            store.close()
            with contextlib.suppress(OSError):
                (building / CACHE_FILE).unlink()


class Records:
    """Each document's record, by report_id: from the parse store, else (a record too big to keep,
    or an error the store does not take) from memory."""

    def __init__(self, store: ParseCache, opts: RunOptions) -> None:
        self.store, self.opts, self.version = store, opts, parser_version()
        self.held: dict[str, Report] = {}
        self.docs: dict[str, Doc] = {}

    def key(self, doc: Doc) -> str:
        return record_key(doc.sha256 or "", self.opts.record_options(), self.version)

    def keep(self, doc: Doc, report: Report, blob: bytes | None, storable: bool) -> None:
        self.docs[doc.report_id] = doc
        if storable and doc.sha256:
            self.store.put(self.key(doc), report, blob)
        else:
            self.held[doc.report_id] = report

    def report_of(self, doc: Doc) -> Report:
        held = self.held.get(doc.report_id)
        if held is not None:
            return held
        report = self.store.get(self.key(doc), doc.source)
        if report is None:
            raise PipelineError(f"{doc.source}: its parsed record vanished from the parse cache during the run")
        return report

    def load(self, report_id: str) -> Report:
        return self.report_of(self.docs[report_id])


def first_pass(plan: list[Doc], opts: RunOptions, records: Records, summary: RunSummary,
               progress: Progress | None, lookup: Lookup | None) -> tuple[list[tuple[tuple, Doc]], list[Meta], dict]:
    """Every record in the store (parsed now where it was not), tallied; (order key, doc) pairs and
    the twin keys of the reports read."""
    keys: list[tuple[tuple, Doc]] = []
    metas: list[Meta] = []
    years: dict[str, tuple[str, int]] = {}  # report_id -> (agency_id, year) of the reports read
    resolver = AgencyResolver(load_overrides(None))
    for doc, report, prov in read_in_order(plan, opts, records, summary, progress):
        with_provenance(report, prov, lookup)
        tally(summary, report, prov)
        keys.append((sort_key((report, prov)), doc))
        if (meta := meta_of(doc.report_id, report, prov)) is not None:
            metas.append(meta)
        agency = resolver.resolve(report.agency, prov["source"]) if report.error is None else None
        if agency is not None and report.year is not None:
            years[doc.report_id] = (agency.agency_id, report.year)
    return keys, metas, years


def read_in_order(plan: list[Doc], opts: RunOptions, records: Records, summary: RunSummary,
                  progress: Progress | None) -> Iterator[tuple[Doc, Report, dict[str, Any]]]:
    """(doc, Report, provenance) in plan order: from the cache where it holds the record, else parsed
    (and stored)."""
    jobs = opts.jobs or default_jobs()
    ordered: Iterable[Doc] = plan if progress is None else progress(plan)  # type: ignore[arg-type]
    misses = (Task(i, d.source, path=d.path, max_bytes=opts.max_bytes, bad_cells=opts.bad_cells, glued=opts.glued)
              for i, d in enumerate(plan) if not d.hit)
    executor = make_executor(opts.executor, jobs, opts.limits, opts.scheduler)
    try:
        results = executor.map_ordered(misses)
        for doc in ordered:
            report = records.store.get(records.key(doc), doc.source) if doc.hit and doc.sha256 else None
            if report is not None:
                summary.cached += 1
                records.docs[doc.report_id] = doc
                prov = {"source": doc.source, "sha256": doc.sha256, "size_bytes": doc.size}
            else:
                report, prov = _parsed(doc, results, opts, records)
                summary.fresh += 1
            yield doc, report, _with_id(prov)
    finally:
        summary.workers_replaced += getattr(getattr(executor, "pool", None), "replaced", 0)
        executor.close()


def _parsed(doc: Doc, results: Iterator, opts: RunOptions, records: Records) -> tuple[Report, dict[str, Any]]:
    if doc.hit:  # in the cache when planned, unreadable now: parse it here
        report, prov = next(parse_files([doc.path], opts.max_bytes, sources=[doc.source], bad_cells=opts.bad_cells,
                                        limits=opts.limits, glued=opts.glued))
    else:
        _task, (report, prov) = next(results)
    blob = prov.pop("blob", None)
    prov["source"] = doc.source
    if report.error is not None and not report.error.startswith(f"{doc.source}: "):
        report.error, blob = error_line(report.error, doc.source), None
    records.keep(doc, report, blob, storable=bool(prov.get("sha256")) and not prov.get("limit"))
    return report, prov


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
    found = lookup(prov["sha256"], prov["source"]) if lookup is not None and prov.get("sha256") else None
    if found is None:
        return
    prov.update(found.to_dict())
    name = document_label((report, prov))
    if report.error is not None and not report.error.startswith(f"{name}:"):
        source = f"{prov['source']}:"
        rest = report.error[len(source):] if report.error.startswith(source) else f" {report.error}"
        report.error = f"{name}:{rest}"


def _describe_release(clean: Path, building: Path, release_id: str, opts: RunOptions, summary: RunSummary,
                      counts: dict[str, int], started: float, raw_dir: str | os.PathLike[str],
                      fingerprint: str) -> None:
    """run.json, release.json and CHANGES.md of the new release; the shrink guard first."""
    previous = current_release(clean)
    releases.check_shrink(_previous_reports(previous), counts["reports"], opts.allow_shrink)
    run = {"raw": printable(str(raw_dir)), "formats": list(opts.formats), "max_bytes": opts.max_bytes,
           "bad_cells": opts.bad_cells, "glued": opts.glued, "jobs": opts.jobs or default_jobs(),
           "executor": opts.executor, "parser_version": parser_version(), "inputs": fingerprint,
           "release_id": release_id, "tables": counts, "summary": summary.to_dict()}
    markdown, release = releases.release_notes(
        previous, building, release_id=release_id, previous_id=previous.resolve().name if previous else None,
        counts={"documents": summary.documents, "parsed": summary.parsed, "failed": summary.failed,
                "duplicates": summary.duplicates, "read_now": summary.fresh, "from_cache": summary.cached})
    write_json(building / "run.json", run)
    write_json(building / releases.RELEASE_FILE, release | {"started": _utc(started)})
    (building / releases.CHANGES_FILE).write_text(markdown, encoding="utf-8")


def inputs_fingerprint(plan: list[Doc], opts: RunOptions, folder_errors: list[str], notes: list[str]) -> str:
    """Everything the tables are made from: each document's source and bytes (or size and time when
    it is not read), the parser and dataset code, the options, the agency overrides."""
    import pipeline.dataset
    from pipeline.dataset.agencies import DEFAULT_OVERRIDES

    digest = hashlib.sha256()
    for doc in plan:
        if doc.sha256 is not None:
            ident = doc.sha256
        else:
            try:
                st = os.stat(doc.path)
                ident = f"unread {st.st_size} {st.st_mtime_ns} {st.st_mode}"
            except OSError as exc:
                ident = f"unread {type(exc).__name__}"
        digest.update(f"{doc.source}\0{ident}\n".encode("utf-8", "backslashreplace"))
    digest.update(f"{parser_version()}\n{_dataset_version(Path(pipeline.dataset.__file__).parent)}\n".encode())
    digest.update(repr((opts.record_options(), opts.formats, folder_errors, notes)).encode("utf-8", "backslashreplace"))
    with contextlib.suppress(OSError):
        digest.update(DEFAULT_OVERRIDES.read_bytes())
    return digest.hexdigest()


@cache
def _dataset_version(folder: Path) -> str:
    return source_version(folder)


def _unchanged(clean: Path, fingerprint: str, summary: RunSummary) -> bool:
    """True (and the summary of the run that made it) when the current release was made from exactly
    these inputs: nothing is parsed or written, the current release stays."""
    previous = current_release(clean)
    if previous is None:
        return False
    try:
        import json

        run = json.loads((previous / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if run.get("inputs") != fingerprint or not isinstance(run.get("summary"), dict):
        return False
    before = run["summary"]
    for name in ("parsed", "failed", "checks_failed", "warnings", "errors", "rejected", "notes"):
        setattr(summary, name, before.get(name, getattr(summary, name)))
    summary.cached = summary.documents - summary.duplicates
    summary.release_id = before.get("release_id") or previous.resolve().name
    summary.unchanged = True
    return True


def _previous_reports(previous: Path | None) -> int | None:
    if previous is None:
        return None
    try:
        import json

        return int(json.loads((previous / "run.json").read_text(encoding="utf-8"))["tables"]["reports"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _path_order(line: str) -> tuple[str, ...]:
    """Error lines in the order of the files' paths (as the folder is listed)."""
    return tuple(line.split(": ", 1)[0].split("/"))


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _duplicate(summary: RunSummary, doc: Doc, first: str) -> None:
    summary.duplicates += 1
    summary.rejected["duplicate"] = summary.rejected.get("duplicate", 0) + 1
    summary.notes.append(f"{doc.source}: same bytes as {first} (report {doc.report_id}); skipped")


def _fail_line(summary: RunSummary, line: str, reason: str) -> None:
    summary.failed += 1
    summary.errors.append(line)
    summary.rejected[reason] = summary.rejected.get(reason, 0) + 1


def tally(summary: RunSummary, report: Report, prov: dict[str, Any]) -> None:
    if report.error is not None:
        _fail_line(summary, report.error, rejection_reason(report.error, document_label((report, prov))))
        log.debug("%s", report.error)
        return
    summary.parsed += 1
    if any(c.get("ok") is False for c in report.checks):
        summary.checks_failed += 1
    if report.warnings:
        summary.warnings += 1
