"""HTTP for the crawler: polite, bounded, retried. No file I/O: bodies come back as bytes.

- polite: robots.txt obeyed (protego; Crawl-delay honoured), one request at a time per host with a
  delay between the end of one request and the start of the next (`HostPacer`), a User-Agent that
  names the tool and a contact;
- bounded: a connect timeout; the response headers complete within the read timeout (however
  slowly they drip); one deadline for the whole request (connect, headers, body), enforced by a
  watchdog that closes the socket (`pipeline.collect.transport`); a maximum body size (the body is
  streamed and the download aborted past it), a maximum number of redirects;
- routed and trusted as configured: a proxy (--proxy, else http_proxy/https_proxy; no_proxy
  honoured), a CA bundle (--ca-bundle) or per-host TLS settings from the sources file;
- safe: hosts resolving to private, loopback or link-local addresses are never requested, except
  the start URLs' own addresses (`AddressRule`);
- retried: timeouts, dropped or truncated bodies, 429 and 5xx, with exponential backoff; a
  Retry-After header is honoured (up to `max_retry_after`, beyond which the URL is given up for
  this run rather than blocking the host's thread).

Redirects are followed here, hop by hop, so that every hop is checked against robots.txt, the
caller's host rule and the address rule, and a loop is caught (robots.txt's own redirects too:
one that leaves the site's hosts is not followed, and robots.txt counts as unavailable). `Fetcher.get` never raises for a problem of one URL: the
`Fetched` it returns carries a one-line `error` naming the URL and an `error_class` (dns,
refused, tls, timeout, http-4xx, robots...).
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from protego import Protego

from pipeline.collect import transport as T

__all__ = ["FetchOptions", "Fetched", "Fetcher", "HostPacer", "Robots", "FetchError", "BodyTooLarge",
           "DeadlineExceeded", "HeadersTimeout", "default_user_agent", "host_of", "bare_host", "Recorder"]

log = logging.getLogger(__name__)

TOOL = "nianbao/0.1"
CONTACT_ENV = "NIANBAO_CONTACT"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65536


class FetchError(Exception):
    """A problem with one URL; the message is one line."""


class BodyTooLarge(FetchError):
    """The body is (or announces itself as) larger than the limit; not retried."""


class DeadlineExceeded(FetchError):
    """The request (connect, headers, body) was not complete at its deadline; retried like a timeout."""


class HeadersTimeout(FetchError):
    """The response headers were not complete within the read timeout; retried like a timeout."""


def default_user_agent(contact: str | None = None) -> str:
    """`nianbao/0.1 (+government information-disclosure report research; contact: …)`."""
    contact = contact or os.environ.get(CONTACT_ENV) or "no contact configured (set NIANBAO_CONTACT)"
    return f"{TOOL} (+government information-disclosure annual report research; contact: {contact})"


@dataclass(frozen=True)
class FetchOptions:
    """Everything that bounds or spaces the crawler's requests. Seconds and bytes."""

    user_agent: str = field(default_factory=default_user_agent)
    delay: float = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 300.0
    max_bytes: int = 32 * 1024 * 1024
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 120.0
    max_crawl_delay: float = 60.0
    max_redirects: int = 10
    proxy: str | None = None  # http://host:port for every request; None: the environment's, if any
    ca_bundle: str | None = None  # a PEM file of CA certificates trusted instead of the default ones

    def with_(self, **changes) -> FetchOptions:
        return replace(self, **changes)


@dataclass
class Fetched:
    """The outcome of one GET (after redirects). `body` is None unless status is 200."""

    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    attempts: int = 0
    robots_blocked: bool = False
    retryable: bool = False  # the error is transient (timeout, dropped or truncated body)
    error_class: str | None = None  # dns, refused, tls, timeout, http-4xx, http-5xx, robots... (transport)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200 and self.body is not None

    @property
    def not_modified(self) -> bool:
        return self.error is None and self.status == 304

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def host_of(url: str) -> str:
    """The host key used for pacing and robots: `host[:port]`, lower-case."""
    return urlsplit(url).netloc.lower()


def bare_host(netloc: str) -> str:
    """A host without its www./wap./m. prefix: the variants of one site."""
    netloc = netloc.lower()
    for prefix in ("www.", "wap.", "m."):
        if netloc.startswith(prefix):
            return netloc[len(prefix):]
    return netloc


class Recorder(Protocol):
    """Receives every response the fetcher gets (pipeline.collect.warc writes them as WARC)."""

    def response(self, url: str, response: requests.Response, body: bytes | None) -> None: ...


# --- pacing -------------------------------------------------------------------------------


@dataclass
class _HostState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ready_at: float = 0.0
    delay: float = 0.0


class HostPacer:
    """One request at a time per host, and `delay` seconds from the end of one to the next start."""

    def __init__(self, delay: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.default = delay
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        with self._lock:
            return self._hosts.setdefault(host, _HostState(delay=self.default))

    def set_delay(self, host: str, delay: float) -> None:
        """A longer delay for one host (robots.txt Crawl-delay); never shorter than the default."""
        state = self._state(host)
        state.delay = max(self.default, delay)

    def defer(self, host: str, seconds: float) -> None:
        """No request to host before `seconds` from now (backoff, Retry-After)."""
        state = self._state(host)
        state.ready_at = max(state.ready_at, time.monotonic() + seconds)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        state = self._state(host)
        with state.lock:
            wait = state.ready_at - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                state.ready_at = max(state.ready_at, time.monotonic() + state.delay)


# --- robots.txt ---------------------------------------------------------------------------

HostRule = Callable[[str], bool]


@dataclass
class _RobotsEntry:
    parser: Protego | None  # None: everything allowed (no robots.txt)
    deny_all: bool = False
    note: str | None = None
    error_class: str | None = None  # why robots.txt could not be read (the host's failure: dns, refused...)


class Robots:
    """robots.txt per scheme://host, fetched once per run. 4xx, or a redirect that leaves the
    site's hosts (not followed): everything allowed, robots.txt being unavailable; 5xx or
    unreachable: nothing allowed this run (RFC 9309 §2.3.1.2-4)."""

    def __init__(self, fetch_text: Callable[[str, HostRule | None], Fetched], user_agent: str) -> None:
        self._fetch = fetch_text
        self._agent = user_agent.split("/")[0]
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._entries: dict[str, _RobotsEntry] = {}

    def entry(self, url: str, allow_host: HostRule | None = None) -> _RobotsEntry:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._entries:
                self._entries[key] = self._load(key + "/robots.txt", allow_host)
            return self._entries[key]

    def _load(self, robots_url: str, allow_host: HostRule | None) -> _RobotsEntry:
        got = self._fetch(robots_url, allow_host)
        if got.ok:
            text = got.body.decode("utf-8", errors="replace")
            return _RobotsEntry(Protego.parse(text))
        if got.error_class in (T.OFFSITE, T.PRIVATE, T.REDIRECT):
            log.warning("%s; robots.txt counted as unavailable (everything allowed)", got.error,
                        extra={"event": "robots.redirect", "url": robots_url})
            return _RobotsEntry(None)
        if got.status is not None and 400 <= got.status < 500:
            return _RobotsEntry(None)
        return _RobotsEntry(None, deny_all=True, note=f"robots.txt unreachable ({got.error or got.status}); "
                                                      "host skipped this run",
                            error_class=got.error_class or T.http_class(got.status))

    def allowed(self, url: str, allow_host: HostRule | None = None) -> bool:
        entry = self.entry(url, allow_host)
        if entry.deny_all:
            return False
        return entry.parser is None or entry.parser.can_fetch(url, self._agent)

    def crawl_delay(self, url: str) -> float | None:
        entry = self.entry(url)
        if entry.parser is None:
            return None
        delay = entry.parser.crawl_delay(self._agent)
        return float(delay) if delay is not None else None


# --- the fetcher --------------------------------------------------------------------------


class Fetcher:
    """GET with conditional headers, politeness, retries and limits. Thread-safe: one Fetcher
    serves every host; each thread should work on its own hosts (requests to one host wait their turn).

    stop: once set, no new request starts (the current one finishes) and waits end early.
    recorder: given every response (WARC). addresses: the address rule (a permissive one by default
    only for hosts the caller permits, see AddressRule.permit_hosts_of)."""

    def __init__(self, options: FetchOptions | None = None, sleep: Callable[[float], object] | None = None, *,
                 stop: threading.Event | None = None, recorder: Recorder | None = None,
                 addresses: T.AddressRule | None = None) -> None:
        self.options = options or FetchOptions()
        self.stop = stop or threading.Event()
        self.pacer = HostPacer(self.options.delay, sleep or self.stop.wait)
        self.robots = Robots(self._fetch_robots, self.options.user_agent)
        self.recorder = recorder
        self.addresses = addresses or T.AddressRule()
        self._local = threading.local()
        self._delays_set: set[str] = set()
        self._verify: dict[str, bool | str] = {}

    def set_verify(self, hosts: Iterable[str], verify: bool | str) -> None:
        """TLS for these hosts (and their www./m. variants): False = do not verify the certificate
        (logged), or the path of a CA bundle to trust for them."""
        for host in hosts:
            self._verify[bare_host(host)] = verify
        if verify is False:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def verify_for(self, url: str) -> bool | str:
        return self._verify.get(bare_host(host_of(url)), self.options.ca_bundle or True)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.options.user_agent
            session.headers["Accept-Encoding"] = "gzip, deflate"
            session.trust_env = False  # proxies are chosen per request (transport.proxies_for), nothing else
            adapter = T.GuardedAdapter(max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            referer: str | None = None, allow_host: HostRule | None = None, site: str | None = None) -> Fetched:
        """GET url, following redirects on hosts that `allow_host` accepts (all when None).
        `site` names the site in the log."""
        headers = conditional_headers(etag, last_modified)
        if referer:
            headers["Referer"] = referer
        chain = [url]
        current = url
        attempts = 0
        for _hop in range(self.options.max_redirects + 1):
            refused = self._refuse(current, url, allow_host)
            if refused is not None:
                refused.redirects, refused.attempts = chain[1:], attempts
                return _logged(refused, site)
            got = self._with_retries(current, headers)
            attempts += got.attempts
            got.url, got.redirects, got.attempts = url, chain[1:], attempts
            location = got.header("location")
            if got.error is not None or got.status not in REDIRECT_STATUSES or not location:
                return _logged(_http_class(got), site)
            current = urljoin(current, location.strip()).split("#")[0]
            if current in chain:
                got = self._failed(url, current, f"{url}: redirect loop at {current}", chain[1:], got.status,
                                   T.REDIRECT)
                got.attempts = attempts
                return _logged(got, site)
            chain.append(current)
        return _logged(self._failed(url, current, f"{url}: more than {self.options.max_redirects} redirects",
                                    chain[1:], kind=T.REDIRECT), site)

    def _refuse(self, current: str, url: str, allow_host: HostRule | None) -> Fetched | None:
        if urlsplit(current).scheme not in ("http", "https"):
            return self._failed(url, current, f"{url}: not an http(s) URL: {current}", kind=T.OTHER)
        if allow_host is not None and not allow_host(current):
            return self._failed(url, current, f"{url}: redirects off-site to {current}; not followed", kind=T.OFFSITE)
        why = self.addresses.refusal(current)
        if why is not None:
            return self._failed(url, current, f"{current}: {why}", kind=T.PRIVATE)
        if not self.robots.allowed(current, allow_host):
            entry = self.robots.entry(current)
            got = self._failed(url, current, f"{current}: {entry.note or 'disallowed by robots.txt'}",
                               kind=entry.error_class or T.ROBOTS)
            got.robots_blocked = True
            return got
        self._apply_crawl_delay(current)
        return None

    def _apply_crawl_delay(self, url: str) -> None:
        host = host_of(url)
        if host in self._delays_set:
            return
        delay = self.robots.crawl_delay(url)
        if delay is not None:
            self.pacer.set_delay(host, min(delay, self.options.max_crawl_delay))
        self._delays_set.add(host)

    @staticmethod
    def _failed(url: str, final: str, error: str, redirects: list[str] | None = None,
                status: int | None = None, kind: str | None = None) -> Fetched:
        return Fetched(url=url, final_url=final, status=status, error=error, redirects=redirects or [],
                       error_class=kind)

    def _fetch_robots(self, robots_url: str, allow_host: HostRule | None = None) -> Fetched:
        """robots.txt, following at most 5 redirects, each on the site's hosts and public addresses."""
        current = robots_url
        for _hop in range(6):
            if current != robots_url and allow_host is not None and not allow_host(current):
                return self._failed(robots_url, current, f"{robots_url}: redirects off-site to {current}; "
                                    "not followed", kind=T.OFFSITE)
            why = self.addresses.refusal(current)
            if why is not None:
                return self._failed(robots_url, current, f"{current}: {why}", kind=T.PRIVATE)
            got = self._with_retries(current, {})
            location = got.header("location")
            if got.status not in REDIRECT_STATUSES or not location:
                return got
            current = urljoin(current, location)
        return self._failed(robots_url, current, f"{robots_url}: more than 5 redirects", kind=T.REDIRECT)

    # --- one URL, with retries -----------------------------------------------------------------

    def _with_retries(self, url: str, headers: dict[str, str]) -> Fetched:
        host = host_of(url)
        got = Fetched(url=url, final_url=url)
        for attempt in range(self.options.retries + 1):
            got = self._attempt(url, headers)
            got.attempts = attempt + 1
            wait = self._retry_wait(got, attempt)
            if wait is None or self.stop.is_set():
                return got
            if wait > self.options.max_retry_after:
                got.error = (f"{url}: asked to wait {wait:g} s (Retry-After), over the "
                             f"{self.options.max_retry_after:g} s limit; given up this run")
                got.error_class = got.error_class or T.http_class(got.status)
                return got
            if attempt < self.options.retries:
                self.pacer.defer(host, wait)
        if got.error is None:
            got.error = f"{url}: HTTP {got.status} after {got.attempts} attempts"
            got.error_class = T.http_class(got.status)
        return got

    def _retry_wait(self, got: Fetched, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when the outcome is final."""
        if got.error is not None and not got.retryable:
            return None
        if got.error is None and got.status not in RETRY_STATUSES:
            return None
        backoff = min(self.options.backoff * 2 ** attempt, self.options.max_backoff)
        after = retry_after_seconds(got.header("retry-after"))
        return max(backoff, after) if after is not None else backoff

    def _attempt(self, url: str, headers: dict[str, str]) -> Fetched:
        got = Fetched(url=url, final_url=url)
        try:
            with self.pacer.slot(host_of(url)):
                if self.stop.is_set():
                    got.error, got.error_class = f"{url}: not requested: the run is stopping", T.INTERRUPTED
                    return got
                self._send(url, headers, got)
        except BodyTooLarge as exc:
            got.error, got.error_class = f"{url}: {exc}", T.TOO_LARGE
        except (DeadlineExceeded, HeadersTimeout) as exc:
            got.error, got.error_class, got.retryable = f"{url}: {exc}", T.TIMEOUT, True
            got.body = None
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            got.error_class = T.classify(exc)
            got.error = f"{url}: {T.describe(exc, got.error_class)}"
            got.retryable = got.error_class not in (T.DNS, T.TLS)
        except requests.RequestException as exc:
            got.error_class = T.classify(exc)
            got.error = f"{url}: {T.describe(exc, got.error_class)}"
        return got

    def _send(self, url: str, headers: dict[str, str], got: Fetched) -> None:
        opts = self.options
        started = time.monotonic()
        watchdog = T.Watchdog(started + opts.deadline, header_timeout=opts.read_timeout)
        try:
            with T.guarded(watchdog):
                response = self._session().get(
                    url, headers=headers, stream=True, allow_redirects=False,
                    timeout=(opts.connect_timeout, opts.read_timeout), proxies=T.proxies_for(url, opts.proxy),
                    verify=self.verify_for(url))
                try:
                    got.status = response.status_code
                    got.headers = {k.lower(): v for k, v in response.headers.items()}
                    if response.status_code == 200:
                        got.body = read_body(response, opts.max_bytes, started + opts.deadline)
                finally:
                    response.close()
                self._check(watchdog)  # a socket shut by the watchdog can look like a short, complete answer
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            self._check(watchdog)
            raise exc
        if self.recorder is not None:
            self.recorder.response(url, response, got.body)

    def _check(self, watchdog: T.Watchdog) -> None:
        if watchdog.fired == "headers":
            raise HeadersTimeout(f"response headers not complete within {self.options.read_timeout:g} s "
                                 "(read timeout); abandoned")
        if watchdog.fired == "deadline":
            raise DeadlineExceeded(f"request not complete within the {self.options.deadline:g} s deadline "
                                   "(connect, headers and body); abandoned")


def _http_class(got: Fetched) -> Fetched:
    if got.error is None and got.status not in (200, 304, *REDIRECT_STATUSES):
        got.error_class = T.http_class(got.status)
    return got


def _logged(got: Fetched, site: str | None) -> Fetched:
    extra = {"event": "request", "site": site, "url": got.url}
    if got.error is None:
        log.debug("%s: HTTP %s (%d attempts)", got.url, got.status, got.attempts, extra=extra)
    else:
        log.debug("%s [%s]", got.error, got.error_class or "error", extra=extra)
    return got


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def read_body(response: requests.Response, max_bytes: int, deadline: float) -> bytes:
    """The body, streamed: refused when Content-Length or the bytes received pass max_bytes, or
    when it is still arriving at `deadline` (time.monotonic()). A body shorter than its
    Content-Length raises (urllib3 enforces it) and is retried by the caller."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"body of {int(declared)} bytes (Content-Length) is over the {max_bytes} byte limit")
    chunks: list[bytes] = []
    size = 0
    while chunk := _read_some(response):
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"body passed the {max_bytes} byte limit; download aborted")
        if time.monotonic() > deadline:
            raise DeadlineExceeded("body still arriving at the per-request deadline; aborted")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_some(response: requests.Response) -> bytes:
    """Whatever has arrived (at most one socket read, decoded), so a trickling body meets the
    deadline check; wraps urllib3 errors as requests does."""
    try:
        return response.raw.read1(_CHUNK, decode_content=True)
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ReadTimeout(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def describe_exception(exc: BaseException) -> str:
    """One line for a requests/urllib3 failure (in full)."""
    return T.describe(exc, T.classify(exc))
