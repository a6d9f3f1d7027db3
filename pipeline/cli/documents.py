"""`nianbao parse` and `nianbao run`: documents in, records or the dataset out."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from pipeline.cli.common import (
    BAD_CELLS_OPTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    GLUED_OPTION,
    MAX_BYTES_OPTION,
    _fail,
    _one_line,
    stderr_is_tty,
    write_utf8_line,
)
from pipeline.cli.dataset import EXCEL_OPTION, with_excel
from pipeline.cli.fetch import (
    FETCH_ERRORS,
    alert_status,
    crawl_options,
    fail_policy,
    fetch_options,
    fetch_step,
    locked,
)
from pipeline.cli.fetch import report as fetch_report
from pipeline.cli.runlog import Run, recorded_run
from pipeline.collect.archive import record_run_result
from pipeline.collect.crawl import FetchSummary, SourcesError
from pipeline.dataset.agencies import OverridesError
from pipeline.dataset.datapackage import DEFAULT_LICENCE
from pipeline.dataset.export import FORMATS, ExportError
from pipeline.dataset.release_dirs import DEFAULT_KEEP, ReleaseError
from pipeline.dataset.releases import ShrinkRefused
from pipeline.engine.cache import CacheError
from pipeline.engine.executors import EXECUTORS, ExecutorError
from pipeline.engine.orchestrate import PipelineError, RunSummary, parse_files, run_pipeline
from pipeline.engine.workers import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Limits, default_jobs


@click.command("parse", short_help="Print one JSON record per document (exit 1 if any could not be read).")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@MAX_BYTES_OPTION
@BAD_CELLS_OPTION
@GLUED_OPTION
@click.option("--pretty", is_flag=True,
              help="Indent each record over several lines for reading (the output is then no longer "
                   "one record per line).")
@click.pass_context
def parse_command(ctx: click.Context, files: tuple[str, ...], max_bytes: int, bad_cells: str, glued: str,
                  pretty: bool) -> None:
    """Read each FILE and print its record on stdout as one JSON object per line (JSON Lines), in
    the order given. Nothing is written to disk.

    FILE is a report saved as HTML, text/Markdown or PDF; the format is sniffed from the content,
    not the name. Each record has: source (the path as given), format, template ("2019", "2021"
    or null), year (the year reported on), agency, published (YYYY-MM-DD), index_no (索引号), t2,
    t3, t4 (the tables by canonical key, e.g. t3 granted.total), extra_rows (rows in no template),
    checks (the arithmetic relations, each with ok true/false/null), warnings, error.

    \b
    Exit status:
      0  every document was read
      1  at least one could not be read (no such file, unreadable, over --max-bytes, empty, not a
         report...): its record is still printed, with "error" set and the table fields null
      2  usage error (no FILE, unknown option)
    """
    failed = False
    for report, _prov in parse_files(list(files), max_bytes, sources=list(files), bad_cells=bad_cells, glued=glued):
        failed = failed or report.error is not None
        write_utf8_line(json.dumps(report.to_record(), ensure_ascii=False, indent=2 if pretty else None))
    ctx.exit(EXIT_FAILED if failed else EXIT_OK)


@click.command("run", short_help="Parse every document under --raw, write the dataset to --clean.")
@click.option("--raw", "raw_dir", default="data/raw", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of documents to read, with its subfolders. Hidden files and folders, "
                   "README*, *.json and *.tmp are skipped. It must exist (else exit 2).")
@click.option("--clean", "clean_dir", default="data/clean", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder the dataset is published to, created if needed: each run writes a complete "
                   "release in CLEAN/releases/<id>/ and then points CLEAN/current at it in one step.")
@MAX_BYTES_OPTION
@BAD_CELLS_OPTION
@GLUED_OPTION
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Write the tables in this format; repeat the option for both. Default: csv and parquet.")
@EXCEL_OPTION
@click.option("--allow-shrink", is_flag=True,
              help="Publish even when this run has over 10% fewer reports than the published dataset "
                   "(else it exits 1 and the published dataset stays).")
@click.option("--licence", "licence", default=DEFAULT_LICENCE, show_default=True, metavar="ID|URL",
              help="Licence of the compiled dataset, written to datapackage.json: an SPDX id (CC-BY-4.0, "
                   "CC0-1.0, ODbL-1.0, ODC-By-1.0, PDDL-1.0), a URL, or a name.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Documents parsed at a time (worker processes). Default: the machine's cores "
                   f"({default_jobs()} here). The tables are the same whatever the number.")
@click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
              help="'local': bounded worker processes on this machine; 'dask': a dask.distributed cluster "
                   "(needs the dask extra), see --scheduler.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --executor dask: the scheduler of an existing cluster (tcp://host:8786); without it "
                   "a local cluster of --jobs workers is started. The workers must see --raw at the same path.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Parse every document again instead of taking unchanged ones (same bytes, same parser "
                   "version, same --bad-cells) from the parse cache in CLEAN/.cache/.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT_S,
              show_default=True, help="Seconds one document may take; past it its worker is replaced and the "
                                      "document gets an error line.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=64), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Megabytes one document may use in its worker; past it the same.")
@click.option("--keep", type=click.IntRange(min=1), default=DEFAULT_KEEP, show_default=True,
              help="Releases kept in CLEAN/releases (the current one always).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bar and no summary line. The lines of documents that could not be read "
                   "are still printed on stderr.")
@fetch_options
def run_command(raw_dir: Path, clean_dir: Path, max_bytes: int, bad_cells: str, glued: str, formats: tuple[str, ...],
                excel: bool, allow_shrink: bool, licence: str, jobs: int | None, executor: str,
                scheduler: str | None, no_cache: bool, timeout_s: float, memory_mb: int, keep: int,
                quiet: bool, sources: Path | None,
                **fetch_params: Any) -> None:
    """Parse every document under --raw and write the dataset to --clean; with --sources, first
    crawl those sites into --raw (see `nianbao fetch --help`). One run at a time: the run holds
    RAW/.crawl/nianbao.lock, and a second run exits 75 at once.

    Each run publishes a release: CLEAN/releases/<id>/ holds the complete dataset and CLEAN/current
    points at it (switched in one step; the last --keep releases are kept). Every document is parsed
    in a bounded worker (--timeout, --memory), --jobs at a time; unchanged documents come from the
    parse cache (CLEAN/.cache/) unless --no-cache.

    \b
    Written to the release, as <table>.csv (UTF-8) and <table>.parquet holding the same content
    (cells as Parquet only, unless --format csv alone):
      reports     one row per document: report_id (first 16 hex digits of its sha256), source,
                  sha256, size, format, template, year, agency, error, checks, warnings
      cells       one row per table cell: key (t3.granted.total, ...), value, raw (the printed
                  text), kind (number, blank, dash, none_text, derived, missing, undecided)
      t2, t3, t4  one row per report read, one column per cell over both templates (null where absent)
    and codebook.csv (every column: its key, label, meaning, unit), datapackage.json, run.json (what
    this run did: counts, errors, duplicates skipped), CHANGES.md and release.json (what changed
    since the previous release). Each run publishes a new release folder (CLEAN/releases/<id>) and
    switches CLEAN/current to it in one step: an interrupted run leaves the previous release
    current, and the next run removes its leftovers. Documents with identical bytes are read once.

    Prints one summary line on stdout ("N documents: P parsed, F failed, C with failed checks; R
    read now, K from the cache → DIR"), one line per document (or folder) that could not be read on
    stderr ("path: problem"), and a progress bar on stderr when it is a terminal.

    \b
    Exit status:
      0   every document was read (a report whose numbers do not add up is flagged in the
          data, in reports.failed_checks; it is not a failure of the run)
      1   at least one document or folder could not be read (the dataset is still written), the
          dataset could not be written, this run would drop over 10% of the published
          reports (an empty --raw folder included; nothing written, see --allow-shrink),
          or the fetch crossed a --fail-on threshold
      2   usage error (e.g. --raw does not exist, unknown --format, bad --sources file)
      75  another run holds the lock; nothing done
      130 stopped by Ctrl-C, 143 by SIGTERM (recorded as interrupted in `nianbao runs`)
    """
    show_bar = not quiet and stderr_is_tty()
    fail_policy(fetch_params["fail_on"])
    with locked(raw_dir), recorded_run(raw_dir, "run") as run:
        fetched = _fetch(sources, raw_dir, fetch_params, show_bar, quiet, run) if sources else None
        try:
            options = {"jobs": jobs, "executor": executor, "scheduler": scheduler, "use_cache": not no_cache,
                       "keep": keep, "limits": Limits(timeout_s=timeout_s, memory_mb=memory_mb),
                       "allow_shrink": allow_shrink, "licence": licence, "glued": glued}
            summary = _run(raw_dir, clean_dir, max_bytes, with_excel(formats or FORMATS, excel), show_bar,
                           bad_cells, options)
        except (PipelineError, ExportError, OverridesError, ReleaseError, CacheError, ExecutorError, OSError,
                ShrinkRefused) as exc:
            _fail(exc)
        record_run_result(raw_dir, run.id, parsed=summary.fresh, cached=summary.cached, parse_failed=summary.failed,
                          release_id=summary.release_id)
        for line in summary.errors:
            click.echo(line, err=True)
        if not quiet:
            click.echo(summary.line(clean_dir))
        alert = fetched is not None and alert_status(raw_dir, fetched, fetch_params["fail_on"]) != EXIT_OK
        raise click.exceptions.Exit(EXIT_FAILED if summary.failed or alert else EXIT_OK)


def _fetch(sources: Path, raw_dir: Path, params: dict[str, Any], show_bar: bool, quiet: bool,
           run: Run | None = None) -> FetchSummary:
    """The fetch step of `run --sources`: a bad sources file is a usage error, a broken archive a failure."""
    try:
        fetched = fetch_step(sources, raw_dir, crawl_options(**params), show_bar, run=run,
                             warc=params.get("warc_path"))
    except SourcesError as exc:
        click.echo(f"nianbao: error: {_one_line(str(exc))}", err=True)
        raise click.exceptions.Exit(EXIT_USAGE) from None
    except FETCH_ERRORS as exc:
        _fail(exc)
    fetch_report(fetched, quiet)
    return fetched


def _run(raw_dir: Path, clean_dir: Path, max_bytes: int, formats: tuple[str, ...], show_bar: bool,
         bad_cells: str = "null", options: dict[str, Any] | None = None) -> RunSummary:
    options = options or {}
    if not show_bar:
        return run_pipeline(raw_dir, clean_dir, max_bytes=max_bytes, formats=formats, bad_cells=bad_cells, **options)
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    def progress(paths: list[Path]) -> Iterable[Path]:
        return tqdm(paths, desc="parsing", unit="doc", file=sys.stderr, leave=False)

    with logging_redirect_tqdm():
        return run_pipeline(raw_dir, clean_dir, max_bytes=max_bytes, formats=formats, progress=progress,
                            bad_cells=bad_cells, **options)


