"""Synthetic government sites (made-up agencies) for the crawler's tests, served by fakeweb.

site_a  示范市人民政府办公室 — GBK: a 政府信息公开 column, a two-page 年报 listing (page 1 with no
        charset anywhere, page 2 with the charset only in the HTTP header), an HTML report with
        tables, a report page whose report is a PDF attachment, a DOCX linked from the listing, a
        redirected report, robots.txt forbidding /private/; with `failures`, also a 404 and a
        redirect to another host.
site_b  样例县人民政府 — UTF-8: a TRS list paged by createPageHTML(), 500-then-success,
        429 with Retry-After, a stalled page, a body over the limit, a truncated body, a redirect loop.
site_g  a Guangdong gkmlpt catalogue: the 年报 column comes from a JSON API.
"""

from __future__ import annotations

import json

from tests.conftest import sample_html
from tests.sites.fakeweb import FakeSite, Resp, html, links

A_AGENCY = "示范市人民政府办公室"
B_AGENCY = "样例县人民政府"
LM = "Tue, 09 Jan 2024 02:00:00 GMT"


def gbk_report(agency: str, year: int, granted: int = 3) -> bytes:
    text = sample_html(agency, year, granted).decode("utf-8")
    return text.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=gbk">').encode("gbk")


def pdf_bytes(label: str) -> bytes:
    return b"%PDF-1.4\n% synthetic attachment " + label.encode() + b"\n%%EOF\n"


def docx_bytes(label: str) -> bytes:
    return b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml " + label.encode()


def site_a(failures: bool = True) -> FakeSite:
    title = "政府信息公开年报"
    listing1 = html(title, links(
        ("/art/2024/1/15/art_1_1.html", f"{A_AGENCY}2023年政府信息公开工作年度报告"),
        ("/art/2023/1/10/art_1_2.html", f"{A_AGENCY}2022年政府信息公开工作年度报告"),
        ("/private/t2020.html", f"{A_AGENCY}2020年度政府信息公开工作年度报告（旧）"),
        ("/art/2024/1/16/art_1_9.html", "2023年政府信息公开工作年度报告解读"),
        ("/ldzc/index.html", "领导之窗"),
        ("index_1.html", "下一页")), charset=None, encoding="gbk")
    listing2_links = [("/art/2022/1/12/art_1_3.html", "2021年度政府信息公开工作年度报告"),
                      ("/uploads/2020.docx", f"{A_AGENCY}2020年政府信息公开工作年度报告.docx"),
                      ("index.html", "上一页")]
    if failures:
        listing2_links += [("/art/gone.html", "2019年政府信息公开工作年度报告"),
                           ("/art/moved.html", "2018年政府信息公开工作年度报告")]
    listing2 = html(title, links(*listing2_links), charset=None, encoding="gbk")
    column = html("政府信息公开", links(("/zwgk/zfxxgknb/index.html", "政府信息公开年报"), ("/ldzc/", "领导之窗"),
                                  ("/zwgk/zn/", "政府信息公开指南")), charset="gb2312", encoding="gbk")
    report_2022 = html(f"{A_AGENCY}2022年政府信息公开工作年度报告",
                       f"<h1>{A_AGENCY}2022年政府信息公开工作年度报告</h1><p>附件：<a href='/uploads/2022.pdf'>"
                       "2022年报.pdf</a></p>", charset="gbk", encoding="gbk")
    routes: dict[str, Resp | list[Resp]] = {
        "/robots.txt": Resp(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/zwgk/zfxxgk/": Resp(column, etag='"col-1"'),
        "/zwgk/zfxxgknb/index.html": Resp(listing1, etag='"l1-1"'),
        "/zwgk/zfxxgknb/index_1.html": Resp(listing2, content_type="text/html; charset=GBK", last_modified=LM),
        "/art/2024/1/15/art_1_1.html": Resp(gbk_report(A_AGENCY, 2023), etag='"r2023-1"'),
        "/art/2023/1/10/art_1_2.html": Resp(report_2022, etag='"r2022-1"', last_modified=LM),
        "/uploads/2022.pdf": Resp(pdf_bytes("2022"), content_type="application/pdf", last_modified=LM),
        "/art/2022/1/12/art_1_3.html": Resp(status=301, headers={"Location": "/art/2022/1/12/art_1_3_new.html"}),
        "/art/2022/1/12/art_1_3_new.html": Resp(sample_html(A_AGENCY, 2021), etag='"r2021-1"'),
        "/uploads/2020.docx": Resp(docx_bytes("2020"), content_type="application/octet-stream", etag='"d-1"'),
        "/private/t2020.html": Resp(sample_html(A_AGENCY, 2020)),
    }
    return FakeSite(routes)


def add_offsite_redirect(a: FakeSite, other: FakeSite) -> None:
    a.routes["/art/moved.html"] = Resp(status=302, headers={"Location": other.url("/elsewhere.html")})
    other.routes["/elsewhere.html"] = Resp(sample_html(A_AGENCY, 2018))


def site_b() -> FakeSite:
    pager = '<script>createPageHTML(2, 0, "index", "html");</script>'
    listing = html("年报", links(
        ("r2023.html", f"{B_AGENCY}2023年政府信息公开工作年度报告"),
        ("r2022.html", f"{B_AGENCY}2022年政府信息公开工作年度报告"),
        ("r2021.html", f"{B_AGENCY}2021年政府信息公开工作年度报告"),
        ("big.pdf", f"{B_AGENCY}2020年政府信息公开工作年度报告.pdf"),
        ("cut.pdf", f"{B_AGENCY}2019年政府信息公开工作年度报告.pdf"),
        ("loop.html", f"{B_AGENCY}2018年政府信息公开工作年度报告")) + pager)
    page2 = html("年报", links(("r2017.html", f"{B_AGENCY}2017年政府信息公开工作年度报告")) + pager)
    routes: dict[str, Resp | list[Resp]] = {
        "/xxgk/nb/index.html": Resp(listing),
        "/xxgk/nb/index_1.html": Resp(page2),
        "/xxgk/nb/r2023.html": [Resp(b"", status=500), Resp(sample_html(B_AGENCY, 2023))],
        "/xxgk/nb/r2022.html": [Resp(b"", status=429, headers={"Retry-After": "1"}), Resp(sample_html(B_AGENCY, 2022))],
        "/xxgk/nb/r2021.html": Resp(sample_html(B_AGENCY, 2021), stall=1.0),
        "/xxgk/nb/big.pdf": Resp(b"%PDF-1.4\n" + b"0" * 300_000, content_type="application/pdf"),
        "/xxgk/nb/cut.pdf": Resp(pdf_bytes("cut"), content_type="application/pdf", declared_length=10_000),
        "/xxgk/nb/loop.html": Resp(status=302, headers={"Location": "/xxgk/nb/loop2.html"}),
        "/xxgk/nb/loop2.html": Resp(status=302, headers={"Location": "/xxgk/nb/loop.html"}),
        "/xxgk/nb/r2017.html": Resp(sample_html(B_AGENCY, 2017)),
    }
    return FakeSite(routes)


def site_g() -> FakeSite:
    index = html("年度报告", "<script>window._CONFIG = {SID: '77', TREE: []};</script>")
    articles = {"articles": [
        {"title": "某某区2023年政府信息公开工作年度报告", "url": "/qx/gkmlpt/content/1/1/post_101.html"},
        {"title": "某某区2023年政府信息公开工作年度报告解读", "url": "/qx/gkmlpt/content/1/1/post_102.html"}],
        "total": 2}
    return FakeSite({
        "/robots.txt": Resp(b"", status=404),
        "/qx/gkmlpt/annualreport": Resp(index),
        "/qx/gkmlpt/api/all/2629?page=1&sid=77": Resp(json.dumps(articles, ensure_ascii=False).encode(),
                                                      content_type="application/json"),
        "/qx/gkmlpt/api/all/2629?page=2&sid=77": Resp(b'{"articles": []}', content_type="application/json"),
        "/qx/gkmlpt/content/1/1/post_101.html": Resp(sample_html("某某区人民政府", 2023)),
    })
