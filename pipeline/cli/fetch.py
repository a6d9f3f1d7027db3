"""`nianbao fetch`, and the options `nianbao run` shares with it (plain click objects; pipeline.cli.main
registers them).

    @fetch_options  on run_command                        # --sources, --delay, ... (all optional)
    options = crawl_options(**params)                     # -> CrawlOptions
    with locked(raw_dir), recorded_run(raw_dir, "run") as run:   # a second run exits EXIT_LOCKED
        summary = fetch_step(sources, raw_dir, options, show_bar, run=run, warc=...)
        code = alert_status(raw_dir, summary, params["fail_on"])  # the --fail-on policy
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from pipeline.cli.runlog import Run, recorded_run
from pipeline.collect.archive import ArchiveError, lock_path
from pipeline.collect.crawl import (
    CrawlOptions,
    FetchSummary,
    Progress,
    SourcesError,
    crawl_sites,
    load_sources,
    sites_of_urls,
)
from pipeline.collect.fetch import FetchOptions, default_user_agent
from pipeline.collect.history import DEFAULT_POLICY, FailPolicy, PolicyError, alerts
from pipeline.collect.sites import UnknownAdapter
from pipeline.collect.warc import WarcError, WarcRecorder
from pipeline.engine.lock import LockHeld, run_lock

__all__ = ["fetch_command", "fetch_options", "crawl_options", "fetch_step", "locked", "alert_status", "EXIT_LOCKED",
           "FETCH_ERRORS"]

log = logging.getLogger("pipeline.cli")

EXIT_OK, EXIT_ATTENTION, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # sysexits EX_TEMPFAIL: another run holds the lock; try again later
FETCH_ERRORS = (SourcesError, ArchiveError, UnknownAdapter, WarcError, OSError)
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
                 show_default=True, help="Seconds to wait for the next bytes of a response; the response headers "
                                         "must also be complete within this time, however slowly they arrive."),
    click.option("--request-deadline", type=click.FloatRange(min=0.1), default=_DEFAULTS.deadline, show_default=True,
                 help="Seconds one request may take in all (connect, headers, body) before it is abandoned."),
    click.option("--proxy", metavar="URL", default=None,
                 help="Send every request through this HTTP proxy (http://host:port). Without it the "
                      "environment's http_proxy / https_proxy are used; no_proxy is honoured either way."),
    click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), default=None,
                 help="PEM file of CA certificates to trust instead of the default ones (a sources row can "
                      "set its own: options verify=false or ca_bundle=FILE)."),
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
    click.option("--fail-on", default=DEFAULT_POLICY, show_default=True, metavar="RULES",
                 help="When the fetch exits 1: consecutive=N (a site's start pages unreachable N runs in a "
                      "row), share=P% (more than P% of the sites failing this run), dead-links=N (more than "
                      "N dead report links); comma-separated; 'any' (any failure) or 'never'. Below the "
                      "thresholds problems are in `nianbao sites` and the log, and the exit is 0."),
    click.option("--warc", "warc_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Also write every response of this run to this WARC file (.warc.gz: gzipped), "
                      "replayable with pywb or replayweb.page."),
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
                  request_deadline: float = _DEFAULTS.deadline, proxy: str | None = None,
                  ca_bundle: str | None = None, **_ignored: Any) -> CrawlOptions:
    """CrawlOptions from the values of `fetch_options` (other keyword arguments are ignored)."""
    fetch = FetchOptions(user_agent=default_user_agent(contact), delay=delay, connect_timeout=connect_timeout,
                         read_timeout=read_timeout, max_bytes=fetch_max_bytes, retries=retries,
                         max_retry_after=max_retry_after, deadline=request_deadline, proxy=proxy or None,
                         ca_bundle=ca_bundle)
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


def fail_policy(text: str) -> FailPolicy:
    """--fail-on as a FailPolicy, or a usage error."""
    try:
        return FailPolicy.parse(text)
    except PolicyError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail-on") from None


def fetch_step(sources: Path | None, raw_dir: Path, options: CrawlOptions, show_bar: bool,
               urls: tuple[str, ...] = (), *, run: Run | None = None, warc: Path | None = None) -> FetchSummary:
    """Crawl (sources file and/or URLs) into raw_dir as one run, with a progress bar on a terminal
    (sites done/total, requests, rate, ETA) and a progress line per site in the log. The caller
    holds the lock. Raises one of FETCH_ERRORS for a bad sources file or archive."""
    sites = [*(load_sources(sources) if sources is not None else []), *sites_of_urls(urls)]
    progress = CliProgress(len(sites), show_bar)
    recorder = WarcRecorder(warc) if warc is not None else nullcontext()
    try:
        with recorder as warc_recorder, (run.cooperative() if run is not None else nullcontext()):
            summary = crawl_sites(sites, raw_dir, options, run_id=run.id if run else None,
                                  stop=run.stop if run else None, recorder=warc_recorder, progress=progress)
    finally:
        progress.close()
    if warc is not None:
        log.info("wrote %d WARC records to %s", recorder.records, warc, extra={"event": "warc.written"})
    if run is not None:
        run.requests = summary.requests
        run.check()
    return summary


class CliProgress(Progress):
    """A tqdm bar of sites (done/total, rate, ETA) with the requests and their rate beside it,
    and an INFO log line per site (seen with -v or in --log-file, e.g. under cron)."""

    def __init__(self, total: int, show_bar: bool) -> None:
        self.total = total
        self.done = 0
        self.requests = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self.bar = None
        if show_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="sites", unit="site", file=sys.stderr, leave=False,
                            dynamic_ncols=True)

    def request(self, site: str, url: str) -> None:
        with self._lock:
            self.requests += 1
            if self.bar is not None:
                self.bar.set_postfix_str(f"{self.requests} requests, {self._rate():.1f} req/s", refresh=False)
                self.bar.update(0)

    def site_done(self, site: str, ok: bool) -> None:
        with self._lock:
            self.done += 1
            if self.bar is not None:
                self.bar.update(1)
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            log.info("site %d/%d done (%s): %d requests so far, %.1f req/s, about %s left", self.done, self.total,
                     "ok" if ok else "failed", self.requests, self._rate(), _duration(eta),
                     extra={"event": "progress", "site": site})

    def _rate(self) -> float:
        return self.requests / max(time.monotonic() - self.started, 1e-6)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def alert_status(raw_dir: Path, summary: FetchSummary, fail_on: str) -> int:
    """EXIT_ATTENTION when this run crosses a --fail-on threshold (each crossed rule logged as an
    error), else EXIT_OK: dead links and sites that fail less often are in `nianbao sites`."""
    policy = fail_policy(fail_on)
    if summary.run_id is None:
        return EXIT_OK
    crossed = alerts(raw_dir, summary.run_id, policy)
    for line in crossed:
        log.error("%s", line, extra={"event": "alert"})
    return EXIT_ATTENTION if crossed else EXIT_OK


def report(summary: FetchSummary, quiet: bool) -> None:
    """The summary line on stdout (the problems were logged on stderr as they happened)."""
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

    Every problem is logged on stderr as it happens (and in --log-file); `nianbao sites` shows
    each site's status (last success, last failure and its class, dead links) and `nianbao runs`
    the run history.

    \b
    Exit status:
      0    done; problems below the --fail-on thresholds (a dead link, a site down once)
           are in `nianbao sites` and the log
      1    a --fail-on threshold was crossed (default: a site's start pages unreachable 3
           runs in a row, or more than 20% of the sites failing this run), or the archive
           could not be written
      2    usage error (no URL and no --sources, bad option, unreadable sources file)
      75   another nianbao run holds RAW/.crawl/nianbao.lock; nothing done
      130  stopped by Ctrl-C, 143 by SIGTERM, after the requests under way (run recorded
           as interrupted; the next run carries on)
    """
    if not urls and sources is None:
        raise click.UsageError("give at least one URL or --sources FILE")
    fail_policy(params["fail_on"])  # a bad --fail-on is a usage error before anything is fetched
    options = crawl_options(**params)
    with locked(raw_dir), recorded_run(raw_dir, "fetch") as run:
        try:
            summary = fetch_step(sources, raw_dir, options, not quiet and sys.stderr.isatty(), urls, run=run,
                                 warc=params.get("warc_path"))
        except SourcesError as exc:
            click.echo(f"nianbao: error: {exc}", err=True)
            raise click.exceptions.Exit(EXIT_USAGE) from None
        except FETCH_ERRORS as exc:
            click.echo(f"nianbao: error: {' '.join(str(exc).split())}", err=True)
            raise click.exceptions.Exit(EXIT_ATTENTION) from None
        report(summary, quiet)
        raise click.exceptions.Exit(alert_status(raw_dir, summary, params["fail_on"]))
