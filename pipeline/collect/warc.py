"""The fetched responses as a WARC file (ISO 28500, written with warcio), so that web archivists'
tools (pywb, replayweb.page, warcio) can replay what a crawl collected.

    with WarcRecorder("crawl.warc.gz") as warc:
        crawl_sites(sites, raw_dir, recorder=warc)

For every response received: a `request` record (the GET as sent) and a `response` record (status
line, headers, body). The body is stored as the crawler holds it, decoded from gzip/deflate, so
Content-Encoding and Transfer-Encoding are dropped from the stored headers and Content-Length is
set to the stored length (the originals are kept as X-Archive-Orig-* headers). Bodies of
non-200 answers are not downloaded, so those records have an empty body. A document reused after
a 304 Not Modified is written as a `response` record rebuilt from the archive (status 200, its
validators and type), marked `WARC-Nianbao-Source: archive`, so the file holds every document
the run saw.

The file is written to `<name>.tmp` and renamed when closed (also when the run is interrupted).
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    import requests

    from pipeline.collect.archive import StoredVersion

__all__ = ["WarcRecorder", "WarcError"]

_DROPPED = frozenset({"content-encoding", "transfer-encoding", "content-length"})


class WarcError(Exception):
    """The WARC file cannot be written; the message is one line naming it."""


class WarcRecorder:
    """Writes responses to one (gzipped, per record) WARC file. Thread-safe."""

    def __init__(self, path: str | os.PathLike[str], software: str = "nianbao") -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._lock = threading.Lock()
        self.records = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise WarcError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc
        self._writer = WARCWriter(self._fh, gzip=self.path.suffix == ".gz")
        info = self._writer.create_warcinfo_record(self.path.name, {"software": software, "format": "WARC 1.1"})
        self._write(info)

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._fh.closed:
                return
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            os.replace(self._tmp, self.path)

    def _write(self, record) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self._writer.write_record(record)
            self.records += 1

    def response(self, url: str, response: requests.Response, body: bytes | None) -> None:
        """A response as received (called by the Fetcher for every answer, redirects included)."""
        payload = body or b""
        original = list(response.raw.headers.items()) if response.raw is not None else list(response.headers.items())
        headers = [(k, v) for k, v in original if k.lower() not in _DROPPED]
        headers += [(f"X-Archive-Orig-{k}", v) for k, v in original if k.lower() in _DROPPED]
        headers.append(("Content-Length", str(len(payload))))
        protocol = "HTTP/1.0" if getattr(response.raw, "version", 11) == 10 else "HTTP/1.1"
        status = StatusAndHeaders(f"{response.status_code} {response.reason or ''}".strip(), headers,
                                  protocol=protocol)
        record = self._writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                                 length=len(payload), http_headers=status)
        self._write(self._request_record(url, response, record))
        self._write(record)

    def _request_record(self, url: str, response: requests.Response, concurrent):  # type: ignore[no-untyped-def]
        request = response.request
        path = request.path_url if request is not None else "/"
        sent = list(request.headers.items()) if request is not None else []
        status = StatusAndHeaders(f"GET {path} HTTP/1.1", sent, is_http_request=True)
        record = self._writer.create_warc_record(url, "request", payload=io.BytesIO(b""), length=0,
                                                 http_headers=status)
        record.rec_headers.add_header("WARC-Concurrent-To", concurrent.rec_headers.get_header("WARC-Record-ID"))
        return record

    def reused(self, url: str, stored: StoredVersion, body: bytes) -> None:
        """A document the server said was not modified (304): rebuilt from the archive."""
        headers = [("Content-Type", stored.content_type or "application/octet-stream"),
                   ("Content-Length", str(len(body)))]
        headers += [(k, v) for k, v in (("ETag", stored.etag), ("Last-Modified", stored.last_modified)) if v]
        status = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                 http_headers=status,
                                                 warc_headers_dict={"WARC-Nianbao-Source": "archive"})
        self._write(record)
