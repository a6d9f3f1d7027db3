"""parsers.html: decoding, leaf-table grids, visible text, title (synthetic pages + real corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.html import decode_html, html_title, html_to_grids, html_to_text

RAW = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "raw"


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def only_grid(doc: str) -> list[list[str | None]]:
    grids = html_to_grids(doc)
    if len(grids) != 1:
        pytest.fail(f"expected one grid, got {len(grids)}")
    return grids[0]


# --- decode_html ----------------------------------------------------------------------------

AGENCY = "示例县镕城街道办事处"  # 镕 is in GBK/GB18030 but not in GB2312


def test_gbk_bytes_declared_gb2312_decode_as_gb18030():
    raw = page(f"<p>{AGENCY}</p>", '<meta charset="gb2312">').encode("gbk")
    text, enc = decode_html(raw)
    assert enc == "gb18030"
    assert AGENCY in text


def test_http_equiv_declaration():
    head = '<meta http-equiv="Content-Type" content="text/html; charset=GBK">'
    text, enc = decode_html(page(f"<p>{AGENCY}</p>", head).encode("gbk"))
    assert (enc, AGENCY in text) == ("gb18030", True)


def test_gbk_bytes_without_declaration():
    text, enc = decode_html(page(f"<p>{AGENCY}年度报告</p>").encode("gbk"))
    assert enc == "gb18030"
    assert AGENCY in text


def test_gbk_bytes_declared_utf8_come_out_right():
    raw = page(f"<p>{AGENCY}</p>", '<meta charset="utf-8">').encode("gbk")
    text, enc = decode_html(raw)
    assert enc == "gb18030"
    assert AGENCY in text


def test_utf8_bytes_without_declaration():
    text, enc = decode_html(page(f"<p>{AGENCY}</p>").encode("utf-8"))
    assert (enc, AGENCY in text) == ("utf-8", True)


def test_utf8_bytes_declared_gb2312_come_out_right():
    # A stale <meta> left over from an old template: valid UTF-8 wins over the declaration.
    raw = page(f"<p>{AGENCY}</p>", '<meta charset="gb2312">').encode("utf-8")
    text, enc = decode_html(raw)
    assert (enc, AGENCY in text) == ("utf-8", True)


def test_gbk_bytes_declared_latin1_come_out_right():
    raw = page(f"<p>{AGENCY}</p>", '<meta charset="iso-8859-1">').encode("gbk")
    text, enc = decode_html(raw)
    assert (enc, AGENCY in text) == ("gb18030", True)


def test_declared_big5_is_trusted():
    raw = page("<p>政府資訊公開</p>", '<meta charset="big5">').encode("big5")
    text, enc = decode_html(raw)
    assert (enc, "政府資訊公開" in text) == ("big5", True)


def test_utf8_bom_is_used_and_dropped():
    raw = b"\xef\xbb\xbf" + page(f"<p>{AGENCY}</p>", '<meta charset="gbk">').encode("utf-8")
    text, enc = decode_html(raw)
    assert enc == "utf-8"
    assert not text.startswith("\ufeff")
    assert AGENCY in text


def test_utf16_bom():
    text, enc = decode_html(page(f"<p>{AGENCY}</p>").encode("utf-16"))
    assert (enc, AGENCY in text) == ("utf-16", True)


def test_undecodable_bytes_do_not_crash():
    raw = b"<html><body>\x80\xff\xfe\x81 abc \xff</body></html>"
    text, enc = decode_html(raw)
    assert isinstance(text, str) and enc
    assert "abc" in text


def test_empty_bytes():
    assert decode_html(b"") == ("", "utf-8")


# --- html_to_grids --------------------------------------------------------------------------

def test_rowspan_colspan_expand_to_none_and_empty_stays_empty():
    doc = page(
        "<table>"
        "<tr><td rowspan='2' colspan='2'>A</td><td>B</td></tr>"
        "<tr><td>&nbsp;</td></tr>"
        "<tr><td>C</td><td></td><td>D</td></tr>"
        "</table>"
    )
    assert only_grid(doc) == [["A", None, "B"], [None, None, ""], ["C", "", "D"]]


def test_rowspan_in_middle_column_shifts_later_cells():
    doc = page(
        "<table><tr><td>a</td><td rowspan=2>b</td><td>c</td></tr>"
        "<tr><td>d</td><td>e</td></tr></table>"
    )
    assert only_grid(doc) == [["a", "b", "c"], ["d", None, "e"]]


def test_short_rows_end_at_their_last_cell():
    # Rows are not padded to the widest: a position no cell reaches is simply not there.
    doc = page("<table><tr><td>x</td><td>y</td><td>z</td></tr><tr><td>1</td></tr></table>")
    assert only_grid(doc) == [["x", "y", "z"], ["1"]]


def test_only_leaf_tables_in_document_order():
    doc = page(
        "<table><tr><td>layout header<table><tr><td>inner 1</td></tr></table></td>"
        "<td><table><tr><td>inner 2</td><td>x</td></tr></table></td></tr></table>"
        "<table><tr><td>last</td></tr></table>"
    )
    assert html_to_grids(doc) == [[["inner 1"]], [["inner 2", "x"]], [["last"]]]


def test_br_inside_label_becomes_one_space():
    doc = page("<table><tr><td>本年新<br/>制作数量</td><td>本年<br><br>新公开</td></tr></table>")
    assert only_grid(doc) == [["本年新 制作数量", "本年 新公开"]]


def test_nested_inline_runs_join_without_space_and_blocks_with_one():
    cell = (
        "<td><p><span style='x'>一、本年</span><span><font>新</font><b>收</b></span>"
        "政府信息公开申请数量</p></td>"
        "<td><p>商业</p><p>企业</p></td><td><div>科研</div>\n  <div>机构</div></td>"
    )
    assert only_grid(page(f"<table><tr>{cell}</tr></table>")) == [
        ["一、本年新收政府信息公开申请数量", "商业 企业", "科研 机构"]
    ]


def test_nbsp_and_ideographic_space_cells_are_empty_strings():
    doc = page(
        "<table><tr><td>&nbsp;</td><td>\u3000\u3000</td><td><p>&nbsp;0&nbsp;&nbsp;</p></td>"
        "<td><span>&#160;</span></td><td>\u200b</td></tr></table>"
    )
    assert only_grid(doc) == [["", "", "0", "", ""]]


@pytest.mark.parametrize("value", ["0", "abc", "-3", "", " 2x", "1000", "99999999999999999999"])
def test_bad_rowspans_do_not_crash_and_stay_inside_the_table(value):
    doc = page(
        f"<table><tr><td rowspan='{value}'>L</td><td>1</td></tr>"
        "<tr><td>2</td></tr><tr><td>3</td></tr></table>"
    )
    grid = only_grid(doc)
    assert len(grid) == 3
    assert grid[0] == ["L", "1"]
    assert [row[-1] for row in grid[1:]] == ["2", "3"]
    assert all(len(row) <= len(grid[0]) for row in grid)


def test_huge_rowspan_is_clamped_to_the_last_row():
    doc = page("<table><tr><td rowspan=1000>L</td><td>1</td></tr><tr><td>2</td></tr></table>")
    assert only_grid(doc) == [["L", "1"], [None, "2"]]


def test_huge_colspan_is_capped():
    grid = only_grid(page("<table><tr><td colspan=100000>wide</td></tr><tr><td>a</td></tr></table>"))
    assert len(grid[0]) == 50
    assert grid[0][0] == "wide" and set(grid[0][1:]) == {None}
    assert grid[1][0] == "a"


def test_zero_and_junk_colspans_read_as_one():
    doc = page("<table><tr><td colspan=0>a</td><td colspan='abc'>b</td><td colspan='2;'>c</td></tr></table>")
    assert only_grid(doc) == [["a", "b", "c", None]]


def test_overlapping_spans_keep_every_text():
    doc = page(
        "<table><tr><td>a</td><td rowspan=2>b</td></tr>"
        "<tr><td colspan=3>wide</td></tr></table>"
    )
    grid = only_grid(doc)
    assert grid[0][:2] == ["a", "b"]
    assert "wide" in grid[1] and "b" not in grid[1]


def test_thead_tbody_tfoot_and_th():
    doc = page(
        "<table><thead><tr><th>项目</th><th>数量</th></tr></thead>"
        "<tfoot><tr><td>合计</td><td>3</td></tr></tfoot>"
        "<tbody><tr><td>甲</td><td>1</td></tr><tr><td>乙</td><td>2</td></tr></tbody></table>"
    )
    assert only_grid(doc) == [["项目", "数量"], ["甲", "1"], ["乙", "2"], ["合计", "3"]]


def test_all_empty_rows_are_kept():
    doc = page("<table><tr><td>a</td></tr><tr><td></td></tr><tr></tr></table>")
    assert only_grid(doc) == [["a"], [""], []]


def test_script_and_comments_in_cells_are_ignored():
    doc = page("<table><tr><td>1<!-- 2 --><script>var x = 3;</script>4</td></tr></table>")
    assert only_grid(doc) == [["14"]]


def test_empty_and_odd_documents():
    assert html_to_grids("") == []
    assert html_to_grids("   ") == []
    assert html_to_grids("<p>no tables</p>") == []
    xml_decl = '<?xml version="1.0" encoding="gb2312"?>' + page("<table><tr><td>x</td></tr></table>")
    assert html_to_grids(xml_decl) == [[["x"]]]


def test_gbk_round_trip_keeps_every_row():
    rows = "".join(f"<tr><td>第{i}行</td><td>{i}</td></tr>" for i in range(400))
    raw = page(f"<table>{rows}</table>", '<meta charset="gb2312">').encode("gbk")
    text, _ = decode_html(raw)
    assert len(only_grid(text)) == 400


# --- html_to_text ---------------------------------------------------------------------------

META_PAGE = page(
    "<table class='meta'>"
    "<tr><td>索 引 号：</td><td>000000000/2021-00001</td><td>发布机构：</td><td>示例县示例局</td></tr>"
    "<tr><td>名&nbsp;&nbsp;称：</td><td colspan='3'>示例县示例局2020年政府信息公开工作年度报告</td></tr>"
    "<tr><td></td><td>&nbsp;</td></tr>"
    "</table>"
    "<div class='content'><p class='MsoListParagraph'><!--[if !supportLists]--><span>1.</span>"
    "<!--[endif]--><span>加强</span><span>组织领导</span></p>"
    "<!--[if gte mso 9]><xml><w:WordDocument>隐藏</w:WordDocument></xml><![endif]-->"
    "<script>document.write('脚本文字');</script><noscript>请启用脚本</noscript>"
    "<p>第一段<br>第二段</p><ul><li>甲</li><li>乙</li></ul>"
    "<table><tr><td>行政复议</td><td>&nbsp;</td><td>3</td></tr></table></div>",
    head="<title>示例页</title><style>p { color: red }</style>",
)


def test_text_keeps_metadata_rows_on_one_line():
    lines = html_to_text(META_PAGE).splitlines()
    assert lines[0] == "索 引 号： | 000000000/2021-00001 | 发布机构： | 示例县示例局 |"
    assert lines[1] == "名 称： | 示例县示例局2020年政府信息公开工作年度报告 |"


def test_text_blocks_comments_and_scripts():
    lines = html_to_text(META_PAGE).splitlines()
    assert lines[2:] == ["1.加强组织领导", "第一段", "第二段", "甲", "乙", "行政复议 | | 3 |"]
    text = "\n".join(lines)
    for hidden in ("脚本", "请启用", "隐藏", "color", "示例页", "supportLists"):
        assert hidden not in text


def test_text_of_layout_tables_splits_outer_cells():
    doc = page(
        "<table><tr><td>当前位置：首页</td><td><table><tr><td>规章</td><td>0</td></tr></table></td></tr>"
        "<tr><td>来源：示例局</td></tr></table>"
    )
    assert html_to_text(doc).splitlines() == ["当前位置：首页", "规章 | 0 |", "来源：示例局 |"]


def test_text_collapses_blank_lines_and_spaces():
    doc = page("<div>\n\n  a \u3000 b  \n</div><p></p><p>&nbsp;</p><div>c</div>")
    assert html_to_text(doc) == "a b\nc"


def test_tables_and_rows_end_lines_even_when_empty():
    doc = page("<span>a</span><table><tr><td>1</td></tr></table><span>b</span>"
               "<div>c<table><tr><td></td></tr></table>d</div>")
    assert html_to_text(doc).splitlines() == ["a", "1 |", "b", "c", "d"]


def test_nested_tables_grids_and_text_in_document_order():
    doc = page("<table><tr><td>外<table><tr><td>内</td><td rowspan=2>1</td></tr><tr><td>2</td></tr></table>"
               "</td><td>尾</td></tr><tr><td>下</td></tr></table>")
    assert html_to_grids(doc) == [[["内", "1"], ["2", None]]]
    assert html_to_text(doc).splitlines() == ["外", "内 | 1 |", "2 |", "尾", "下 |"]


def test_text_of_empty_document():
    assert html_to_text("") == ""


# --- html_title -----------------------------------------------------------------------------

def test_title():
    assert html_title(page("", "<title>\n  示例县2020年度\n报告 </title>")) == "示例县2020年度 报告"
    assert html_title(page("<p>x</p>")) is None
    assert html_title(page("", "<title> </title>")) is None
    assert html_title("") is None
    assert html_title("<title>A &amp; B</title><p>body") == "A & B"


# --- the real pages in /work/shared/corpus/raw ----------------------------------------------

T3_LABELS_2019 = (
    "本年新收", "上年结转", "予以公开", "部分公开", "国家秘密", "其他法律行政法规禁止公开", "三安全",
    "保护第三方合法权益", "三类内部事务", "四类过程性", "行政执法案卷", "行政查询事项", "不掌握",
    "没有现成信息", "补正后申请内容仍不明确", "信访举报投诉", "重复申请", "公开出版物",
    "无正当理由大量反复申请", "重新出具", "其他处理", "总计", "结转下年度",
)
T3_LABELS_2021 = (*T3_LABELS_2019, "逾期不补正", "收费通知", "3.其他")


def load(name: str) -> str:
    path = RAW / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    text, enc = decode_html(path.read_bytes())
    assert enc == "utf-8"
    return text


def grid_with(grids: list, needle: str) -> list:
    found = [g for g in grids if any(needle in (c or "") for row in g for c in row)]
    if len(found) != 1:
        pytest.fail(f"{len(found)} grids contain {needle!r}")
    return found[0]


def row_with(grid: list, label: str) -> list:
    rows = [row for row in grid if any(label in (c or "") for c in row)]
    if not rows:
        pytest.fail(f"no row with {label!r}")
    return rows[0]


REAL = [
    ("2019-pingtan-html.html", "平潭综合实验区2019年度政府信息公开工作年度报告", T3_LABELS_2019, 10),
    ("2021-pingtan-html.html", "平潭综合实验区2021年度政府信息公开工作年度报告", T3_LABELS_2021, 11),
    ("2024-pingtan-html.html", "平潭综合实验区2024年度政府信息公开工作年度报告", T3_LABELS_2021, 10),
    ("2019-shanghai-bgt-html.html", "2019年上海市人民政府办公厅政府信息公开工作年度报告", T3_LABELS_2019, 10),
    ("2023-shuyang-fgj-html.html", "沭阳县发展和改革局2023年政府信息公开年度报告", T3_LABELS_2021, 10),
]


@pytest.mark.parametrize(("name", "title", "labels", "width"), REAL)
def test_real_page_tables(name, title, labels, width):
    doc = load(name)
    assert html_title(doc).startswith(title)
    grids = html_to_grids(doc)
    assert len(grids) == 3  # one flat table each for 表二, 表三, 表四; no layout nesting
    t3 = grid_with(grids, "本年新收")
    assert len(t3[0]) == width
    for label in labels:
        row_with(t3, label)
    t4 = grid_with(grids, "行政复议")
    assert [len(t4), len(t4[0])] == [4, 15]
    assert all(c is not None for c in t4[3])  # the 表四 data row has a cell in every column


@pytest.mark.parametrize(("name", "title", "labels", "width"), REAL)
def test_real_page_text(name, title, labels, width):
    text = html_to_text(load(name))
    assert title[4:12] in text or title[:8] in text
    assert "二、主动公开政府信息情况" in text
    assert "<td" not in text and "<p" not in text and "<span" not in text  # no markup left over
    assert any(line.startswith("一、本年新收政府信息公开申请数量 |") for line in text.splitlines())


def test_shanghai_misaligned_colspans_and_blank_total():
    grids = html_to_grids(load("2019-shanghai-bgt-html.html"))
    t2, t3 = grids[0], grids[1]
    # 表二（五）: the header spans 本年增/减 over columns 2-3, the data spans 上一年 over 1-2.
    assert row_with(t2, "信息内容") == ["信息内容", "本年新 制作数量", "本年新 公开数量", None, "对外公开总数量"]
    assert row_with(t2, "行政许可") == ["行政许可", "0", None, "0", "0"]
    assert row_with(t2, "政府集中采购") == ["政府集中采购", "6", None, "251000元", None]
    # 予以公开: the 总计 cell is printed blank, other blanks are "" too.
    assert row_with(t3, "予以公开")[3:] == ["258", "12", "", "", "1", "1", ""]
    assert row_with(t3, "本年新收") == ["一、本年新收政府信息公开申请数量", None, None, "821", "35", "", "", "2", "1", "859"]


def test_pingtan_2019_split_rowspan_and_amount():
    grids = html_to_grids(load("2019-pingtan-html.html"))
    t2, t3 = grids[0], grids[1]
    assert row_with(t2, "政府集中采购")[:3] == ["政府集中采购", "135", "75394432.52元"]
    # 三、本年度办理结果 is printed twice (two rowspan=10 cells, the table was split in Word).
    assert [row[0] for row in t3].count("三、本年度办理结果") == 2
    assert row_with(t3, "（三）不予公开")[:3] == [None, "（三）不予公开", "1.属于国家秘密"]
    assert row_with(t3, "（七）总计")[3:] == ["23", "0", "0", "0", "0", "0", "23"]


def test_pingtan_2021_extra_column_from_uneven_headers():
    t3 = html_to_grids(load("2021-pingtan-html.html"))[1]
    # 自然人 spans two columns and 商业企业 two more, overlapping by one: 11 columns, data
    # aligned under the sub-headers (商业企业 covers columns 4-5).
    assert t3[1][3:6] == ["自然人", None, "法人或其他组织"]
    assert t3[2][3:6] == ["", "商业 企业", None]
    assert row_with(t3, "本年新收")[3:] == ["64", "0", None, "0", "2", "0", "4", "70"]


def test_pingtan_2024_text_metadata_and_review_row():
    doc = load("2024-pingtan-html.html")
    lines = html_to_text(doc).splitlines()
    assert "来源：平潭综合实验区管委会办公室" in lines
    assert "时间：2025-03-10 15:35" in lines
    assert "2 | 1 | 3 | 1 | 7 | 0 | 0 | 0 | 0 | 0 | 13 | 2 | 4 | 0 | 19 |" in lines


def test_shuyang_blank_cells_and_signature():
    doc = load("2023-shuyang-fgj-html.html")
    t3 = html_to_grids(doc)[1]
    assert row_with(t3, "本年新收")[3:] == ["26", "", "", "", "", "", "26"]
    lines = html_to_text(doc).splitlines()
    assert lines[-2:] == ["沭阳县发展和改革局", "2024年1月17日"]


def test_real_page_survives_gbk_encoding():
    # The same page served as gb2312 bytes: every row must survive decoding and parsing.
    doc = load("2019-shanghai-bgt-html.html")
    raw = doc.replace('charset="utf-8"', 'charset="gb2312"').encode("gb18030")
    text, enc = decode_html(raw)
    assert enc == "gb18030"
    assert html_to_grids(text) == html_to_grids(doc)
