"""Real HTTP servers on 127.0.0.1 for the crawler's tests: each FakeSite listens on its own port
(so several sites are several hosts) and serves scripted responses, logging every request with
its arrival time and headers. Synthetic content only (made-up agencies)."""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Resp:
    """One scripted response. etag/last_modified make the route answer conditional requests."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    stall: float = 0.0  # seconds to sleep before answering
    declared_length: int | None = None  # a Content-Length other than len(body) (truncation)
    send_length: bool = True
    trickle: float = 0.0  # seconds between 8-byte pieces of the body
    drip_headers: float = 0.0  # seconds between single bytes of an endless header block


@dataclass
class Hit:
    at: float
    path: str
    headers: dict[str, str]
    status: int


class FakeSite:
    """A host: routes (path with query -> Resp, or a list of Resp served in turn, the last one
    repeating) and a request log."""

    def __init__(self, routes: dict[str, Resp | list[Resp]] | None = None,
                 tls: tuple[str, str] | None = None) -> None:
        """tls: (certificate file, key file) to serve HTTPS."""
        self.routes: dict[str, Resp | list[Resp]] = dict(routes or {})
        self.log: list[Hit] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.server.daemon_threads = True
        self.server.site = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> FakeSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pick(self, path: str) -> Resp | None:
        with self._lock:
            route = self.routes.get(path)
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
            return route

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.log.append(hit)

    def hits(self, path: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self.log if path is None or h.path == path]

    def paths(self) -> list[str]:
        return [h.path for h in self.hits()]


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeGov/1.0"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        site: FakeSite = self.server.site  # type: ignore[attr-defined]
        arrived = time.monotonic()
        resp = site.pick(self.path)
        if resp is None:
            resp = Resp(b"not found", status=404, content_type="text/plain")
        status = self._status(resp)
        site.record(Hit(arrived, self.path, {k.lower(): v for k, v in self.headers.items()}, status))
        if resp.stall:
            time.sleep(resp.stall)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):  # the client gave up
            if resp.drip_headers:
                self._drip(resp.drip_headers)
            else:
                self._send(resp, status)

    def _drip(self, pause: float) -> None:
        """Headers one byte at a time, never finished (each byte well within any read timeout)."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"z" * 100_000
        for i in range(len(head)):
            self.wfile.write(head[i:i + 1])
            self.wfile.flush()
            time.sleep(pause)

    def _status(self, resp: Resp) -> int:
        if resp.status != 200:
            return resp.status
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if resp.etag is not None and inm is not None:
            return 304 if inm == resp.etag else 200
        if resp.last_modified is not None and ims is not None and ims == resp.last_modified:
            return 304
        return 200

    def _send(self, resp: Resp, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", resp.content_type)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        if resp.etag:
            self.send_header("ETag", resp.etag)
        if resp.last_modified:
            self.send_header("Last-Modified", resp.last_modified)
        body = b"" if status == 304 else resp.body
        if resp.send_length:
            self.send_header("Content-Length", str(resp.declared_length or len(body)))
        self.end_headers()
        step = 8 if resp.trickle else max(len(body), 1)
        for start in range(0, len(body), step):
            self.wfile.write(body[start:start + step])
            self.wfile.flush()
            time.sleep(resp.trickle)


def html(title: str, body: str, charset: str | None = "utf-8", encoding: str = "utf-8") -> bytes:
    """A page: <meta charset> only when charset is given; bytes in `encoding`."""
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>{body}</body></html>".encode(encoding)


def links(*pairs: tuple[str, str]) -> str:
    return "<ul>" + "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in pairs) + "</ul>"
