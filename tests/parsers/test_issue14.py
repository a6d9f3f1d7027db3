"""Regression tests, one per case of issue 14 ("Read real reports exactly"), on synthetic fixtures."""

from __future__ import annotations

import pytest

from parsers import parse
from parsers.glued import TooManyReadings, cuts, glued_options
from parsers.scripts import attachment_links, html_in_scripts, unescape_js
from parsers.solver import COUNT, MONEY, Shape
from tests.synth import SHAPES, make_report, render_glued

ROW3 = Shape((COUNT,) * 3)
ROW7 = Shape((COUNT,) * 7, ((0, 6),))


def record(raw: bytes, **kw) -> dict:
    return parse(raw, "fixture", **kw).to_record()


def glued_doc(t2_line: str, prose: str = "") -> bytes:
    """A glued archived page (2019 template) whose 表二 licensing row is `t2_line`."""
    report = make_report("2019", 3)
    text = render_glued(report).decode()
    start = text.index("行政许可")
    end = text.index("其他对外管理服务事项")
    text = text[:start] + t2_line + text[end:]
    if prose:
        text = text.replace("一、总体情况", "一、总体情况" + prose, 1)
    return text.encode()


# ---- 1. a number is stated only when the text decides it ----------------------------------------


def test_blank_cell_readings_215_is_undecided_and_named():
    assert ("2", "", "15") in cuts("215", ROW3, totals=False)
    assert ("21", "", "5") in cuts("215", ROW3, totals=False)
    r = parse(glued_doc("行政许可215"), "fixture")
    assert r.t2()["licensing.prev_items"] is None and r.t2()["licensing.decisions"] is None
    cell = next(c for c in r.cells if c.key == "licensing.change")
    assert cell.kind == "undecided"
    assert any("t2.licensing.change" in w and "'215'" in w for w in r.warnings)
    assert {1, 0, 15} <= set(r.undecided["t2.licensing.change"]) | set(r.undecided["t2.licensing.decisions"])


def test_assume_filled_reads_215_as_2_1_5_marked_assumed():
    r = parse(glued_doc("行政许可215"), "fixture", glued="assume-filled")
    assert [r.t2()[f"licensing.{c}"] for c in ("prev_items", "change", "decisions")] == [2, 1, 5]
    assert {c.kind for c in r.cells if c.row == "licensing"} == {"assumed"}
    assert any("t2.licensing.prev_items" in w and "assume-filled" in w for w in r.warnings)


def test_glued_policy_is_checked():
    with pytest.raises(ValueError):
        parse(b"x", glued="guess")


def test_prose_number_settles_a_glued_t2_cell():
    r = parse(glued_doc("行政许可0494246"), "fixture")
    assert r.t2()["licensing.decisions"] is None
    # 规范性文件 from the prose: made = 69 picks the readings with 69 first
    report = make_report("2019", 3)
    text = render_glued(report).decode()
    start, end = text.index("规范性文件"), text.index("第二十条第（五）项")
    text = text[:start] + "规范性文件6969100" + text[end:]
    plain = parse(text.encode(), "fixture").t2()
    with_prose = parse(text.replace("一、总体情况", "一、总体情况本年度新制发规范性文件69件。", 1).encode(), "f").t2()
    assert plain["normative_docs.made"] is None
    assert with_prose["normative_docs.made"] == 69


def test_zeros_and_row_total_still_decide():
    assert glued_options("0000000", ROW7).cands == [("0",) * 7]
    options = glued_options("0 00000", ROW7)  # 6 zeros for 7 cells: one is blank, every reading is 0
    assert {options.values(c) for c in options.cands} == {(0,) * 7}


def test_misprinted_total_cannot_be_told_from_a_blank_total():
    t4 = Shape((COUNT,) * 15, ((0, 4), (5, 9), (10, 14)))
    options = glued_options("010000000000000", t4)
    assert options.one == tuple("010000000000000")


def test_long_digit_run_is_bounded_and_never_raises():
    with pytest.raises(TooManyReadings):
        cuts("9" * 400, ROW7)
    r = parse(glued_doc("行政许可" + "7" * 309), "fixture")
    assert r.error is None and r.t2()["licensing.decisions"] is None
    assert any("t2.licensing" in w and "not cut" in w for w in r.warnings)


# ---- 2. a pipe in the prose ------------------------------------------------------------------


def test_pipe_in_prose_of_glued_text_keeps_the_tables():
    report = make_report("2021", 4, prose_pipe=True)
    raw = render_glued(report)
    assert "|" in raw.decode()
    r = record(raw)
    assert r["template"] == "2021" and r["t3"]["new_received"] is not None
    assert r["t3"]["carried_over"]["natural_person"] is not None or any("carried_over" in w for w in r["warnings"])


# ---- 3. units in 表二 ---------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["政府集中采购 2笔 984361元", "政府集中采购1个246900元", "政府集中采购 3项 12.5万元"])
def test_count_unit_in_procurement(run):
    report = make_report("2019", 3)
    text = render_glued(report).decode()
    start, end = text.index("政府集中采购"), text.index("三、收到和处理")
    r = parse((text[:start] + run + text[end:]).encode(), "fixture")
    t2 = r.t2()
    assert t2["procurement.items"] in (2, 1, 3)
    assert t2["procurement.amount"] in (984361.0, 246900.0, 125000.0)
    assert not any(e["labels"] in (["笔"], ["个"], ["项"]) for e in r.extra_rows)


def test_count_with_unit_in_a_table_cell():
    report = make_report("2019", 5, t2_units=True)
    for shape in ("html", "row_lines", "markdown"):
        r = record(SHAPES[shape](report))
        assert r["t2"]["procurement.items"] == report["expected"]["t2"]["procurement.items"], shape


# ---- 4. empty rows in glued text ---------------------------------------------------------------


def test_empty_glued_rows_are_blank_not_the_next_ordinal():
    report = make_report("2021", 6, blank_rows=True, zero_heavy=True)
    r = parse(render_glued(report), "fixture")
    empty = [row for row, cols in report["expected"]["t3"].items() if not any(cols.values())]
    assert empty
    t3 = r.t3()
    assert all(t3[row] == dict.fromkeys(t3[row], 0) for row in empty)
    assert any("blank or dash cell(s) read as 0" in w for w in r.warnings)


# ---- 5. agency ---------------------------------------------------------------------------------


@pytest.mark.parametrize("printed", ["平潭网", "办公室", "云溪镇"])
def test_agency_prefers_the_title_over_a_website_or_fragment(printed):
    title = "澄溪县云溪镇人民政府2021年政府信息公开工作年度报告"
    raw = (f"标题: {title}\n发布机构: {printed}\n" + render_glued(make_report("2021", 2)).decode()
           .split("==================== 正文 ====================")[1]).encode()
    r = record(raw)
    assert r["agency"] == "澄溪县云溪镇人民政府"
    assert r["agency_printed"] == printed


def test_agency_keeps_a_real_publisher():
    r = record(SHAPES["html"](make_report("2021", 2)))
    assert r["agency"] == make_report("2021", 2)["agency"] and r["agency_printed"] is None


# ---- 6. 表四 in every layout --------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["seed_text", "html", "row_lines", "expanded", "markdown"])
@pytest.mark.parametrize("opts", [{"t4_full_header": True}, {"t4_blank": "all"}, {"t4_blank": "lead"},
                                  {"t4_full_header": True, "t4_blank": "all"}], ids=str)
def test_t4_full_width_header_and_blank_cells(shape, opts):
    report = make_report("2019", 8, **opts)
    r = record(SHAPES[shape](report))
    assert r["t4"] == report["expected"]["t4"]


# ---- 7. control characters ---------------------------------------------------------------------


def test_nul_bytes_in_html_cells_are_removed():
    report = make_report("2021", 3)
    raw = SHAPES["html"](report).replace(b"<td", b"<td\x00", 40).replace(b"</span></p></td>", b"\x00</span></p></td>")
    assert b"\x00" in raw
    r = record(raw)
    assert r["t3"] == report["expected"]["t3"] and r["t4"] == report["expected"]["t4"]


def test_control_characters_in_text_are_removed():
    report = make_report("2021", 3)
    raw = SHAPES["row_lines"](report).replace(b" |", b"\x07 |\x00", 20)
    r = record(raw)
    assert r["t3"] == report["expected"]["t3"]


# ---- 8. bodies inside scripts ------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])  # JSON value with \\uXXXX and <\\/td>; `let content = "…"`
def test_report_body_in_a_script_string(seed):
    report = make_report("2019", seed)
    raw = SHAPES["script"](report)
    assert b"<table" not in raw.split(b"<script>")[0]
    r = record(raw)
    assert {k: r[k] for k in ("t2", "t3", "t4")} == {k: report["expected"][k] for k in ("t2", "t3", "t4")}


def test_script_helpers():
    assert unescape_js(r"a\"b<\/td>\u8868\n") == 'a"b</td>表\n'
    page = '<script>var d = {"content": "<table><tr><td>1<\\/td><\\/tr><\\/table>", "f": "/a/nb.PDF?x=1"};' \
           "let w = '/b/c.docx'; let x = 'no.html';</script>"
    assert html_in_scripts(page).count("<table>") == 1
    assert attachment_links(page) == ["/a/nb.PDF?x=1", "/b/c.docx"]
    assert html_in_scripts("<p>no script</p>") is None


def test_money_and_count_shapes_of_the_cutter():
    assert cuts("2笔 984361元", Shape((COUNT, MONEY))) == [("2笔", "984361元")]


def test_a_double_hyphen_cell_in_glued_text_is_a_dash_not_a_crash():
    """`--` is a dash cell (glued.py's marks allow one or two): it reads as 0 and the document is
    read, where it used to stop the whole parse with a ValueError."""
    options = glued_options("00--011", ROW7)
    assert options.cands and all(options.values(c)[2] == 0 for c in options.cands if c[2] == "--")
    r = parse(glued_doc("行政许可1--2"), "fixture")
    assert r.error is None
    assert [r.t2()[f"licensing.{c}"] for c in ("prev_items", "change", "decisions")] == [1, 0, 2]
    assert next(c for c in r.cells if c.key == "licensing.change").kind == "dash"
