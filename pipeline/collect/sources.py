"""Sources files: which sites to crawl, one row each (`Site`), read and checked before any request."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from pipeline.collect.fetch import host_of

__all__ = ["Site", "SourcesError", "load_sources"]


class SourcesError(Exception):
    """The sources file cannot be read; the message is one line naming the file (and line)."""


@dataclass(frozen=True)
class Site:
    """One row of a sources file."""

    name: str
    start_urls: tuple[str, ...]
    adapter: str | None = None
    follow: str | None = None  # a regex on link URL or text: also follow these
    max_depth: int | None = None
    allow_hosts: tuple[str, ...] = ()
    links_xpath: str | None = None  # listings: judge only the links inside these elements
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str) -> str | None:
        return dict(self.options).get(key)

    @property
    def host(self) -> str:
        return host_of(self.start_urls[0])


_REQUIRED = ("name", "start_urls")


def load_sources(path: str | os.PathLike[str]) -> list[Site]:
    """Sites from a CSV file (UTF-8, header row): name, start_urls (several separated by spaces or
    `|`), and optionally adapter, follow, max_depth, allow_hosts, links_xpath, options
    (`key=value;…`). Other columns are ignored; rows whose name starts with `#` are comments."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise SourcesError(f"{path}: no {', '.join(missing)} column (header: {', '.join(reader.fieldnames or [])})")
    sites = []
    for lineno, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        if not name or name.startswith("#"):
            continue
        sites.append(_site(row, name, f"{path}:{lineno}"))
    return sites


def _site(row: dict[str, str | None], name: str, where: str) -> Site:
    starts = tuple(u for u in re.split(r"[\s|]+", row.get("start_urls") or "") if u)
    bad = [u for u in starts if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).netloc]
    if not starts or bad:
        raise SourcesError(f"{where}: {name}: start_urls must be http(s) URLs (got {row.get('start_urls')!r})")
    depth = (row.get("max_depth") or "").strip()
    if depth and not depth.isdigit():
        raise SourcesError(f"{where}: {name}: max_depth must be a whole number (got {depth!r})")
    options = tuple(tuple(p.split("=", 1)) for p in (row.get("options") or "").split(";") if "=" in p)
    return Site(name=name, start_urls=starts, adapter=(row.get("adapter") or "").strip() or None,
                follow=_checked(row, "follow", re.compile, f"{where}: {name}"),
                max_depth=int(depth) if depth else None, allow_hosts=tuple((row.get("allow_hosts") or "").split()),
                links_xpath=_checked(row, "links_xpath", etree.XPath, f"{where}: {name}"),
                options=tuple((k.strip(), v.strip()) for k, v in options))


def _checked(row: dict[str, str | None], column: str, compile_: Callable[[str], object], where: str) -> str | None:
    """The column's pattern (a regex or an XPath), None when empty; SourcesError when it does not compile."""
    value = (row.get(column) or "").strip() or None
    if value is not None:
        try:
            compile_(value)
        except (re.error, etree.XPathSyntaxError) as exc:
            raise SourcesError(f"{where}: {column} is not a valid pattern: {exc}") from exc
    return value


