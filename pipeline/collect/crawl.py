"""The crawler: sites (from a sources file) -> polite fetches -> the raw archive.

    fetch_sources(sources_path, raw_dir, options=...)  every site of a sources file
    fetch_urls(urls, raw_dir, options=...)             start URLs given on the command line

Each site is crawled by its adapter (`pipeline.collect.sites`): the generic one follows pagination and
report links from the start pages; others read a site's JSON. Sites are grouped by host and the
groups run in parallel threads; within a host, requests wait their turn (`pipeline.collect.fetch`).

A run that was killed is resumed: URLs already fetched in that run are read back from the
archive, not requested again. Every other URL is requested conditionally (If-None-Match /
If-Modified-Since from the manifest); a 304 reuses the archived bytes.
"""

from __future__ import annotations

import hashlib
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
    StoredVersion,
)
from pipeline.collect.fetch import Fetched, Fetcher, FetchOptions, host_of
from pipeline.collect.sites import adapter_for
from pipeline.collect.sources import Site, SourcesError, load_sources

__all__ = ["Site", "SourcesError", "CrawlOptions", "FetchSummary", "SiteCrawl", "load_sources", "fetch_sources",
           "fetch_urls", "crawl_sites"]

Event = Callable[[str], None]


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
    errors: list[str] = field(default_factory=list)
    site_errors: list[str] = field(default_factory=list)
    resumed_run: bool = False

    @property
    def needs_attention(self) -> bool:
        return bool(self.failed or self.site_errors)

    def merge(self, other: FetchSummary) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                setattr(self, name, getattr(self, name) + value)

    def line(self) -> str:
        return (f"{self.sites} sites: {self.requests} requests, {self.new_documents} new documents, "
                f"{self.new_versions} new versions, {self.not_modified} not modified, "
                f"{self.failed} failed, {len(self.site_errors)} sites unreachable")

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


def _bare_host(netloc: str) -> str:
    netloc = netloc.lower()
    for prefix in ("www.", "wap.", "m."):
        if netloc.startswith(prefix):
            return netloc[len(prefix):]
    return netloc


class SiteCrawl:
    """One site's crawl: what adapters call. Not shared between threads."""

    def __init__(self, site: Site, fetcher: Fetcher, archive: Archive, run_id: int, options: CrawlOptions,
                 on_event: Event | None = None) -> None:
        self.site = site
        self.fetcher = fetcher
        self.archive = archive
        self.run_id = run_id
        self.options = options
        self.max_depth = site.max_depth if site.max_depth is not None else options.max_depth
        self.summary = FetchSummary(sites=1)
        self._on_event = on_event or (lambda _url: None)
        self._hosts = {_bare_host(host_of(u)) for u in site.start_urls} | {_bare_host(h) for h in site.allow_hosts}
        self._seen: set[str] = set()
        self._follow = re.compile(site.follow) if site.follow else None

    # --- scope -------------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """On the site's hosts (www./wap./m. variants are one host)."""
        return _bare_host(host_of(url)) in self._hosts

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

    def site_error(self, message: str) -> None:
        self.summary.site_errors.append(f"{self.site.name}: {message}")

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
        self._on_event(url)
        fx = self.fetcher.get(url, etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
                              referer=parent, allow_host=self.allowed)
        self.summary.requests += fx.attempts
        if fx.not_modified and prev is not None:
            body = self.archive.read(prev.path)
            if body is not None:
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
        self.archive.record(self.run_id, FetchRecord(
            url=fx.url, outcome=outcome, final_url=fx.final_url, parent_url=parent, site=self.site.name,
            status=fx.status, content_type=fx.header("content-type"), error=fx.error))
        if absent:
            return
        if fx.robots_blocked:
            self.summary.robots_skipped += 1
            if parent is None:
                self.site_error(fx.error or f"{fx.url}: disallowed by robots.txt")
            return
        if parent is None:
            self.site_error(fx.error or f"{fx.url}: HTTP {fx.status}")
        else:
            self.summary.failed += 1
            self.summary.errors.append(fx.error or f"{fx.url}: HTTP {fx.status}")

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
                on_event: Event | None = None) -> FetchSummary:
    """Crawl every site into raw_dir's archive: one thread per host group, hosts in parallel.
    The caller holds the run lock (pipeline.lock.run_lock)."""

    options = options or CrawlOptions()
    sites = list(sites)
    fetcher = Fetcher(options.fetch)
    summary = FetchSummary()
    lock = threading.Lock()
    with Archive(raw_dir) as archive:
        run_id, summary.resumed_run = archive.begin_run()

        def crawl_group(group: list[Site]) -> None:
            for site in group:
                ctx = SiteCrawl(site, fetcher, archive, run_id, options, on_event)
                try:
                    adapter_for(site).crawl(ctx)
                except Exception as exc:  # noqa: BLE001 - one broken site must not stop the others
                    ctx.site_error(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}")
                with lock:
                    summary.merge(ctx.summary)

        with ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="crawl") as pool:
            list(pool.map(crawl_group, _by_host(sites)))
        archive.finish_run(run_id, summary.to_dict())
    return summary


def _by_host(sites: list[Site]) -> list[list[Site]]:
    groups: dict[str, list[Site]] = {}
    for site in sites:
        groups.setdefault(_bare_host(site.host), []).append(site)
    return list(groups.values())


def fetch_sources(sources_path: str | os.PathLike[str], raw_dir: str | os.PathLike[str], *,
                  options: CrawlOptions | None = None, on_event: Event | None = None) -> FetchSummary:
    """Every site of a sources file into raw_dir. Raises SourcesError for a bad file."""
    return crawl_sites(load_sources(sources_path), raw_dir, options, on_event)


def fetch_urls(urls: Iterable[str], raw_dir: str | os.PathLike[str], *, options: CrawlOptions | None = None,
               on_event: Event | None = None) -> FetchSummary:
    """Start URLs given directly: one site per URL, named by its host."""
    sites = [Site(name=host_of(u), start_urls=(u,)) for u in urls]
    return crawl_sites(sites, raw_dir, options, on_event)


