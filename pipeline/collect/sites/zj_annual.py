"""Zhejiang's jcms report module: `…/module/xxgk/xxgkAnnualReport.jsp?area={org code}&fbtime={YYYY}`
renders one agency-year per URL (url-patterns.md, jcms). Nothing links the years to each other, so
this adapter asks for each year from `from` (options, default 2008) to last year, and hands every
page to the generic report handling (report page + attachments). A year with no report gives a
page without a report title (kept with the listings, not parsed) or a 404 (recorded as absent,
not a failure).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from pipeline.collect.adapter import SiteContext

NAME = "zj_annual"
DESCRIPTION = "Zhejiang jcms xxgkAnnualReport.jsp?area=…&fbtime=YYYY: one page per agency-year, asked year by year."

_MODULE = re.compile(r"/module/xxgk/xxgkannualreport\.jsp$", re.I)
FIRST_YEAR = 2008


def matches(url: str) -> bool:
    return bool(_MODULE.search(urlsplit(url).path))


def year_urls(url: str, first: int, last: int) -> list[str]:
    """The module URL with fbtime set to each year, newest first."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "fbtime"]
    return [urlunsplit(parts._replace(query=urlencode([*query, ("fbtime", str(y))]), fragment=""))
            for y in range(last, first - 1, -1)]


def crawl(ctx: SiteContext) -> None:
    first = ctx.site.option("from") or str(FIRST_YEAR)
    last = date.today().year - 1
    for start in ctx.site.start_urls:
        if not matches(start):
            if ctx.claim(start):
                ctx.visit(start, None)
            continue
        for url in year_urls(start, int(first) if first.isdigit() else FIRST_YEAR, last):
            if ctx.claim(url):
                ctx.visit(url, start, probe=True)
