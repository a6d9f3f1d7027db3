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
from pipeline.dataset.releases import ShrinkRefused
from pipeline.engine.orchestrate import PipelineError, RunSummary, parse_file, run_pipeline


@click.command("parse", short_help="Print one JSON record per document (exit 1 if any could not be read).")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@MAX_BYTES_OPTION
@BAD_CELLS_OPTION
@click.option("--pretty", is_flag=True,
              help="Indent each record over several lines for reading (the output is then no longer "
                   "one record per line).")
@click.pass_context
def parse_command(ctx: click.Context, files: tuple[str, ...], max_bytes: int, bad_cells: str,
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
    for name in files:
        report, _prov = parse_file(Path(name), max_bytes, source=name, bad_cells=bad_cells)
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
              help="Folder the dataset is written to, created if needed. Its tables and run.json are "
                   "replaced, only once every new file has been written in full.")
@MAX_BYTES_OPTION
@BAD_CELLS_OPTION
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Write the tables in this format; repeat the option for both. Default: csv and parquet.")
@EXCEL_OPTION
@click.option("--allow-shrink", is_flag=True,
              help="Publish even when this run has over 10% fewer reports than the published dataset "
                   "(else it exits 1 and the published dataset stays).")
@click.option("--licence", "licence", default=DEFAULT_LICENCE, show_default=True, metavar="ID|URL",
              help="Licence of the compiled dataset, written to datapackage.json: an SPDX id (CC-BY-4.0, "
                   "CC0-1.0, ODbL-1.0, ODC-By-1.0, PDDL-1.0), a URL, or a name.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bar and no summary line. The lines of documents that could not be read "
                   "are still printed on stderr.")
@fetch_options
def run_command(raw_dir: Path, clean_dir: Path, max_bytes: int, bad_cells: str, formats: tuple[str, ...],
                excel: bool, allow_shrink: bool, licence: str, quiet: bool, sources: Path | None,
                **fetch_params: Any) -> None:
    """Parse every document under --raw and write the dataset to --clean; with --sources, first
    crawl those sites into --raw (see `nianbao fetch --help`). One run at a time: the run holds
    RAW/.crawl/nianbao.lock, and a second run exits 75 at once.

    \b
    Written to --clean, as <table>.csv (UTF-8) and <table>.parquet holding the same content:
      reports     one row per document: report_id (first 16 hex digits of its sha256), source,
                  sha256, size, format, template, year, agency, error, checks, warnings
      cells       one row per table cell: key (t3.granted.total, ...), value, raw (the printed
                  text), kind (number, blank, dash, none_text, derived, missing, undecided)
      t2, t3, t4  one row per report read, one column per cell over both templates (null where absent)
    and codebook.csv (every column: its key, label, meaning, unit), datapackage.json, run.json (what
    this run did: counts, errors, duplicates skipped), CHANGES.md and release.json (what changed
    since the previous dataset). Each file is written to
    a temporary file and renamed into place only when all are written, so an interrupted run leaves
    the previous dataset whole. Documents with identical bytes are read once.

    Prints one summary line on stdout ("N documents: P parsed, F failed, C with failed checks →
    DIR"), one line per document that could not be read on stderr ("path: problem"), and a
    progress bar on stderr when it is a terminal.

    \b
    Exit status:
      0   every document was read (a report whose numbers do not add up is flagged in the
          data, in reports.failed_checks; it is not a failure of the run)
      1   at least one document could not be read (the dataset is still written), the
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
            summary = _run(raw_dir, clean_dir, max_bytes, with_excel(formats or FORMATS, excel), show_bar,
                           bad_cells, {"allow_shrink": allow_shrink, "licence": licence})
        except (PipelineError, ExportError, OverridesError, ShrinkRefused, OSError) as exc:
            _fail(exc)
        # until the engine records its own counts (cached, release_id) through this function
        record_run_result(raw_dir, run.id, parsed=summary.parsed, parse_failed=summary.failed)
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
         bad_cells: str = "null", release: dict[str, Any] | None = None) -> RunSummary:
    release = release or {}
    if not show_bar:
        return run_pipeline(raw_dir, clean_dir, max_bytes=max_bytes, formats=formats, bad_cells=bad_cells, **release)
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    def progress(paths: list[Path]) -> Iterable[Path]:
        return tqdm(paths, desc="parsing", unit="doc", file=sys.stderr, leave=False)

    with logging_redirect_tqdm():
        return run_pipeline(raw_dir, clean_dir, max_bytes=max_bytes, formats=formats, progress=progress,
                            bad_cells=bad_cells, **release)


