"""Rows -> cells: placing value cells, labels to keys, unlabeled rows, template detection."""

from __future__ import annotations

from parsers import parse
from parsers.records import fit_options, label_key, row_adds_up
from parsers.templates import T3_COLUMNS, T3_ROWS


def test_fillers_at_one_end_have_one_placement():
    assert fit_options(["", "", "1", "0", "0", "0", "0", "0", "1"], 7) == [("1", "0", "0", "0", "0", "0", "1")]
    assert fit_options(["32", "2", "0", "0", "0", "0", "34", ""], 7) == [("32", "2", "0", "0", "0", "0", "34")]


def test_fillers_at_both_ends_keep_only_placements_that_add_up():
    values = ["", "5", "", "", "", "", "5", ""]
    assert fit_options(values, 7) == [("", "5", "", "", "", "", "5"), ("5", "", "", "", "", "5", "")]
    assert fit_options(values, 7, row_adds_up) == fit_options(values, 7)
    assert fit_options(["", "5", "", "", "", "", "6", ""], 7, row_adds_up) == [("5", "", "", "", "", "6", "")]


def test_label_variants_reach_one_key():
    for label in ("（三）不予公开 3．危及“三安全一稳定”", "3、危及\"三安全一稳定\"", "危及 三安全 一稳定"):
        assert label_key(label) == ("t3", "denied.security_stability")
    assert label_key("规章(设区的市、自治州人民政府应提供相关数据)") == ("t2", "rules")
    assert label_key("行政规范性文件") == ("t2", "normative_docs")
    assert label_key("3.其他") == ("t3", "other.other")
    assert label_key("其他") == (None, None)
    assert label_key("其他主动公开文件") == (None, None)


def _expanded_page(carried_over_cells: str) -> bytes:
    """A 2019 表三 as expanded-span text: a label, a filler, then the 7 values."""
    lines = ["示例局2020年政府信息公开工作年度报告", "第二十条第（一）项", "| 信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |"]
    for spec in T3_ROWS:
        if "2019" not in spec.templates:
            continue
        if spec.key == "carried_over":
            lines.append(f"| {spec.label} |{carried_over_cells}|")
            continue
        value = "1" if spec.key in ("new_received", "granted", "results_total") else "0"
        lines.append(f"| {spec.label} |  | {value} | 0 | 0 | 0 | 0 | 0 | {value} |")
    return "\n".join(lines).encode()


def test_a_row_with_fillers_at_both_ends_is_placed_like_its_table():
    report = parse(_expanded_page("  | 0 |  |  |  |  |  |  "), "expanded.txt")
    t3 = report.to_record()["t3"]
    assert t3["carried_over"] == dict.fromkeys(t3["carried_over"], 0) and t3["new_received"]["natural_person"] == 1
    cell = next(c for c in report.cells if c.row == "carried_over" and c.col == "natural_person")
    assert cell.raw == "0" and cell.kind == "number"
    assert any("t3.carried_over: empty cells at both ends" in w for w in report.warnings)


def test_a_row_nothing_can_place_is_null_and_named():
    report = parse(_expanded_page("  |  | 5 |  |  |  |  |  |  |  "), "expanded.txt")  # no other row this wide
    assert report.to_record()["t3"]["carried_over"]["natural_person"] is None
    assert any("t3.carried_over.natural_person" in w and "left null" in w for w in report.warnings)
    assert 5 in report.undecided["t3.carried_over.natural_person"]


def test_a_row_whose_placements_all_read_zero_is_zero():
    report = parse(_expanded_page("  |  | 0 |  |  |  |  |  |  |  "), "expanded.txt")  # every placement: 0
    assert report.to_record()["t3"]["carried_over"] == dict.fromkeys(T3_COLUMNS, 0)
