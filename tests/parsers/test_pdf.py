"""PDF reports, generated here (reportlab, CJK CID font; tests/synth_docs.py), read back cell for cell.

Layouts: 表四 headers on one line, on two lines, or one character per line; 表三 continuing on
the next page with its merged group label cut by the break (printed empty, or as two fragments);
a 表三 row printed in two parts across the break; merged label cells throughout; page numbers.
Plus the stitching step on hand-made grids, and the real PDFs of ../shared (where present).
"""

from __future__ import annotations

from functools import cache

import pytest

from parsers import parse, pdf
from tests.parsers.test_shapes import META_FIELDS, cell_problems, flat_cells, named
from tests.synth import make_report
from tests.synth_docs import render_pdf

LAYOUTS = {
    "one_line_t4": {"t4_header": "plain"},
    "two_line_t4": {"t4_header": "two_line"},
    "vertical_t4": {"t4_header": "vertical"},
    "t3_over_two_pages": {"break_t3": "group"},
    "t3_label_in_fragments": {"break_t3": "group", "fragment": True, "t4_header": "vertical"},
    "t3_row_split": {"break_t3": "row", "t4_header": "two_line"},
    "t2_and_t3_over_pages": {"break_t2": True, "break_t3": "group", "fragment": True},
}
OPTIONS = {
    "plain": {},
    "blank_zeros": {"blank_zeros": True},
    "variants_extra": {"label_variants": True, "extra_row": True, "blank_zeros": True},
    "zero_heavy": {"zero_heavy": True},
    "single_other": {"single_other": True},
    "blank_totals": {"blank_totals": True},
}


@cache
def _case(template: str, seed: int, option: str, layout: str):
    report = make_report(template, seed, **OPTIONS[option])
    raw = render_pdf(report, **LAYOUTS[layout])
    return report, raw, parse(raw, f"synthetic-{layout}.pdf")


CASES = [pytest.param(t, s, o, lay, id=f"{t}-s{s}-{o}-{lay}")
         for t in ("2019", "2021") for s, o in ((1, "plain"), (2, "blank_zeros"), (3, "variants_extra"))
         for lay in LAYOUTS]
CASES += [pytest.param(t, 4, o, lay, id=f"{t}-s4-{o}-{lay}") for t in ("2019", "2021")
          for o in ("zero_heavy", "single_other", "blank_totals") for lay in ("two_line_t4", "t3_label_in_fragments")]


@pytest.mark.parametrize(("template", "seed", "option", "layout"), CASES)
def test_every_cell_and_the_metadata_come_back(template, seed, option, layout):
    report, _, parsed = _case(template, seed, option, layout)
    record = parsed.to_record()
    assert record["format"] == "pdf"
    assert cell_problems(report, record, "pdf") == []
    assert {f: record[f] for f in META_FIELDS} == {f: report["expected"][f] for f in META_FIELDS}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_record_names_the_pages_of_each_table(layout):
    _, _, parsed = _case("2021", 1, "plain", layout)
    t2 = [1, 2] if LAYOUTS[layout].get("break_t2") else [1]
    t3 = [t2[-1] + 1, t2[-1] + 2] if "break_t3" in LAYOUTS[layout] else [t2[-1] + 1]
    # 表三 starts a page and, when split, goes on to the next, where 表四 follows it
    assert parsed.to_record()["pages"] == {"t2": t2, "t3": t3, "t4": [t3[-1]]}


def test_a_consistent_pdf_report_passes_every_check():
    _, _, parsed = _case("2019", 1, "plain", "t3_label_in_fragments")
    assert [c["ok"] for c in parsed.checks] == [True, True, True, True]


def test_the_extra_row_is_kept_aside_from_a_pdf():
    _, _, parsed = _case("2021", 3, "variants_extra", "vertical_t4")
    assert [(r["table"], r["labels"]) for r in parsed.extra_rows] == [("t2", ["其他主动公开文件"])]


def test_the_cut_group_label_is_whole_again_after_stitching():
    _, raw, _ = _case("2019", 1, "plain", "t3_label_in_fragments")
    tables = pdf.read_tables(raw)
    upper, lower = next((a, b) for a, b in zip(tables, tables[1:], strict=False) if pdf.continues(a, b))
    assert (upper.grid[-1][1], lower.grid[0][1]) == ("（四）无", "法提供")  # as printed
    pdf.stitch(tables)
    assert (upper.grid[-1][1], lower.grid[0][:2]) == ("（四）无法提供", [None, None])


def test_a_row_split_by_the_page_break_is_joined():
    report, raw, _ = _case("2021", 1, "plain", "t3_row_split")
    tables = pdf.stitch(pdf.read_tables(raw))
    rows = [r for t in tables for r in pdf.table_rows(t)]
    carried = [r for r in rows if "上年结转" in "".join(r.labels)]
    assert len(carried) == 1
    assert carried[0].labels == ["二、上年结转政府信息公开申请数量"]
    assert carried[0].values == [str(v) for v in report["expected"]["t3"]["carried_over"].values()]


# ---- tables drawn without lines: the page text is all there is ---------------------------------


def null_is_named(record: dict, name: str) -> bool:
    """A null cell is named in a warning, or its row is listed as not found, or 表四 as missing."""
    table, key = name.split(".", 1)
    row = key.rsplit(".", 1)[0]
    return named(record["warnings"], name) or any(
        (w.startswith(f"{table}: rows not found") and row in w.split(": ", 2)[-1].split(", "))
        or (table == "t4" and w.startswith("t4: the 表四 values were not found")) for w in record["warnings"])


UNRULED = [pytest.param(t, s, h, id=f"{t}-s{s}-{h}") for t in ("2019", "2021") for s in (1, 2) for h in ("vertical", "two_line")]


@pytest.mark.parametrize(("template", "seed", "header"), UNRULED)
def test_an_unruled_report_is_read_from_its_lines(template, seed, header):
    report = make_report(template, seed)
    record = parse(render_pdf(report, ruled=False, t4_header=header), "unruled.pdf").to_record()
    assert cell_problems(report, record, "pdf") == []  # wrapped labels, one-character 表四 headers
    assert {f: record[f] for f in META_FIELDS} == {f: report["expected"][f] for f in META_FIELDS}
    assert record["pages"] == {"t2": [1], "t3": [2], "t4": [2]}


@pytest.mark.parametrize("option", ["blank_zeros", "blank_totals"])
@pytest.mark.parametrize("template", ["2019", "2021"])
def test_unruled_blank_cells_leave_rows_null_never_shifted(template, option):
    report = make_report(template, 2, **OPTIONS[option])
    record = parse(render_pdf(report, ruled=False), "unruled.pdf").to_record()
    got, want = flat_cells(record), flat_cells(report["expected"])
    assert [k for k, v in want.items() if got.get(k) is not None and got[k] != v] == []
    assert [k for k in want if got.get(k) is None and not null_is_named(record, k)] == []
    assert any(v is None for v in got.values())  # a blank cell vanished from the text: that row is null


# ---- the stitching step on hand-made grids ---------------------------------------------------------


def _table(page: int, grid, xs=(50.0, 90.0, 200.0, 240.0)) -> pdf.PdfTable:
    return pdf.PdfTable(page, 1, grid, starts_page=page > 1, ends_page=page == 1, xs=list(xs), right=300.0)


def test_a_span_continued_at_the_top_of_a_page_becomes_covered():
    upper = _table(1, [["（三）不予公开", "1.属于国家秘密", "0", "0"]])
    lower = _table(2, [["", "2.其他法律行政法规禁止公开", "1", "1"]])
    pdf.stitch([upper, lower])
    assert lower.grid[0] == [None, "2.其他法律行政法规禁止公开", "1", "1"]


def test_a_header_at_the_top_of_the_next_page_is_left_alone():
    upper = _table(1, [["第二十条第（六）项", None, None, None]])
    lower = _table(2, [["信息内容", "本年处理决定数量", None, None], ["行政处罚", "5", None, None]])
    pdf.stitch([upper, lower])
    assert upper.grid[0][0] == "第二十条第（六）项" and lower.grid[0][0] == "信息内容"


def test_a_numbered_label_at_the_top_of_a_page_is_a_new_group_not_a_fragment():
    upper = _table(1, [[None, "（四）无法提供", "3.补正后申请内容仍不明确", "0"]])
    lower = _table(2, [["", "（五）不予处理", "1.信访举报投诉类申请", "2"]])
    pdf.stitch([upper, lower])
    assert upper.grid[0][1] == "（四）无法提供" and lower.grid[0][1] == "（五）不予处理"


def test_tables_with_other_columns_or_text_between_are_not_stitched():
    upper = _table(1, [["（四）无", "1.本机关不掌握相关政府信息", "3", "3"]])
    other = _table(2, [["", "法提供", "2.没有现成信息需要另行制作", "1"]], xs=(50.0, 70.0, 120.0, 260.0))
    assert not pdf.continues(upper, other)
    apart = _table(2, [["", "法提供", "1", "1"]])
    apart.starts_page = False  # a paragraph above it
    assert not pdf.continues(upper, apart)


def test_a_narrower_part_gets_covered_columns_where_its_merged_cells_hide_edges():
    upper = _table(1, [["二、上年结转政府", "", ""]], xs=(50.0, 200.0, 240.0))
    lower = _table(2, [["信息公开申请数量", None, "4", "4"]])
    pdf.stitch([upper, lower])
    assert upper.grid == [["二、上年结转政府信息公开申请数量", None, "4", "4"]]
    assert lower.grid == [[None, None, None, None]]


# ---- the real PDFs of ../shared ----------------------------------------------------------------------


def test_the_real_city_report_gets_its_label_cut_by_a_page_break_back(shared_file):
    raw = shared_file("corpus/raw/2024-huaian-city-pdf.pdf").read_bytes()
    labels = [r.labels for t in pdf.stitch(pdf.read_tables(raw)) for r in pdf.table_rows(t)]
    assert ["（四）无法提供", "1.本机关不掌握相关政府信息"] in labels
    assert not any("法提供" in "".join(lab) and "（四）" not in "".join(lab) for lab in labels)


@pytest.mark.parametrize("name", ["2023-huaian-hongze-pdf", "2024-huaian-hongze-pdf", "2024-huaian-city-pdf"])
def test_the_real_pdfs_name_their_table_pages(shared_file, name):
    report = parse(shared_file(f"corpus/raw/{name}.pdf").read_bytes(), name)
    assert report.error is None
    pages = report.pages
    assert set(pages) == {"t2", "t3", "t4"} and all(pages.values())
    assert max(pages["t2"]) <= min(pages["t3"]) and max(pages["t3"]) <= min(pages["t4"])
