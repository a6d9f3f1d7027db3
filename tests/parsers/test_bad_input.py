"""Bad input: one clear line in `error`, never an exception, never invented numbers."""

from __future__ import annotations

import pytest

from parsers import parse, sniff_format


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty file"),
        (b"   \n\t  ", "empty file"),
        (bytes(range(256)) * 40, "binary"),
        (b"PK\x03\x04" + b"\x00" * 100 + b"word/document.xml", "unreadable DOCX"),
        (b"%PDF-1.4\n%broken", "unreadable PDF"),
    ],
    ids=["empty", "whitespace", "binary-junk", "docx", "truncated-pdf"],
)
def test_unreadable_documents_get_one_line_errors(raw, message):
    report = parse(raw, "bad.file")
    assert report.error is not None and message in report.error
    assert report.error.startswith("bad.file: ") and "\n" not in report.error
    record = report.to_record()
    assert record["t3"] is None and record["t2"] is None


def test_oversized_document_is_refused_before_reading():
    report = parse(b"x" * 2048, "big.html", max_bytes=1024)
    assert "over the" in report.error


def test_page_without_a_report_is_not_a_report():
    report = parse("<html><body><p>天气预报：晴</p></body></html>".encode(), "weather.html")
    assert "no government information-disclosure report" in report.error


def test_report_with_tables_as_images_gets_no_template_and_no_numbers():
    page = ("<html><head><title>示例县2022年政府信息公开工作年度报告</title></head><body>"
            "<p>二、主动公开政府信息情况</p><img src='t2.png'><p>三、收到和处理政府信息公开申请情况</p>"
            "<img src='t3.png'><p>四、政府信息公开行政复议、行政诉讼情况</p><img src='t4.png'></body></html>")
    report = parse(page.encode(), "images.html")
    assert report.error is None and report.template is None and report.cells == []
    assert report.year == 2022
    assert any("tables not found" in w for w in report.warnings)


def test_truncated_page_keeps_what_it_has_and_nulls_the_rest():
    rows = "".join(f"<tr><td>{label}</td>" + "<td>1</td>" * 6 + "<td>6</td></tr>"
                   for label in ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
                                 "（二）部分公开", "1.属于国家秘密", "2.其他法律行政法规禁止公开"))
    page = f"<html><body><p>示例局2020年政府信息公开工作年度报告</p><table>{rows}"  # cut mid-table
    report = parse(page.encode(), "cut.html")
    assert report.error is None
    t3 = report.to_record()["t3"]
    assert t3["granted"]["total"] == 6 and t3["carried_forward"]["total"] is None
    assert any("rows not found" in w for w in report.warnings)


def test_sniffing_ignores_the_file_name():
    assert sniff_format(b"<html><body>x</body></html>") == "html"
    assert sniff_format("一、总体情况".encode()) == "text"
    assert sniff_format(b"%PDF-1.7") == "pdf"


def test_bad_cell_policy_fail_refuses_a_report_with_undecided_cells():
    glued = ("2020年示例局政府信息公开工作年度报告 二、主动公开政府信息情况 第二十条第（一）项信息内容"
             "本年新制作数量本年新公开数量对外公开总数量规章000规范性文件898989").encode()
    kept = parse(glued, "g.txt")
    assert kept.error is None and kept.to_record()["t2"]["normative_docs.made"] is None
    refused = parse(glued, "g.txt", bad_cells="fail")
    assert refused.error.startswith("g.txt: 3 undecided cell(s) could not be read")
    with pytest.raises(ValueError):
        parse(glued, "g.txt", bad_cells="guess")
