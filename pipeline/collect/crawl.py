"""The crawler: sites (from a sources file) -> polite fetches -> the raw archive.

    fetch_sources(sources_path, raw_dir, options=...)  every site of a sources file
    fetch_urls(urls, raw_dir, options=...)             start URLs given on the command line

Each site is crawled by its adapter (`pipeline.collect.sites`): the generic one follows pagination and
report links from the start pages; others read a site's JSON. Sites are grouped by host and the
groups run in parallel threads; within a host, requests wait their turn (`pipeline.collect.fetch`).

A run that was killed is resumed: URLs already fetched in that run are read back from the
archive, not requested again. A run asked to stop (`stop`, set on SIGTERM/SIGINT by the command
line) starts no new request, records what it has and returns with `interrupted` set.

Each site's outcome is recorded in the manifest (`site_runs`: ok or failed with the failure's
class, requests, new documents, dead links) for `nianbao sites` and the alert policy. Every other URL is requested conditionally (If-None-Match /
If-Modified-Since from the manifest); a 304 reuses the archived bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.collect import links as L
from pipeline.collect.archive import (
    ABSENT,
    BLOCKED,
    CHANGED,
    FAILED,
    NEW,
    NOT_MODIFIED,
    SKIPPED,
    UNCHANGED,
    Archive,
    FetchRecord,
    SiteResult,
    StoredVersion,
)
from pipeline.collect.fetch import Fetched, Fetcher, FetchOptions, Recorder, bare_host, host_of
from pipeline.collect.sites import adapter_for
from pipeline.collect.sources import Site, SourcesError, load_sources
from pipeline.collect.transport import INTERRUPTED, OTHER, ROBOTS, AddressRule, http_class

__all__ = ["Site", "SourcesError", "CrawlOptions", "FetchSummary", "SiteCrawl", "load_sources", "fetch_sources",
           "fetch_urls", "crawl_sites", "sites_of_urls", "Stopped", "Progress"]

log = logging.getLogger(__name__)
Event = Callable[[str], None]


class Stopped(Exception):
    """The run was asked to stop; raised out of an adapter to end its site's crawl."""


class Progress:
    """What the crawl reports while it runs (the command line draws it). Called from worker threads."""

    def request(self, site: str, url: str) -> None:
        """A request is about to be made."""

    def site_done(self, site: str, ok: bool) -> None:
        """A site's crawl has ended (ok: its start pages could be read)."""


@dataclass(frozen=True)
class CrawlOptions:
    """What bounds a crawl (beside the HTTP limits of FetchOptions)."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    max_depth: int = 3
    max_requests_per_site: int = 2000
    workers: int = 8


@dataclass
class FetchSummary:
    """What a fetch run did. `failed`: URLs that could not be fetched (after retries);
    `site_errors`: sites whose start page could not be read at all."""

    sites: int = 0
    requests: int = 0
    downloaded: int = 0
    not_modified: int = 0
    unchanged: int = 0
    new_documents: int = 0
    new_versions: int = 0
    resumed: int = 0
    robots_skipped: int = 0
    failed: int = 0
    sites_failed: int = 0
    errors: list[str] = field(default_factory=list)
    site_errors: list[str] = field(default_factory=list)
    resumed_run: bool = False
    interrupted: bool = False
    run_id: int | None = None

    @property
    def needs_attention(self) -> bool:
        """Anything failed at all (the command line's alert policy decides what makes exit 1)."""
        return bool(self.failed or self.site_errors)

    def merge(self, other: FetchSummary) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            elif isinstance(value, bool):
                setattr(self, name, getattr(self, name) or value)
            elif isinstance(value, int) and name != "run_id":
                setattr(self, name, getattr(self, name) + value)

    def line(self) -> str:
        stopped = " (interrupted)" if self.interrupted else ""
        return (f"{self.sites} sites{stopped}: {self.requests} requests, {self.new_documents} new documents, "
                f"{self.new_versions} new versions, {self.not_modified} not modified, "
                f"{self.failed} dead links, {self.sites_failed} sites failed")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- one site ---------------------------------------------------------------------------------------


@dataclass
class Got:
    """A body in hand: freshly downloaded, reused after a 304, or read back when resuming."""

    url: str
    final_url: str
    body: bytes
    content_type: str | None
    status: int | None
    how: str  # "downloaded", "not_modified", "resumed"
    etag: str | None = None
    last_modified: str | None = None
    prev: StoredVersion | None = None
    done: FetchRecord | None = None


class SiteCrawl:
    """One site's crawl: what adapters call. Not shared between threads."""

    def __init__(self, site: Site, fetcher: Fetcher, archive: Archive, run_id: int, options: CrawlOptions,
                 on_event: Event | None = None, progress: Progress | None = None) -> None:
        self.site = site
        self.fetcher = fetcher
        self.archive = archive
        self.run_id = run_id
        self.options = options
        self.max_depth = site.max_depth if site.max_depth is not None else options.max_depth
        self.summary = FetchSummary(sites=1)
        self._on_event = on_event or (lambda _url: None)
        self._progress = progress or Progress()
        self.failure: tuple[str, str] | None = None  # (class, message) of the first site error
        self._hosts = {bare_host(host_of(u)) for u in site.start_urls} | {bare_host(h) for h in site.allow_hosts}
        self._seen: set[str] = set()
        self._follow = re.compile(site.follow) if site.follow else None

    # --- scope -------------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """On the site's hosts (www./wap./m. variants are one host)."""
        return bare_host(host_of(url)) in self._hosts

    def claim(self, url: str) -> bool:
        """True the first time url is seen in this crawl, while the request budget lasts."""
        if url in self._seen or len(self._seen) >= self.options.max_requests_per_site:
            return False
        self._seen.add(url)
        return True

    def follows(self, link: L.Link) -> bool:
        """The site's own `follow` pattern matches the link's URL or text."""
        return self._follow is not None and bool(self._follow.search(link.url) or self._follow.search(link.text))

    # --- what adapters call ----------------------------------------------------------------

    def open_listing(self, url: str, parent: str | None) -> tuple[Got, L.Page | None] | None:
        """A navigation page (HTML or JSON) kept under .crawl/pages; (got, Page for HTML)."""
        got = self.obtain(url, parent)
        if got is None:
            return None
        if not L.is_html(got.body, got.content_type):
            self.keep(got, "listing", None, None, parent)
            return got, None
        text, encoding = self._decode(got)
        self.keep(got, "listing", None, encoding, parent)
        return got, L.read_page(text, got.final_url, self.site.links_xpath)

    def visit(self, url: str, parent: str | None, anchor: str = "", probe: bool = False) -> L.Page | None:
        """Fetch a page that may be a report, an attachment or a listing. Documents are archived
        (a report page's attachments too); a listing's Page is returned to be crawled on.
        probe: the URL was guessed (a year asked for), so a 404 is an answer, not a failure."""
        got = self.obtain(url, parent, probe)
        if got is None:
            return None
        if not L.is_html(got.body, got.content_type):
            self.keep_file(got, url, parent)
            return None
        text, encoding = self._decode(got)
        page = L.read_page(text, got.final_url, self.site.links_xpath)
        kind = L.classify_page(page)
        if kind == L.PAGE_LISTING:
            self.keep(got, "listing", None, encoding, parent)
            return page
        self.keep(got, "report" if kind == L.PAGE_REPORT else "report_page", url, encoding, parent)
        self.take_attachments(page, report_url=url)
        return None

    def take_attachments(self, page: L.Page, report_url: str) -> None:
        for link in page.links:
            if L.is_attachment_url(link.url, link.text) and self.allowed(link.url) and self.claim(link.url):
                got = self.obtain(link.url, page.url)
                if got is not None:
                    self.keep_file(got, report_url, page.url)

    def keep_file(self, got: Got, report_url: str, parent: str | None) -> None:
        """An attachment is archived when its bytes are a document (PDF, DOC, DOCX, WPS, XLS/XLSX…);
        an HTML answer (an error or login page) is kept with the pages; anything else is skipped."""
        ext = L.sniff_ext(got.body, got.final_url, got.content_type)
        if ext in L.ATTACHMENT_EXTS:
            self.keep(got, "attachment", report_url, None, parent)
        elif ext == "html":
            self.keep(got, "other", report_url, None, parent)
        elif got.how != "resumed":
            self.archive.record(self.run_id, FetchRecord(
                url=got.url, outcome=SKIPPED, final_url=got.final_url, parent_url=parent, site=self.site.name,
                status=got.status, content_type=got.content_type, size=len(got.body),
                error=f"{got.url}: not a document ({ext}); skipped"))

    def site_error(self, message: str, kind: str = OTHER) -> None:
        line = f"{self.site.name}: {message}"
        self.summary.site_errors.append(line)
        if self.failure is None:
            self.failure = (kind, message)
        log.error("%s [%s]", message, kind, extra={"event": "site.failed", "site": self.site.name})

    def result(self) -> SiteResult:
        kind, message = self.failure if self.failure is not None else (None, None)
        return SiteResult(site=self.site.name, start_url=" ".join(self.site.start_urls), ok=self.failure is None,
                          error_class=kind, error=message, requests=self.summary.requests,
                          new_documents=self.summary.new_documents, new_versions=self.summary.new_versions,
                          dead_links=self.summary.failed)

    # --- fetch, reuse, keep --------------------------------------------------------------------

    def obtain(self, url: str, parent: str | None, probe: bool = False) -> Got | None:
        """The body of url: read back (resumed run), reused (304) or downloaded; None on failure
        (recorded in the manifest and the summary)."""
        resumed = self._resumed(url)
        if resumed is not None:
            return resumed
        prev = self.archive.latest(url)
        if prev is not None and not (self.archive.root / prev.path).is_file():
            prev = None
        if self.fetcher.stop.is_set():
            raise Stopped(url)
        self._on_event(url)
        self._progress.request(self.site.name, url)
        fx = self.fetcher.get(url, etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
                              referer=parent, allow_host=self.allowed, site=self.site.name)
        self.summary.requests += fx.attempts
        if fx.error_class == INTERRUPTED:
            raise Stopped(url)
        if fx.not_modified and prev is not None:
            body = self.archive.read(prev.path)
            if body is not None:
                if self.fetcher.recorder is not None and hasattr(self.fetcher.recorder, "reused"):
                    self.fetcher.recorder.reused(url, prev, body)
                return Got(url, fx.final_url, body, prev.content_type, 304, "not_modified",
                           fx.header("etag") or prev.etag, fx.header("last-modified") or prev.last_modified, prev)
        if fx.ok:
            return Got(url, fx.final_url, fx.body, fx.header("content-type"), fx.status, "downloaded",
                       fx.header("etag"), fx.header("last-modified"), prev)
        self._failed(fx, parent, probe)
        return None

    def _resumed(self, url: str) -> Got | None:
        done = self.archive.done_in_run(self.run_id, url)
        if done is None or not done.path:
            return None
        body = self.archive.read(done.path)
        if body is None:
            return None
        self.summary.resumed += 1
        return Got(url, done.final_url or url, body, done.content_type, done.status, "resumed", done=done)

    def _failed(self, fx: Fetched, parent: str | None, probe: bool = False) -> None:
        absent = probe and fx.status in (404, 410)
        outcome = BLOCKED if fx.robots_blocked else ABSENT if absent else FAILED
        if fx.not_modified:
            fx.error = f"{fx.url}: 304 Not Modified but nothing archived to reuse"
        kind = fx.error_class or (ROBOTS if fx.robots_blocked else http_class(fx.status))
        self.archive.record(self.run_id, FetchRecord(
            url=fx.url, outcome=outcome, final_url=fx.final_url, parent_url=parent, site=self.site.name,
            status=fx.status, content_type=fx.header("content-type"), error=fx.error, error_class=kind))
        if absent:
            return
        message = fx.error or f"{fx.url}: HTTP {fx.status}"
        if fx.robots_blocked:
            self.summary.robots_skipped += 1
            if parent is None:
                self.site_error(message, kind)
            return
        if parent is None:
            self.site_error(message, kind)
        else:
            self.summary.failed += 1
            self.summary.errors.append(message)
            log.warning("%s [%s]", message, kind, extra={"event": "link.failed", "site": self.site.name,
                                                          "url": fx.url})

    def keep(self, got: Got, kind: str, report_url: str | None, encoding: str | None, parent: str | None) -> None:
        """Store the body (when downloaded) and commit its manifest row, in that order."""
        if got.how == "resumed":
            return
        sha = got.prev.sha256 if got.how == "not_modified" else hashlib.sha256(got.body).hexdigest()
        path = self.archive.store(got.body, sha, L.sniff_ext(got.body, got.final_url, got.content_type), kind)
        outcome = self._outcome(got, sha, kind)
        self.archive.record(self.run_id, FetchRecord(
            url=got.url, outcome=outcome, final_url=got.final_url, parent_url=parent, site=self.site.name,
            status=got.status, etag=got.etag, last_modified=got.last_modified, content_type=got.content_type,
            encoding=encoding, sha256=sha, size=len(got.body), path=path, kind=kind, report_url=report_url))

    def _outcome(self, got: Got, sha: str, kind: str) -> str:
        if got.how == "not_modified":
            self.summary.not_modified += 1
            return NOT_MODIFIED
        self.summary.downloaded += 1
        if got.prev is None or got.prev.sha256 != sha:
            is_doc = kind in ("report", "attachment")
            if got.prev is None:
                self.summary.new_documents += is_doc
                return NEW
            self.summary.new_versions += is_doc
            return CHANGED
        self.summary.unchanged += 1
        return UNCHANGED

    def _decode(self, got: Got) -> tuple[str, str]:
        return L.decode_page(got.body, got.content_type)


# --- many sites -------------------------------------------------------------------------------------


def crawl_sites(sites: Iterable[Site], raw_dir: str | os.PathLike[str], options: CrawlOptions | None = None,
                on_event: Event | None = None, *, run_id: int | None = None, stop: threading.Event | None = None,
                recorder: Recorder | None = None, progress: Progress | None = None) -> FetchSummary:
    """Crawl every site into raw_dir's archive: one thread per host group, hosts in parallel.
    The caller holds the run lock (pipeline.engine.lock.run_lock).

    run_id: the manifest's run row the caller opened (Archive.begin_run), else one is opened and
    closed here. stop: once set, no new request starts; the summary says `interrupted`."""

    options = options or CrawlOptions()
    sites = list(sites)
    fetcher = Fetcher(options.fetch, stop=stop, recorder=recorder, addresses=AddressRule())
    fetcher.addresses.permit_hosts_of(u for site in sites for u in site.start_urls)
    summary = FetchSummary()
    lock = threading.Lock()
    with Archive(raw_dir) as archive:
        own_run = run_id is None
        if own_run:
            run_id, summary.resumed_run = archive.begin_run()
        summary.run_id = run_id

        def crawl_group(group: list[Site]) -> None:
            for site in group:
                if fetcher.stop.is_set():
                    return
                ctx = SiteCrawl(site, fetcher, archive, run_id, options, on_event, progress)
                done = _crawl_one(ctx, fetcher)
                with lock:
                    summary.merge(ctx.summary)
                    summary.interrupted = summary.interrupted or not done
                if done:
                    archive.record_site(run_id, ctx.result())
                    (progress or Progress()).site_done(site.name, ctx.failure is None)

        _configure_tls(fetcher, sites)
        with ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="crawl") as pool:
            list(pool.map(crawl_group, _by_host(sites)))
        summary.interrupted = summary.interrupted or fetcher.stop.is_set()
        archive.record_fetch_summary(run_id, summary.to_dict())
        if own_run:
            archive.end_run(run_id, exit_status=None, interrupted=summary.interrupted)
    return summary


def _crawl_one(ctx: SiteCrawl, fetcher: Fetcher) -> bool:
    """One site by its adapter; False when the run was stopped during it (no outcome recorded)."""
    try:
        adapter_for(ctx.site).crawl(ctx)
    except Stopped:
        return False
    except Exception as exc:  # noqa: BLE001 - one broken site must not stop the others
        ctx.site_error(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}")
    if ctx.failure is None:
        log.info("%d requests, %d new documents, %d dead links", ctx.summary.requests, ctx.summary.new_documents,
                 ctx.summary.failed, extra={"event": "site.done", "site": ctx.site.name})
    else:
        ctx.summary.sites_failed = 1
    return True


def _configure_tls(fetcher: Fetcher, sites: list[Site]) -> None:
    """A sources row's `options` may say `verify=false` (do not check the certificate: logged) or
    `verify=/path/ca.pem` / `ca_bundle=/path/ca.pem` (trust that CA bundle for the site's hosts)."""
    for site in sites:
        value = site.option("ca_bundle") or site.option("verify")
        if not value:
            continue
        verify: bool | str = False if value.lower() in ("false", "no", "0", "off") else value
        if value.lower() in ("true", "yes", "1", "on"):
            verify = True
        hosts = [host_of(u) for u in site.start_urls] + list(site.allow_hosts)
        fetcher.set_verify(hosts, verify)
        if verify is False:
            log.warning("TLS certificates of %s are not verified (verify=false in the sources file)",
                        ", ".join(sorted(set(hosts))), extra={"event": "tls.unverified", "site": site.name})


def _by_host(sites: list[Site]) -> list[list[Site]]:
    groups: dict[str, list[Site]] = {}
    for site in sites:
        groups.setdefault(bare_host(site.host), []).append(site)
    return list(groups.values())


def fetch_sources(sources_path: str | os.PathLike[str], raw_dir: str | os.PathLike[str], *,
                  options: CrawlOptions | None = None, on_event: Event | None = None, **kwargs: Any) -> FetchSummary:
    """Every site of a sources file into raw_dir. Raises SourcesError for a bad file.
    Keyword arguments as crawl_sites."""
    return crawl_sites(load_sources(sources_path), raw_dir, options, on_event, **kwargs)


def sites_of_urls(urls: Iterable[str]) -> list[Site]:
    """Start URLs given directly: one site per URL, named by its host."""
    return [Site(name=host_of(u), start_urls=(u,)) for u in urls]


def fetch_urls(urls: Iterable[str], raw_dir: str | os.PathLike[str], *, options: CrawlOptions | None = None,
               on_event: Event | None = None, **kwargs: Any) -> FetchSummary:
    """Start URLs given directly: one site per URL, named by its host. Keyword arguments as crawl_sites."""
    return crawl_sites(sites_of_urls(urls), raw_dir, options, on_event, **kwargs)
