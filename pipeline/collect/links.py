"""What a fetched page says about where reports are: pure functions, no I/O.

- `decode_page`: bytes -> str with the HTTP charset where it is right, else `parsers.html.decode_html`
  (meta charset, gb2312/gbk read as gb18030, UTF-8, GB18030, charset detection);
- `read_page`: title, links (anchor text + title attribute), and the pages of a TRS
  `createPageHTML(...)` pager that only a script would draw;
- `is_report_link`, `is_pagination_link`, `is_attachment_url`: which links the crawler follows;
- `classify_page`: a report (tables or a report title), a report page whose report is in its
  attachments, or a listing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from parsers.html import canonical_charset, decode_html
from parsers.scripts import attachment_links, html_in_scripts

ATTACHMENT_EXTS = frozenset({"pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)

# Link text: an annual report on government information disclosure, in any of its printed names.
_REPORT_TEXT = re.compile(
    r"(政府|政务)?信息公开.{0,12}(年度报告|年报|工作报告|工作情况|年度情况)|信息公开年报|^\s*\d{4}\s*年度?\s*年报|年报\s*$|年度报告\s*$")
_NOT_REPORT_TEXT = re.compile(r"解读|图解|政策|网站.{0,6}(年度)?报表|报表|通报|问答|新闻|指南|目录|制度|申请")
# URL path: the column names of annual-report trees (url-patterns.md §2).
_REPORT_URL = re.compile(r"zfxxgknb|xxgknb|gknb|ndbg|nianbao|annualreport|xxgkannualreport", re.I)
_NOT_REPORT_URL = re.compile(r"zfwzndbb|wzndbb|jiedu|jd/|zcjd", re.I)
# A report's own title (url-patterns.md §3), and the row labels only a report's tables carry.
REPORT_TITLE = re.compile(r"(19|20)\d{2}\s*年.{0,40}?(政府|政务)信息公开.{0,12}(报告|工作情况|年报)")
_TABLE_WORDS = ("本年新收", "予以公开", "不予公开", "行政复议", "行政诉讼", "上年结转", "本年制发件数",
                "本年新制作数量", "处理决定数量")
_PAGER_TEXT = re.compile(r"^\s*(下一页|下页|后一页|后页|上一页|上页|前一页|尾页|末页|\d{1,4}|第\s*\d{1,4}\s*页|[>»›]{1,2})\s*$")
_PAGER_URL = re.compile(r"(?:^|/)index_\d+\.s?html?$|[?&](page|pageno|pageindex|currentpage|curpage|pn|p|pagenum)=\d+",
                        re.I)
_TRS_PAGER = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,"
                        r"\s*['\"](\w+)['\"]")
_MAX_TRS_PAGES = 200


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass
class Page:
    """What the crawler needs from one HTML page."""

    url: str
    title: str = ""
    heading: str = ""
    links: list[Link] = field(default_factory=list)
    table_words: int = 0
    pager_urls: list[str] = field(default_factory=list)
    region_links: list[Link] | None = None  # links inside the site's `links_xpath` region, when given

    @property
    def report_candidates(self) -> list[Link]:
        """The links to judge as report links: the region's when the site names one, else all."""
        return self.links if self.region_links is None else self.region_links


def decode_page(raw: bytes, content_type: str | None) -> tuple[str, str]:
    """(text, encoding). Valid UTF-8 wins (a stale gbk label is common, real GBK is practically
    never valid UTF-8); else the HTTP charset (gb2312/gbk as gb18030), strictly; else decode_html."""
    if not raw.isascii():
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    codec = http_charset(content_type)
    if codec is not None and codec != "utf-8":
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            pass
    return decode_html(raw)


def http_charset(content_type: str | None) -> str | None:
    """The codec named by a Content-Type header, gb2312/gbk as gb18030; None when absent or unknown."""
    match = _CHARSET.search(content_type or "")
    if match is None:
        return None
    return canonical_charset(match.group(1))


def read_page(text: str, url: str, region_xpath: str | None = None) -> Page:
    """Title, first heading, links (absolute, no fragment), table words and TRS pager pages;
    with region_xpath (e.g. `//div[@class='list']`), also the links inside those elements."""
    page = Page(url=url)
    try:
        root = lxml.html.document_fromstring(text.lstrip("\ufeff") or "<html></html>")
    except (etree.ParserError, ValueError):
        return page
    base = root.find(".//base[@href]")
    base_url = urljoin(url, base.get("href", "").strip()) if base is not None else url
    page.title = " ".join((root.findtext(".//title") or "").split())
    page.heading = _first_heading(root)
    page.links = _links(root, base_url)
    body_text = root.text_content()
    page.table_words = sum(1 for w in _TABLE_WORDS if w in body_text)
    if "<script" in text.lower():
        _add_script_body(page, text, base_url)
    page.pager_urls = trs_pager_urls(text, url)
    if region_xpath:
        page.region_links = _region_links(root, region_xpath, base_url)
    return page


def _add_script_body(page: Page, text: str, base_url: str) -> None:
    """Pages whose CMS ships the article in a script string (JSON value, JS literal): the report's
    table words and the attachments named there count as the page's own."""
    known = {link.url for link in page.links}
    for href in attachment_links(text):
        url = absolute_url(href, base_url)
        if url is not None and url not in known:
            known.add(url)
            page.links.append(Link(url, ""))
    if page.table_words < 3 and (body := html_in_scripts(text)):
        page.table_words = max(page.table_words, sum(1 for w in _TABLE_WORDS if w in body))


def _region_links(root: etree._Element, xpath: str, base_url: str) -> list[Link]:
    try:
        found = root.xpath(xpath)
    except etree.XPathError:
        return []
    links: list[Link] = []
    for element in found:
        if isinstance(element, etree._Element):
            links.extend(_links(element, base_url))
    return links


def _first_heading(root: etree._Element) -> str:
    for tag in ("h1", "h2", "h3"):
        node = root.find(f".//{tag}")
        if node is not None:
            return " ".join(node.text_content().split())
    return ""


def _links(root: etree._Element, base_url: str) -> list[Link]:
    found: dict[str, Link] = {}
    for node in root.iter("a", "area"):
        href = (node.get("href") or "").strip()
        url = absolute_url(href, base_url)
        if url is None:
            continue
        text = " ".join(f"{node.text_content()} {node.get('title') or ''}".split())
        if url not in found or len(text) > len(found[url].text):
            found[url] = Link(url, text)
    return list(found.values())


def absolute_url(href: str, base_url: str) -> str | None:
    """An absolute http(s) URL without fragment, or None (javascript:, mailto:, empty, #…)."""
    if not href or href.startswith("#") or re.match(r"(?i)(javascript|mailto|tel|data):", href):
        return None
    parts = urlsplit(urljoin(base_url, href))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def trs_pager_urls(text: str, url: str) -> list[str]:
    """Pages of a TRS list drawn by `createPageHTML(count, current, "index", "html")`:
    index.html, index_1.html, … index_{count-1}.html in the list's folder."""
    match = _TRS_PAGER.search(text)
    if match is None:
        return []
    count = min(int(match.group(1)), _MAX_TRS_PAGES)
    stem, ext = match.group(3), match.group(4)
    return [urljoin(url, f"{stem}.{ext}" if i == 0 else f"{stem}_{i}.{ext}") for i in range(count)]


def url_ext(url: str) -> str:
    """The lower-case extension of the URL's last path segment ('' if none)."""
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def is_attachment_url(url: str, text: str = "") -> bool:
    """PDF, DOC, DOCX, WPS, XLS/XLSX (and ET, OFD) by the URL's extension or the link text's."""
    if url_ext(url) in ATTACHMENT_EXTS:
        return True
    match = re.search(r"\.([A-Za-z]{2,4})\s*$", text)
    return match is not None and match.group(1).lower() in ATTACHMENT_EXTS


def is_report_link(link: Link) -> bool:
    """Text or URL marks an annual report on government information disclosure (or its column)."""
    text = link.text
    if text and _NOT_REPORT_TEXT.search(text):
        return False
    if text and _REPORT_TEXT.search(text):
        return True
    path = urlsplit(link.url).path + "?" + urlsplit(link.url).query
    return bool(_REPORT_URL.search(path)) and not _NOT_REPORT_URL.search(path)


def is_pagination_link(link: Link, page_url: str) -> bool:
    """下一页 / 第N页 / a page number / index_N.html in the same folder (or the same path with
    another page parameter) as the page it is on."""
    here, there = urlsplit(page_url), urlsplit(link.url)
    if here.netloc != there.netloc or _folder(here.path) != _folder(there.path):
        return False
    if _PAGER_URL.search(there.path + ("?" + there.query if there.query else "")):
        return True
    return bool(_PAGER_TEXT.match(link.text)) and link.url != page_url


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0]


PAGE_REPORT, PAGE_REPORT_WITH_ATTACHMENTS, PAGE_LISTING = "report", "report_page", "listing"


def classify_page(page: Page) -> str:
    """`report` when the page carries a report's tables, or has a report title and is not a list
    of reports; `report_page` when, besides, its report is in attachments (then the attachments
    are the documents); else `listing`."""
    titled = bool(REPORT_TITLE.search(page.heading) or REPORT_TITLE.search(page.title))
    report_links = sum(1 for ln in page.links if REPORT_TITLE.search(ln.text) and not is_attachment_url(ln.url))
    attachments = any(is_attachment_url(ln.url, ln.text) for ln in page.links)
    if page.table_words >= 3:
        return PAGE_REPORT
    if titled and report_links < 3:
        return PAGE_REPORT_WITH_ATTACHMENTS if attachments else PAGE_REPORT
    return PAGE_LISTING


def sniff_ext(body: bytes, url: str, content_type: str | None) -> str:
    """An extension for the archived file, from the bytes first, then the URL, then the type."""
    head = body[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx" if b"xl/" in body[:4096] else "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .doc, .xls, .wps, .et
        return url_ext(url) if url_ext(url) in ("doc", "xls", "wps", "et") else "doc"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("application/json", "text/json"):
        return "json"
    if ctype in ("text/html", "application/xhtml+xml") or _looks_html(body):
        return "html"
    ext = url_ext(url)
    return ext if re.fullmatch(r"[a-z0-9]{1,5}", ext or "") else "bin"


def _looks_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<body", b"<!--"))


def is_html(body: bytes, content_type: str | None) -> bool:
    return sniff_ext(body, "", content_type) == "html"
