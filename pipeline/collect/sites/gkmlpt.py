"""Guangdong's 政府信息公开目录 (gkmlpt): the annual-report column (`…/gkmlpt/annualreport#ID`, or
`…/gkmlpt/index#ID`) is drawn in the browser from a JSON call,
`…/gkmlpt/api/all/{ID}?page={N}&sid={SID}`, with SID written in the page's script
(`SID: '123'`). This adapter reads that JSON, page by page, and hands each article whose title
marks an annual report to the generic report handling (report page + attachments).

The column ID comes from the start URL's fragment (`#2629`) or the sources file's options
(`column=2629`); SID from the page, or `sid=…` in options.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from pipeline.collect import links as L

if TYPE_CHECKING:
    from pipeline.collect.adapter import SiteContext

NAME = "gkmlpt"
DESCRIPTION = "Guangdong gkmlpt catalogues: the 年报 column comes from /gkmlpt/api/all/{column}?page=N&sid=SID (JSON)."

_SID = re.compile(r"""\bSID\s*[:=]\s*['"]?(\d+)""")
MAX_PAGES = 50


_INDEX = re.compile(r"/gkmlpt/(annualreport|index)/?$")


def matches(url: str) -> bool:
    """The catalogue's index pages (`…/gkmlpt/annualreport`, `…/gkmlpt/index`), not its content pages."""
    return bool(_INDEX.search(urlsplit(url).path))


def crawl(ctx: SiteContext) -> None:
    for start in ctx.site.start_urls:
        page_url, _, fragment = start.partition("#")
        column = fragment if fragment.isdigit() else ctx.site.option("column")
        if not ctx.claim(page_url):
            continue
        if not matches(page_url):  # a content page given directly: a report page like any other
            ctx.visit(page_url, None)
            continue
        opened = ctx.open_listing(page_url, None)
        if opened is None:
            continue
        got, _page = opened
        sid = ctx.site.option("sid") or _find_sid(got.body)
        if not column or not sid:
            ctx.site_error(f"{start}: gkmlpt column id or SID not found (give #ID in the URL, "
                           "or column=…;sid=… in the options column)")
            continue
        _crawl_column(ctx, api_base(page_url), column, sid)


def api_base(page_url: str) -> str:
    """`https://host/site/gkmlpt/` for any page under it."""
    path = urlsplit(page_url).path
    return urljoin(page_url, path[: path.index("/gkmlpt/") + len("/gkmlpt/")])


def _find_sid(body: bytes) -> str | None:
    match = _SID.search(body.decode("utf-8", errors="replace"))
    return match.group(1) if match else None


def _crawl_column(ctx: SiteContext, base: str, column: str, sid: str) -> None:
    for number in range(1, MAX_PAGES + 1):
        api_url = f"{base}api/all/{column}?page={number}&sid={sid}"
        if not ctx.claim(api_url):
            return
        opened = ctx.open_listing(api_url, base)
        articles = _articles(opened[0].body) if opened is not None else []
        if not articles:
            return
        for title, url in articles:
            link = L.Link(urljoin(api_url, url), title)
            if L.is_report_link(link) and ctx.allowed(link.url) and ctx.claim(link.url):
                ctx.visit(link.url, api_url, title)


def _articles(body: bytes) -> list[tuple[str, str]]:
    """(title, url) of each article of one API page; [] when the JSON is not what we expect."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    items = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(str(a.get("title") or ""), str(a.get("url") or a.get("post_url") or ""))
            for a in items if isinstance(a, dict) and (a.get("url") or a.get("post_url"))]
