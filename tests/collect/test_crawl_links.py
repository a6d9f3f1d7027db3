"""pipeline.collect.links: charset, links, what is a report link, pagination, what kind of page a page is."""

from __future__ import annotations

import pytest

from pipeline.collect import links as L
from pipeline.collect.crawl import Site
from pipeline.collect.sites import UnknownAdapter, adapter_for, adapters

BASE = "http://www.example.gov.cn/zwgk/zfxxgknb/index.html"


def page(body: str, title: str = "政府信息公开年报", url: str = BASE) -> L.Page:
    return L.read_page(f"<html><head><title>{title}</title></head><body>{body}</body></html>", url)


@pytest.mark.parametrize(("raw", "ctype", "expected"), [
    ("镕基 年度报告".encode("gb18030"), "text/html; charset=gb2312", "gb18030"),  # 镕 is not in gb2312
    ("年度报告".encode("gbk"), "text/html", "gb18030"),  # no charset anywhere
    ("年度报告".encode(), "text/html; charset=gbk", "utf-8"),  # a stale label loses to valid UTF-8
    (b'<meta charset="gbk">' + "年报".encode("gbk"), None, "gb18030"),
])
def test_decode_page(raw, ctype, expected):
    text, encoding = L.decode_page(raw, ctype)
    assert encoding == expected and ("年" in text)


def test_links_are_absolute_without_fragments_and_scripts():
    p = page('<a href="../a.html#top">甲</a><a href="javascript:;">乙</a><a href="mailto:x@y">丙</a>'
             '<a href="b.pdf" title="附件">2023年报.pdf</a><base href="/other/">')
    urls = {ln.url for ln in p.links}
    assert urls == {"http://www.example.gov.cn/a.html", "http://www.example.gov.cn/other/b.pdf"}  # <base> applies
    assert not any(u.startswith(("javascript", "mailto")) or "#" in u for u in urls)


@pytest.mark.parametrize(("text", "url", "expected"), [
    ("示范县2023年政府信息公开工作年度报告", "http://x.gov.cn/art/1.html", True),
    ("2022年度政务信息公开工作年度报告", "http://x.gov.cn/a/2.html", True),
    ("政府信息公开年报", "http://x.gov.cn/col/col1/index.html", True),
    ("2023年报", "http://x.gov.cn/a/3.html", True),
    ("", "http://x.gov.cn/zwgk/zfxxgknb/2023nb/", True),  # the column name in the URL
    ("2023年政府信息公开工作年度报告解读", "http://x.gov.cn/a/4.html", False),
    ("政府网站工作年度报表", "http://x.gov.cn/zfwzndbb/5.html", False),
    ("政府信息公开指南", "http://x.gov.cn/zwgk/zn/", False),
    ("领导之窗", "http://x.gov.cn/ldzc/", False),
])
def test_is_report_link(text, url, expected):
    assert L.is_report_link(L.Link(url, text)) is expected


@pytest.mark.parametrize(("text", "url", "expected"), [
    ("下一页", "http://www.example.gov.cn/zwgk/zfxxgknb/index_1.html", True),
    ("3", "http://www.example.gov.cn/zwgk/zfxxgknb/index_2.html", True),
    ("第4页", "http://www.example.gov.cn/zwgk/zfxxgknb/list.jsp?page=4", True),
    ("尾页", "http://www.example.gov.cn/zwgk/zfxxgknb/index_9.html", True),
    ("下一页", "http://www.example.gov.cn/other/index_1.html", False),  # another folder
    ("首页", "http://www.example.gov.cn/", False),
])
def test_is_pagination_link(text, url, expected):
    assert L.is_pagination_link(L.Link(url, text), BASE) is expected


def test_trs_pager_written_by_a_script():
    text = '<script>createPageHTML(3, 0, "index", "shtml");</script>'
    assert L.trs_pager_urls(text, BASE) == [
        "http://www.example.gov.cn/zwgk/zfxxgknb/index.shtml", "http://www.example.gov.cn/zwgk/zfxxgknb/index_1.shtml",
        "http://www.example.gov.cn/zwgk/zfxxgknb/index_2.shtml"]


def test_classify_page():
    report_links = "".join(f'<a href="{y}.html">示范县{y}年政府信息公开工作年度报告</a>' for y in range(2019, 2024))
    assert L.classify_page(page(report_links)) == L.PAGE_LISTING
    tables = "<table><tr><td>本年新收政府信息公开申请数量</td></tr><tr><td>予以公开</td></tr><tr><td>行政复议</td></tr></table>"
    assert L.classify_page(page(tables, title="无题")) == L.PAGE_REPORT
    title = "示范县2023年政府信息公开工作年度报告"
    assert L.classify_page(page("<p>正文</p>", title=title)) == L.PAGE_REPORT
    assert L.classify_page(page('<a href="/u/a.pdf">附件</a>', title=title)) == L.PAGE_REPORT_WITH_ATTACHMENTS


@pytest.mark.parametrize(("body", "url", "ctype", "ext"), [
    (b"%PDF-1.7 ...", "http://x.gov.cn/download?id=1", "application/octet-stream", "pdf"),
    (b"PK\x03\x04" + b"word/document.xml", "http://x.gov.cn/a", None, "docx"),
    (b"PK\x03\x04" + b"xl/workbook.xml", "http://x.gov.cn/a", None, "xlsx"),
    (b"\xd0\xcf\x11\xe0rest", "http://x.gov.cn/a.wps", None, "wps"),
    (b"<!DOCTYPE html><html>", "http://x.gov.cn/a.shtml", "text/html", "html"),
    (b'{"articles": []}', "http://x.gov.cn/api", "application/json", "json"),
])
def test_sniff_ext(body, url, ctype, ext):
    assert L.sniff_ext(body, url, ctype) == ext


def test_the_real_pingtan_listing(shared_file):
    raw = shared_file("corpus/site/pingtan-nianbao-list.html").read_bytes()
    text, encoding = L.decode_page(raw, "text/html")
    p = L.read_page(text, "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/nlist.htm")
    reports = [ln for ln in p.links if L.is_report_link(ln) and L.REPORT_TITLE.search(ln.text)]
    assert encoding == "utf-8" and len(reports) == 10
    assert all(ln.url.startswith("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/20") for ln in reports)
    assert L.classify_page(p) == L.PAGE_LISTING


def test_the_adapter_registry():
    assert {"generic", "gkmlpt", "zj_annual"} <= set(adapters())
    for module in adapters().values():
        assert module.NAME and module.DESCRIPTION and callable(module.crawl) and callable(module.matches)
    assert adapter_for(Site("g", ("http://a.gd.gov.cn/gkmlpt/annualreport",))).NAME == "gkmlpt"
    assert adapter_for(Site("p", ("http://a.gd.gov.cn/gkmlpt/content/1/2/post_3.html",))).NAME == "generic"
    assert adapter_for(Site("x", ("http://x.gov.cn/nb/",))).NAME == "generic"
    zj = "http://rlsbt.zj.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=00248503X"
    assert adapter_for(Site("z", (zj,))).NAME == "zj_annual"
    with pytest.raises(UnknownAdapter):
        adapter_for(Site("x", ("http://x.gov.cn/",), adapter="nope"))


def test_a_page_body_in_a_script_string_counts_its_table_words_and_attachments():
    table = "<table><tr><td>本年新收政府信息公开申请数量</td></tr><tr><td>（一）予以公开</td></tr><tr><td>行政复议</td></tr></table>"
    escaped = table.replace("/", "\\/").replace('"', '\\"')
    page = L.read_page(f'<html><body><script>let content = "{escaped}"; var f = "files/a.docx";</script></body></html>',
                       "https://www.example.gov.cn/art/1.html")
    assert page.table_words >= 3 and L.classify_page(page) == L.PAGE_REPORT
    assert "https://www.example.gov.cn/art/files/a.docx" in [link.url for link in page.links]
