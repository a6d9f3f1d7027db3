"""What a site adapter (pipeline.collect.sites) may ask of the crawl of its site: the crawler's
`SiteCrawl` offers exactly this, so adapters depend on this contract and not on the crawler."""

from __future__ import annotations

from typing import Any, Protocol

from pipeline.collect import links as L
from pipeline.collect.sources import Site


class SiteContext(Protocol):
    site: Site
    max_depth: int

    def allowed(self, url: str) -> bool:
        """The URL is on one of the site's hosts."""

    def claim(self, url: str) -> bool:
        """True the first time a URL is claimed in this crawl (and the request budget allows it)."""

    def follows(self, link: L.Link) -> bool:
        """The sources file's `follow` pattern accepts the link."""

    def open_listing(self, url: str, parent: str | None) -> tuple[Any, L.Page | None] | None:
        """Fetch a listing (HTML or JSON); (the body in hand, its page when HTML), or None on failure."""

    def visit(self, url: str, parent: str | None, anchor: str = "", probe: bool = False) -> L.Page | None:
        """Fetch a URL, archive it when it is a report or attachment; its page when it is a listing."""

    def site_error(self, message: str) -> None:
        """Record that the site could not be read at all."""
