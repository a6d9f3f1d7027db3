"""What lies under one HTTP request of the crawler: deadlines that hold, proxies, TLS trust, the
address rule, and the class of a failure.

- Deadlines: a socket timeout restarts at every byte, so a server that sends its headers one
  byte a second is never cut off by it. `Watchdog` shuts the request's socket down when the
  headers have not all arrived `read_timeout` seconds after the request was sent, or when the
  whole request (connect, headers, body) passes its deadline; the blocked read then fails at once.
  The sockets are reached through `GuardedAdapter` (a requests adapter whose urllib3 connections
  report their socket to the watchdog of the request running in their thread).
- Proxies: `proxies_for(url, proxy)`: --proxy, else http_proxy/https_proxy/all_proxy from the
  environment; no_proxy honoured either way.
- Addresses: `AddressRule` refuses hosts that resolve to private, loopback, link-local or other
  non-global addresses, except the addresses of the start URLs (a crawl of a local test site).
- Failure classes (`classify`): dns, refused, tls, timeout, proxy, connection, http-4xx,
  http-5xx, robots, offsite, private, too-large, redirect, interrupted, other.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Watchdog", "GuardedAdapter", "guarded", "proxies_for", "AddressRule", "classify", "describe",
           "DNS", "REFUSED", "TLS", "TIMEOUT", "PROXY", "CONNECTION", "ROBOTS", "OFFSITE", "PRIVATE",
           "TOO_LARGE", "REDIRECT", "INTERRUPTED", "OTHER", "http_class"]

DNS, REFUSED, TLS, TIMEOUT, PROXY, CONNECTION = "dns", "refused", "tls", "timeout", "proxy", "connection"
ROBOTS, OFFSITE, PRIVATE, TOO_LARGE, REDIRECT = "robots", "offsite", "private", "too-large", "redirect"
INTERRUPTED, OTHER = "interrupted", "other"

_local = threading.local()


# --- deadlines ----------------------------------------------------------------------------------


class Watchdog:
    """Shuts down the socket of one request attempt when a deadline passes. `fired` says which:
    "headers" (not all headers within the read timeout) or "deadline" (the whole request)."""

    def __init__(self, deadline_at: float, header_timeout: float | None = None) -> None:
        self.deadline_at = deadline_at
        self.header_timeout = header_timeout
        self.fired: str | None = None
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self.arm(deadline_at, "deadline")

    def arm(self, at: float, reason: str) -> None:
        """Fire at `at` (time.monotonic()), or at the request's deadline when that is sooner."""
        if self.deadline_at <= at:
            at, reason = self.deadline_at, "deadline"
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(max(0.0, at - time.monotonic()), self._fire, (reason,))
            self._timer.daemon = True
            self._timer.start()

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            fired = self.fired
        if fired is not None:
            _shut(sock)

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None
            self._sock = None

    def _fire(self, reason: str) -> None:
        with self._lock:
            self.fired = reason
            sock = self._sock
        _shut(sock)


def _shut(sock: object) -> None:
    """Shut a socket down for reading and writing (the TCP socket under TLS), so a read blocked in
    another thread returns at once. Never raises."""
    raw = getattr(sock, "socket", sock)  # urllib3's SSLTransport (TLS through a TLS proxy) wraps one
    if isinstance(raw, socket.socket):
        with contextlib.suppress(OSError):
            socket.socket.shutdown(raw, socket.SHUT_RDWR)  # the plain call, also under ssl.SSLSocket


class guarded:  # noqa: N801 - used as a context manager, reads as a phrase
    """`with guarded(watchdog):` the requests made in this thread report their sockets to it."""

    def __init__(self, watchdog: Watchdog) -> None:
        self.watchdog = watchdog

    def __enter__(self) -> Watchdog:
        _local.watchdog = self.watchdog
        return self.watchdog

    def __exit__(self, *exc: object) -> None:
        _local.watchdog = None
        self.watchdog.cancel()


def _current() -> Watchdog | None:
    return getattr(_local, "watchdog", None)


class _GuardedConnectionMixin:
    """Reports the socket to the thread's watchdog when it is created and when a response is
    awaited; while the headers arrive, the watchdog fires at the read timeout."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        watchdog = _current()
        if watchdog is not None:
            watchdog.attach(sock)
        return sock

    def getresponse(self):  # type: ignore[no-untyped-def]
        watchdog = _current()
        if watchdog is None:
            return super().getresponse()  # type: ignore[misc]
        watchdog.attach(self.sock)  # type: ignore[attr-defined]
        if watchdog.header_timeout is not None:
            watchdog.arm(time.monotonic() + watchdog.header_timeout, "headers")
        response = super().getresponse()  # type: ignore[misc]
        watchdog.arm(watchdog.deadline_at, "deadline")
        return response


class _HTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _HTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections (direct or through a proxy) answer to the watchdog."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs):  # type: ignore[no-untyped-def]
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


# --- proxies ------------------------------------------------------------------------------------


def proxies_for(url: str, proxy: str | None = None) -> dict[str, str]:
    """The proxies for url: `proxy` for both schemes when given, else the environment's
    (http_proxy, https_proxy, all_proxy); {} when no_proxy/NO_PROXY names the host."""
    if requests.utils.should_bypass_proxies(url, no_proxy=None):
        return {}
    if proxy:
        return {"http": proxy, "https": proxy}
    return {k: v for k, v in requests.utils.get_environ_proxies(url).items() if k != "no"}


# --- addresses ----------------------------------------------------------------------------------


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    return "private" if address.is_private else "non-public"


class AddressRule:
    """Hosts that resolve to a non-public address are refused, except the addresses of the start
    URLs (`permit_hosts_of`). Resolutions are kept for the run. A name that does not resolve is
    let through: the request then fails with its own DNS error (or the proxy resolves it)."""

    def __init__(self, resolve=socket.getaddrinfo) -> None:  # type: ignore[no-untyped-def]
        self._resolve = resolve
        self._lock = threading.Lock()
        self._cache: dict[str, list[ipaddress.IPv4Address | ipaddress.IPv6Address]] = {}
        self._permitted: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()

    def addresses(self, host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        host = host.strip("[]").lower()
        with self._lock:
            if host in self._cache:
                return self._cache[host]
        try:
            found = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                found = sorted({ipaddress.ip_address(info[4][0].split("%")[0])
                                for info in self._resolve(host, None, proto=socket.IPPROTO_TCP)}, key=str)
            except (OSError, UnicodeError, ValueError):
                found = []
        with self._lock:
            self._cache[host] = found
        return found

    def permit_hosts_of(self, urls: Iterable[str]) -> None:
        """The start URLs' own addresses are allowed even when they are not public."""
        for url in urls:
            host = urlsplit(url).hostname
            if host:
                self._permitted.update(a for a in self.addresses(host) if not _is_public(a))

    def refusal(self, url: str) -> str | None:
        """None when url may be requested, else why not (one phrase)."""
        host = urlsplit(url).hostname
        if not host:
            return None
        for address in self.addresses(host):
            if not _is_public(address) and address not in self._permitted:
                return f"{host} is a {_kind(address)} address ({address}); not requested"
        return None


# --- failure classes ----------------------------------------------------------------------------


def http_class(status: int | None) -> str:
    if status is not None and 400 <= status < 500:
        return "http-4xx"
    if status is not None and status >= 500:
        return "http-5xx"
    return OTHER


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (requests wraps urllib3 wraps socket), outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        reason = getattr(item, "reason", None)
        todo.extend([reason if isinstance(reason, BaseException) else None, item.__cause__, item.__context__,
                     *(a for a in item.args if isinstance(a, BaseException))])
    return seen


def classify(exc: BaseException) -> str:
    chain = _chain(exc)
    kinds = tuple(type(e) for e in chain)

    def has(*types: type) -> bool:
        return any(issubclass(k, types) for k in kinds)

    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return DNS
    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return PROXY
    if has(ConnectionRefusedError):
        return REFUSED
    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return TLS
    if has(requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError, socket.timeout):
        return TIMEOUT
    if has(requests.ConnectionError, ConnectionError, urllib3.exceptions.ProtocolError):
        return CONNECTION
    return OTHER


_PHRASES = {DNS: "DNS lookup failed", REFUSED: "connection refused", TLS: "TLS error",
            PROXY: "proxy error", CONNECTION: "connection failed"}


def describe(exc: BaseException, kind: str) -> str:
    """One line for a failure of class `kind`, with the innermost cause in full (never cut)."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timeout"
    if kind == TIMEOUT:
        return "read timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "body truncated (connection closed before Content-Length bytes arrived)"
    cause = _chain(exc)[-1]
    text = " ".join(str(cause).split()) or type(cause).__name__
    phrase = _PHRASES.get(kind)
    return f"{phrase}: {text}" if phrase else f"{type(exc).__name__}: {text}"
