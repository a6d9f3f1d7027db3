"""`nianbao publish` (SQLite database + Excel workbook) and `nianbao serve` (Datasette on it).

The terminal side only: the work is pipeline.dataset.publish; the document URLs come from the crawl
manifest (pipeline.collect.archive) when the raw folder has one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from pipeline.cli.dataset import CLEAN_OPTION, _fail, _load

PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
RAW_OPTION = click.option("--raw", "raw_dir", default="data/raw", show_default=True,
                          type=click.Path(file_okay=False, path_type=Path),
                          help="Raw folder whose crawl manifest gives each document's URL (skipped when absent).")


def document_links(raw_dir: Path) -> dict[str, str]:
    """sha256 -> the URL of the report page the document came from (else the document's own URL)."""
    from pipeline.collect.archive import document_versions

    try:
        return {v.sha256: v.report_url or v.url for v in document_versions(raw_dir)}
    except Exception as exc:  # noqa: BLE001 - links are a convenience: a broken manifest must not stop publishing
        click.echo(f"nianbao: warning: {raw_dir}: document URLs not read ({type(exc).__name__}: {exc})", err=True)
        return {}


def publish_files(clean_dir: Path, raw_dir: Path) -> list[Path]:
    from pipeline.dataset.publish import PublishError, publish, publish_dir

    frames = _load(clean_dir)
    try:
        return publish(frames, publish_dir(clean_dir), document_links(raw_dir))
    except PublishError as exc:
        _fail(str(exc))


@click.command("publish", short_help="Write the dataset as a SQLite database (for `serve`) and an Excel workbook.")
@CLEAN_OPTION
@RAW_OPTION
def publish_command(clean_dir: Path, raw_dir: Path) -> None:
    """Write, next to the dataset of --clean (its current release), nianbao.db (every table, indexes,
    full-text search on agency names and section texts), nianbao.metadata.json (Datasette titles,
    Chinese labels, units, facets, licence) and nianbao.xlsx (sheets reports, comparable, agencies,
    codebook, Chinese headers). Browse the database with `nianbao serve`.

    Exit status: 0 written; 1 no dataset, or a file could not be written.
    """
    for path in publish_files(clean_dir, raw_dir):
        click.echo(f"wrote {path}", err=True)


@click.command("serve", short_help="Browse the published database in a web browser (Datasette).")
@CLEAN_OPTION
@RAW_OPTION
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 makes it reachable from other machines).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--publish/--no-publish", "refresh", default=True, show_default=True,
              help="Publish first when the database is missing or older than the dataset.")
def serve_command(clean_dir: Path, raw_dir: Path, host: str, port: int, refresh: bool) -> None:
    """Serve nianbao.db with Datasette: tables with facets (province, city, year, template), full-text
    search, charts (datasette-vega), each report linking to its source URL and its section texts,
    JSON at /nianbao/<table>.json. Stops with Ctrl-C.

    Exit status: Datasette's (0 after Ctrl-C); 1 no dataset or database.
    """
    from pipeline.dataset.publish import DB_FILE, METADATA_FILE, publish_dir

    folder = publish_dir(clean_dir)
    db, metadata = folder / DB_FILE, folder / METADATA_FILE
    if refresh and _stale(db, folder):
        publish_files(clean_dir, raw_dir)
    if not db.is_file() or not metadata.is_file():
        _fail(f"{db}: no database (run `nianbao publish` first)")
    args = [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(metadata), "--host", host,
            "--port", str(port), "--plugins-dir", str(PLUGINS_DIR), "--setting", "default_page_size", "50"]
    click.echo(f"nianbao: serving {db} on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    try:
        code = subprocess.call(args)
    except KeyboardInterrupt:
        code = 0
    raise click.exceptions.Exit(code)


def _stale(db: Path, folder: Path) -> bool:
    tables = [p.stat().st_mtime for p in folder.glob("*.parquet")]
    return not db.is_file() or (bool(tables) and max(tables) > db.stat().st_mtime)
