"""The dataset commands: `nianbao compare`, `nianbao quality`, and the `--excel` option of `nianbao run`.

Registered in pipeline.cli.main (`main.add_command(...)`); the terminal side only: the work is done in
pipeline.dataset.compare and pipeline.quality.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from pipeline.dataset.export import EXCEL, ExportError, write_csv

EXIT_FAILED = 1
NEEDED = ("reports", "cells", "comparable", "agencies", "crosschecks")

EXCEL_OPTION = click.option(
    "--excel", is_flag=True,
    help="Write the CSV tables in UTF-8 with a byte-order mark (BOM), so that Excel shows the Chinese "
         "text when the file is opened with a double click. Same content; the Parquet files are unchanged.")


def with_excel(formats: Iterable[str], excel: bool) -> tuple[str, ...]:
    """The formats to write: with --excel, "csv" becomes "excel" (<table>.csv with a BOM)."""
    return tuple(EXCEL if excel and f == "csv" else f for f in formats)


def _fail(message: str) -> NoReturn:
    click.echo(f"nianbao: error: {' '.join(message.split())}", err=True)
    raise click.exceptions.Exit(EXIT_FAILED)


def _load(clean_dir: Path) -> dict:
    from pipeline.dataset.loader import DatasetMissing, load

    try:
        frames = load(clean_dir)
    except (DatasetMissing, OSError, ValueError) as exc:
        _fail(str(exc))
    if missing := [t for t in NEEDED if t not in frames]:
        _fail(f"{clean_dir}: no {missing[0]} table (written by this version of `nianbao run`; run it again)")
    return frames


CLEAN_OPTION = click.option(
    "--clean", "clean_dir", default="data/clean", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Folder of the dataset written by `nianbao run`.")


@click.command("compare", short_help="Year-by-year table of one agency or of all agencies of a region.")
@CLEAN_OPTION
@click.option("--agency", help="agency_id, any spelling of the name, or a part of it that matches one agency.")
@click.option("--region", help="A province, city or county as in the agencies table (e.g. 广东省, 云泽市).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the whole table (every measure, the refusal reasons, changes, ranks) as CSV.")
@click.option("--png", "png_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also draw charts into this folder: compare_received.png, compare_outcomes.png, compare_cases.png.")
def compare_command(clean_dir: Path, agency: str | None, region: str | None, csv_path: Path | None,
                    png_dir: Path | None) -> None:
    """For one agency (--agency) or every agency of a region (--region; all agencies when neither),
    print one row per agency and year: requests received (with the change from the previous year,
    absolute and in %, and the rank "k of N" among the agencies of the same level that year),
    how they were handled (granted, partially granted, denied, unable, not processed, other:
    comparable across the 2019 and 2021 templates) with the shares of the requests decided,
    reconsiderations, suits, corrected outcomes and 纠错率 (corrected / cases with a result), the
    prose sections at least 90% identical to last year's, and the checks that failed (the
    report's own relations and the cross-year checks). The folder of --csv is created.

    Exit status: 0 done; 1 no such agency/region, no dataset, or a file could not be written.
    """
    from pipeline.dataset.charts import write_charts
    from pipeline.dataset.compare import CompareError, compare_table, terminal_table

    frames = _load(clean_dir)
    try:
        table = compare_table(frames, agency, region)
        if csv_path is not None:
            csv_path.parent.mkdir(parents=True, exist_ok=True)
    except CompareError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{csv_path.parent}: cannot create the folder: {exc.strerror or exc}")
    click.echo(terminal_table(table))
    try:
        if csv_path is not None:
            write_csv(table, csv_path)
        if png_dir is not None:
            for path in write_charts(table, png_dir):
                click.echo(f"wrote {path}", err=True)
    except (ExportError, OSError) as exc:
        _fail(str(exc))


@click.command("quality", short_help="What did not add up, what was read with warnings, what failed and why.")
@CLEAN_OPTION
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the counts as CSV (section, reason, count, examples).")
def quality_command(clean_dir: Path, csv_path: Path | None) -> None:
    """Count, by reason: documents that could not be read, reports whose numbers do not add up
    (by relation), cross-year and narrative checks, warnings (by kind), and cells that were not a
    printed number (blank, dash, derived, missing, undecided, unreadable). Reads the dataset of
    --clean; nothing is parsed again.

    Exit status: 0 done (whatever the counts); 1 no dataset, or the CSV could not be written.
    """
    from pipeline.dataset.quality import quality_table, quality_text

    frames = _load(clean_dir)
    table = quality_table(frames)
    click.echo(quality_text(table, len(frames["reports"])))
    if csv_path is not None:
        try:
            write_csv(table, csv_path)
        except (ExportError, OSError) as exc:
            _fail(str(exc))
