"""parsers.sections: numbered prose sections and the 信息处理费 the prose states (synthetic texts)."""

from __future__ import annotations

import pytest

from parsers import parse
from parsers.labels import normalize_text
from parsers.sections import known_key, numeral_value, processing_fee, split_sections

PROBLEMS = "一是解读形式单一；二是更新不够及时。下一步，我们将加强培训。"

LINES = f"""某县水利局2022年政府信息公开工作年度报告
一、总体情况
2022年，某县水利局持续深化政务公开。
二、主动公开政府信息情况（表）
| 规章 | 0 | 0 | 0 |
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量
二、上年结转政府信息公开申请数量
四、结转下年度继续办理
四、因政府信息公开工作被申请行政复议和提起行政诉讼情况
本年度无行政复议。
五、存在的问题及改进措施
{PROBLEMS}
六、其他需要报告的事项
本年度共收取信息处理费1.2万元。
七、附件说明
见附件。
"""


def titles(text: str) -> list[tuple[int, str, str | None]]:
    return [(s.number, s.title, s.key) for s in split_sections(normalize_text(text))]


def test_line_headings_in_order_and_table_labels_skipped():
    found = titles(LINES)
    assert [n for n, _, _ in found] == [1, 2, 3, 4, 5, 6, 7]
    assert [k for _, _, k in found] == ["overview", "proactive", "requests", "appeals", "problems",
                                        "other_matters", None]
    assert found[3][1] == "因政府信息公开工作被申请行政复议和提起行政诉讼情况"
    sections = split_sections(normalize_text(LINES))
    assert "|" not in sections[1].text and sections[1].text == ""
    assert sections[4].text == normalize_text(PROBLEMS)
    assert "结转下年度" in sections[2].text  # the table's row labels stay in section 三, not a section of their own


def test_glued_text_uses_template_titles_only():
    glued = "".join(line for line in LINES.splitlines() if not line.startswith("|"))
    found = titles(glued)
    assert [k for _, _, k in found] == ["overview", "proactive", "requests", "appeals", "problems", "other_matters"]
    assert found[0][1] == "总体情况"
    assert split_sections(normalize_text(glued))[0].text.startswith("2022年")


def test_markdown_headings_and_missing_number():
    md = "# 报告\n\n## 一、概述\n\n正文一。\n\n## 二、主动公开政府信息情况\n\n正文二。\n\n## 四、其他需要报告的事项\n\n正文四。\n"
    assert titles(md) == [(1, "概述", "overview"), (2, "主动公开政府信息情况", "proactive"),
                          (4, "其他需要报告的事项", "other_matters")]


def test_no_heading_no_section():
    assert split_sections("本机关2022年未收到申请。\n（一）主动公开。") == []
    assert titles("三、其他需要报告的事项\n正文") == []  # numbering must start at 一


@pytest.mark.parametrize(("text", "value"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23),
                                             ("一一", None), ("", None), ("甲", None)])
def test_numeral_value(text, value):
    assert numeral_value(text) == value


def test_known_key_ignores_spaces_and_rejects_other_titles():
    assert known_key("存在的主要问题 及改进情况") == "problems"
    assert known_key("工作机制保障") is None


@pytest.mark.parametrize(("text", "fee"), [
    ("本年度共收取信息处理费1.2万元。", 12000.0),
    ("全年收取信息处理费共计380元，其中民政局1件。", 380.0),
    ("本年度未发出收费通知，未收取信息处理费。", 0.0),
    ("2022年，无收取信息处理费情况。", 0.0),
    ("发出收费通知0件，收取信息处理费0元。", 0.0),
    ("依法落实信息处理费有关规定。", None),
    ("收取信息处理费100元。另收取信息处理费200元。", None),  # two amounts: the prose does not decide
])
def test_processing_fee(text, fee):
    assert processing_fee(normalize_text(text)) == fee


def test_parse_fills_sections_and_record():
    report = parse(LINES.encode("utf-8"), "lines.txt")
    record = report.to_record()
    assert [s["number"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6, 7]
    assert record["sections"][5]["key"] == "other_matters"


def test_sections_of_reference_reports(shared_file):
    report = parse(shared_file("corpus/raw/2022-pingtan-txt.txt").read_bytes(), "2022-pingtan-txt.txt")
    keys = [s.key for s in report.sections]
    assert keys[:3] == ["overview", "proactive", "requests"] and keys[-2:] == ["problems", "other_matters"]
    assert processing_fee(report.sections[-1].text) == 0.0
