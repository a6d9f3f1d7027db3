"""`nianbao runs` and `nianbao sites`: the run history and each site's status, read from the
manifest (RAW/.crawl/manifest.sqlite); nothing is fetched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pipeline.cli.common import write_utf8_line

__all__ = ["runs_command", "sites_command"]

RAW_OPTION = click.option("--raw", "raw_dir", default="data/raw", show_default=True,
                          type=click.Path(file_okay=False, path_type=Path),
                          help="Raw folder whose manifest (RAW/.crawl/manifest.sqlite) is read.")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON (one document) instead of a table.")


def _when(iso: str | None) -> str:
    """2025-01-31T03:17:02.123+00:00 -> 2025-01-31 03:17Z; '-' for none."""
    return f"{iso[:10]} {iso[11:16]}Z" if iso else "-"


def _n(value: Any) -> str:
    return "-" if value is None else str(value)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines)


@click.command("runs", short_help="Run history, newest first: when, how long, exit, counts.")
@RAW_OPTION
@JSON_OPTION
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the newest N runs.")
def runs_command(raw_dir: Path, as_json: bool, limit: int | None) -> None:
    """Every `nianbao fetch` and `nianbao run` recorded in RAW's manifest, newest first: id,
    command, start, end, duration, exit status, whether it was interrupted (SIGTERM, Ctrl-C) or
    killed (no end), sites (failed), requests, new documents and versions, dead links, documents
    parsed / from the cache / failed, and the release it published.

    Exit status: 0 (also when there is no history yet).
    """
    from pipeline.collect.history import run_history

    runs = run_history(raw_dir, limit)
    if _shown_plainly(runs, as_json, f"no runs recorded in {raw_dir}"):
        return
    header = ["id", "command", "started", "took", "exit", "sites", "failed", "requests", "new", "dead",
              "parsed", "cached", "parse_failed", "release"]
    rows = [[str(r["id"]), r["command"] or "-", _when(r["started_at"]), _took(r), _exit(r), _n(r["sites"]),
             _n(r["sites_failed"]), _n(r["requests"]), _n(r["new_documents"]), _n(r["dead_links"]),
             _n(r["parsed"]), _n(r["cached"]), _n(r["parse_failed"]), r["release_id"] or "-"] for r in runs]
    click.echo(_table(header, rows))


def _took(run: dict[str, Any]) -> str:
    if run["duration"] is None:
        return "-"
    minutes, seconds = divmod(round(run["duration"]), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _exit(run: dict[str, Any]) -> str:
    if run["interrupted"]:
        return f"{_n(run['exit_status'])} interrupted"
    if run["finished_at"] is None:
        return "running or killed"
    return _n(run["exit_status"])


@click.command("sites", short_help="Per-site status: last success, last failure and why, reports, dead links.")
@RAW_OPTION
@JSON_OPTION
@click.option("--failing", is_flag=True, help="Only sites whose latest run failed or found dead links.")
def sites_command(raw_dir: Path, as_json: bool, failing: bool) -> None:
    """One line per site crawled into RAW: its start URL, last success, last failure with its
    class (dns, refused, tls, timeout, http-4xx, http-5xx, robots, offsite, private...), reports
    known, new in its latest run, consecutive failed runs; then the dead report links of each
    site's latest run (a dead link is listed here, it does not fail the run).

    Exit status: 0 (also when nothing was crawled yet).
    """
    from pipeline.collect.history import site_status

    sites = site_status(raw_dir)
    if failing:
        sites = [s for s in sites if s["consecutive_failures"] or s["dead_links"]]
    if _shown_plainly(sites, as_json, f"no sites recorded in {raw_dir}"):
        return
    header = ["site", "start URL", "last success", "last failure", "class", "reports", "new", "failing", "dead"]
    rows = [[s["site"], s["start_url"] or "-", _when(s["last_success"]),
             _when((s["last_failure"] or {}).get("at")), (s["last_failure"] or {}).get("class") or "-",
             str(s["reports_known"]), str(s["new_this_run"]), str(s["consecutive_failures"]),
             str(len(s["dead_links"]))] for s in sites]
    click.echo(_table(header, rows))
    for s in sites:
        if s["consecutive_failures"] and s["last_failure"]:
            click.echo(f"\n{s['site']}: failing {s['consecutive_failures']} run(s): "
                       f"[{s['last_failure']['class']}] {s['last_failure']['error']}")
        for link in s["dead_links"]:
            click.echo(f"{s['site']}: dead link [{link['class']}] {link['error'] or link['url']}")


def _shown_plainly(rows: list[dict], as_json: bool, empty: str) -> bool:
    """Print the rows as JSON (--json), or the line saying there are none; False when a table is owed."""
    if as_json:
        write_utf8_line(json.dumps(rows, ensure_ascii=False, indent=2))
        return True
    if not rows:
        click.echo(empty)
        return True
    return False
