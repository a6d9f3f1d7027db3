"""`nianbao fetch`, and the options `nianbao run` shares with it (plain click objects; pipeline.cli.main
registers them).

    main.add_command(fetch_command)                       # nianbao fetch URL... / --sources FILE
    @fetch_options  on run_command                        # --sources, --delay, ... (all optional)
    options = crawl_options(**params)                     # -> CrawlOptions
    with run_lock(lock_path(raw_dir)):                    # the second run exits EXIT_LOCKED
        summary = fetch_step(sources, raw_dir, options, show_bar)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from pipeline.collect.archive import ArchiveError, lock_path
from pipeline.collect.crawl import CrawlOptions, FetchSummary, SourcesError, fetch_sources, fetch_urls
from pipeline.collect.fetch import FetchOptions, default_user_agent
from pipeline.collect.sites import UnknownAdapter
from pipeline.engine.lock import LockHeld, run_lock

__all__ = ["fetch_command", "fetch_options", "crawl_options", "fetch_step", "locked", "EXIT_LOCKED",
           "FETCH_ERRORS"]

EXIT_OK, EXIT_ATTENTION, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # sysexits EX_TEMPFAIL: another run holds the lock; try again later
FETCH_ERRORS = (SourcesError, ArchiveError, UnknownAdapter, OSError)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


class _Size(click.ParamType):
    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)B?\s*", str(value), re.I)
        if m is None or int(m.group(1)) < 1:
            self.fail(f"{value!r} is not a size such as 33554432, 512K or 32M", param, ctx)
        return int(m.group(1)) * _UNITS[m.group(2).upper()]


_DEFAULTS = FetchOptions()
_CRAWL = CrawlOptions()

_OPTIONS = [
    click.option("--sources", "sources", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="CSV of sites to crawl (columns name, start_urls; optional adapter, follow, links_xpath, max_depth, "
                      "allow_hosts, options). See data/sources/ and the README."),
    click.option("--delay", type=click.FloatRange(min=0), default=_DEFAULTS.delay, show_default=True,
                 help="Seconds between two requests to one host (a longer robots.txt Crawl-delay wins)."),
    click.option("--connect-timeout", type=click.FloatRange(min=0.01), default=_DEFAULTS.connect_timeout,
                 show_default=True, help="Seconds to wait for a connection."),
    click.option("--read-timeout", type=click.FloatRange(min=0.01), default=_DEFAULTS.read_timeout,
                 show_default=True, help="Seconds to wait for the next bytes of a response."),
    click.option("--fetch-max-bytes", type=_Size(), default=str(_DEFAULTS.max_bytes), show_default=True,
                 help="Abort downloads larger than SIZE (K/M/G suffixes)."),
    click.option("--retries", type=click.IntRange(min=0), default=_DEFAULTS.retries, show_default=True,
                 help="Retries after a timeout, a dropped or truncated body, 429 or 5xx (backoff, Retry-After)."),
    click.option("--max-retry-after", type=click.FloatRange(min=0), default=_DEFAULTS.max_retry_after,
                 show_default=True, help="Longest Retry-After (seconds) waited for; longer: the URL waits for the next run."),
    click.option("--max-depth", type=click.IntRange(min=0), default=_CRAWL.max_depth, show_default=True,
                 help="Links followed from a start page (pagination does not count); a sources row may set its own."),
    click.option("--fetch-workers", type=click.IntRange(min=1), default=_CRAWL.workers, show_default=True,
                 help="Hosts crawled in parallel (one request at a time per host)."),
    click.option("--contact", envvar="NIANBAO_CONTACT", default=None,
                 help="Contact (e-mail or URL) put in the User-Agent; also read from $NIANBAO_CONTACT."),
]


def fetch_options(func: Callable) -> Callable:
    """Add the crawler's options (all optional) to a click command."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def crawl_options(*, delay: float = _DEFAULTS.delay, connect_timeout: float = _DEFAULTS.connect_timeout,
                  read_timeout: float = _DEFAULTS.read_timeout, fetch_max_bytes: int = _DEFAULTS.max_bytes,
                  retries: int = _DEFAULTS.retries, max_retry_after: float = _DEFAULTS.max_retry_after,
                  max_depth: int = _CRAWL.max_depth, fetch_workers: int = _CRAWL.workers, contact: str | None = None,
                  **_ignored: Any) -> CrawlOptions:
    """CrawlOptions from the values of `fetch_options` (other keyword arguments are ignored)."""
    fetch = FetchOptions(user_agent=default_user_agent(contact), delay=delay, connect_timeout=connect_timeout,
                         read_timeout=read_timeout, max_bytes=fetch_max_bytes, retries=retries,
                         max_retry_after=max_retry_after)
    return CrawlOptions(fetch=fetch, max_depth=max_depth, workers=fetch_workers)


@contextmanager
def locked(raw_dir: Path) -> Iterator[None]:
    """Hold raw_dir's run lock, or print one line and exit EXIT_LOCKED."""
    try:
        with run_lock(lock_path(raw_dir)):
            yield
    except LockHeld as exc:
        click.echo(f"nianbao: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_LOCKED) from None


def fetch_step(sources: Path | None, raw_dir: Path, options: CrawlOptions, show_bar: bool,
               urls: tuple[str, ...] = ()) -> FetchSummary:
    """Crawl (sources file and/or URLs) into raw_dir, with a progress bar on a terminal.
    The caller holds the lock. Raises one of FETCH_ERRORS for a bad sources file or archive."""
    bar = _bar() if show_bar else None
    on_event = (lambda _url: bar.update(1)) if bar is not None else None
    try:
        summary = FetchSummary()
        if sources is not None:
            summary.merge(fetch_sources(sources, raw_dir, options=options, on_event=on_event))
        if urls:
            summary.merge(fetch_urls(urls, raw_dir, options=options, on_event=on_event))
        return summary
    finally:
        if bar is not None:
            bar.close()


def _bar():
    from tqdm import tqdm

    return tqdm(desc="fetching", unit="req", file=sys.stderr, leave=False)


def report(summary: FetchSummary, quiet: bool) -> None:
    """Problems on stderr, one line each; the summary line on stdout."""
    for line in [*summary.site_errors, *summary.errors]:
        click.echo(line, err=True)
    if not quiet:
        click.echo(summary.line())


@click.command("fetch", short_help="Crawl government sites for annual reports into the raw archive.")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--raw", "raw_dir", default="data/raw", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Raw folder: documents go to RAW/archive/, the manifest to RAW/.crawl/manifest.sqlite.")
@fetch_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
def fetch_command(urls: tuple[str, ...], raw_dir: Path, sources: Path | None, quiet: bool, **params: Any) -> None:
    """Crawl each URL (a 政府信息公开 column, a 年报 listing, or a report page) and every site of
    --sources, staying on each site's host: follow pagination and links marking annual reports up
    to --max-depth, and archive every report page and the attachments it links (PDF, DOC, DOCX,
    WPS, XLS/XLSX) by sha256 under RAW/archive/. Re-runs make conditional requests and store only
    what changed (a changed report is kept as a new version beside the old one). A run that was
    killed is resumed by the next one.

    \b
    Exit status:
      0   everything reachable was fetched
      1   something needs a person: a site's start page could not be read, or a URL failed
          after retries (the lines are on stderr)
      2   usage error (no URL and no --sources, bad option, unreadable sources file)
      75  another nianbao run holds RAW/.crawl/nianbao.lock; nothing done
    """
    if not urls and sources is None:
        raise click.UsageError("give at least one URL or --sources FILE")
    options = crawl_options(**params)
    with locked(raw_dir):
        try:
            summary = fetch_step(sources, raw_dir, options, not quiet and sys.stderr.isatty(), urls)
        except SourcesError as exc:
            click.echo(f"nianbao: error: {exc}", err=True)
            raise click.exceptions.Exit(EXIT_USAGE) from None
        except FETCH_ERRORS as exc:
            click.echo(f"nianbao: error: {' '.join(str(exc).split())}", err=True)
            raise click.exceptions.Exit(EXIT_ATTENTION) from None
    report(summary, quiet)
    raise click.exceptions.Exit(EXIT_ATTENTION if summary.needs_attention else EXIT_OK)
