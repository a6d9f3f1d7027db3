"""Where a document came from, read from the crawl manifest (RAW/.crawl/manifest.sqlite): read-only.

    lookup = provenance_lookup("data/raw")      # one read of the manifest
    lookup(sha256, "archive/ab/<sha256>.pdf")   # -> Provenance, or None for a document not crawled

A document is matched by its sha256 (the archive names files by it, so the bytes decide), and among
the fetches that stored those bytes, preferably by its archive path. The URL chosen is the one that
served these bytes most recently; for it:

- `url`: the address the bytes were fetched from (after redirects), `parent_url`: the page that
  linked it (the report page of an attachment, the listing page of a report page), `site`;
- `first_fetched` / `last_fetched`: the first and last fetch (UTC, ISO 8601) of that URL that gave
  these bytes (a 304 Not Modified counts: the bytes were confirmed then);
- `etag`, `last_modified`: the HTTP validators of the latest of those fetches.

The manifest is opened read-only (`mode=ro`): nothing here writes to the raw folder, and a run that
parses while another process crawls sees a consistent snapshot (SQLite WAL).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.collect.archive import manifest_path

__all__ = ["Provenance", "ProvenanceUnavailable", "crawled_sources", "provenance_lookup"]

FIELDS = ("url", "parent_url", "site", "first_fetched", "last_fetched", "etag", "last_modified")
_ROWS = ("SELECT id, url, COALESCE(final_url, url), parent_url, site, fetched_at, etag, last_modified, sha256, path "
         "FROM fetches WHERE sha256 IS NOT NULL AND path IS NOT NULL ORDER BY id")


class ProvenanceUnavailable(Exception):
    """The manifest exists but cannot be read; one line naming the file."""


@dataclass(frozen=True)
class Provenance:
    url: str
    parent_url: str | None
    site: str | None
    first_fetched: str
    last_fetched: str
    etag: str | None
    last_modified: str | None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class _Fetch:
    id: int
    url: str  # the URL as requested (the crawler's key)
    fetched_from: str  # final URL after redirects
    parent_url: str | None
    site: str | None
    fetched_at: str
    etag: str | None
    last_modified: str | None
    sha256: str
    path: str


Lookup = Callable[[str | None, str | None], Provenance | None]


def provenance_lookup(raw_dir: str | os.PathLike[str]) -> Lookup:
    """A function (sha256, archive path relative to raw_dir) -> Provenance | None.

    No manifest: every document is "not crawled" (None). A manifest that cannot be read raises
    ProvenanceUnavailable."""
    by_sha: dict[str, list[_Fetch]] = {}
    for fetch in _read_fetches(manifest_path(raw_dir)):
        by_sha.setdefault(fetch.sha256, []).append(fetch)

    def lookup(sha256: str | None, path: str | None = None) -> Provenance | None:
        fetches = by_sha.get(sha256 or "")
        return _provenance(fetches, path) if fetches else None

    return lookup


def _provenance(fetches: list[_Fetch], path: str | None) -> Provenance:
    same_path = [f for f in fetches if f.path == path]
    latest = max(same_path or fetches, key=lambda f: f.id)
    mine = [f for f in fetches if f.url == latest.url]
    return Provenance(url=latest.fetched_from, parent_url=latest.parent_url, site=latest.site,
                      first_fetched=_utc(min(f.fetched_at for f in mine)),
                      last_fetched=_utc(max(f.fetched_at for f in mine)),
                      etag=latest.etag, last_modified=latest.last_modified)


def _utc(stamp: str) -> str:
    """The manifest's `2024-03-01T08:00:00.123+00:00` as ISO 8601 UTC to the second: `2024-03-01T08:00:00Z`."""
    return stamp[:19] + "Z" if stamp.endswith("+00:00") else stamp


def crawled_sources(raw_dir: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The sites crawled and the start URLs each crawl began from ({"site", "url"}, sorted); [] without a manifest."""
    rows = _query(manifest_path(raw_dir), "SELECT DISTINCT COALESCE(site, ''), url FROM fetches "
                                          "WHERE parent_url IS NULL ORDER BY 1, 2")
    return [{"site": site or None, "url": url} for site, url in rows]


def _read_fetches(db_path: Path) -> list[_Fetch]:
    return [_Fetch(*row) for row in _query(db_path, _ROWS)]


def _query(db_path: Path, sql: str) -> list[tuple]:
    if not db_path.is_file():
        return []
    try:
        db = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise ProvenanceUnavailable(f"{db_path}: cannot open the manifest: {exc}") from exc
    try:
        return db.execute(sql).fetchall()
    except sqlite3.Error as exc:
        raise ProvenanceUnavailable(f"{db_path}: cannot read the manifest: {exc}") from exc
    finally:
        db.close()
