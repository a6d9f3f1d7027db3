"""The generic crawler: from the start pages, follow pagination and links whose text or URL marks
an annual report on government information disclosure, breadth first, up to the depth limit;
archive every report page and the attachments it links."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from pipeline.collect import links as L

if TYPE_CHECKING:
    from pipeline.collect.adapter import SiteContext

NAME = "generic"
DESCRIPTION = "Any site whose report links are in its HTML: columns, 年报 listings, report pages."


def matches(url: str) -> bool:
    return True


def crawl(ctx: SiteContext) -> None:
    queue: deque[tuple[str, str | None, int, str]] = deque((u, None, 0, "") for u in ctx.site.start_urls)
    while queue:
        url, parent, depth, anchor = queue.popleft()
        if not ctx.claim(url):
            continue
        page = ctx.visit(url, parent, anchor)
        if page is not None:
            queue.extend(next_links(ctx, page, depth))


def next_links(ctx: SiteContext, page: L.Page, depth: int) -> list[tuple[str, str, int, str]]:
    """(url, parent, depth, text) of the links of a listing worth following."""
    found = []
    for url in page.pager_urls:
        found.append((url, page.url, depth, ""))
    candidates = {link.url for link in page.report_candidates}
    for link in page.links:
        if not ctx.allowed(link.url) or link.url == page.url:
            continue
        if L.is_pagination_link(link, page.url):
            found.append((link.url, page.url, depth, link.text))
        elif depth < ctx.max_depth and link.url in candidates and (L.is_report_link(link) or ctx.follows(link)):
            found.append((link.url, page.url, depth + 1, link.text))
    return found
