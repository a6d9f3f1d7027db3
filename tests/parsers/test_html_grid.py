"""parsers.html grids: the row-by-row span layout against a plain reference, and the size caps
(hostile span tables end as bounded grids with a warning, or one error line naming the limit)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import parsers
from parsers.html import MAX_GRID_CELLS, MAX_PAGE_CELLS, html_to_grids, lay_out, read_html
from tests.synth import make_report, render_html

# --- the layout against a reference -------------------------------------------------------------


def reference_layout(rows: list[list[tuple[str, int, int]]]) -> list[list[str | None]]:
    """The plain way: every position a cell covers marked in a dict, first come first served."""
    taken: dict[tuple[int, int], str | None] = {}
    for r, cells in enumerate(rows):
        c = 0
        for text, rowspan, colspan in cells:
            while (r, c) in taken:
                c += 1
            for rr in range(r, min(r + rowspan, len(rows))):
                for cc in range(c, c + colspan):
                    taken.setdefault((rr, cc), None)
            taken[(r, c)] = text
            c += colspan
    grid = []
    for r in range(len(rows)):
        width = max((c + 1 for rr, c in taken if rr == r), default=0)
        grid.append([taken.get((r, c)) for c in range(width)])
    return grid


TEXTS = st.sampled_from(["", "a", "b", "0", "12", "合计"])
CELLS = st.tuples(TEXTS, st.sampled_from([1, 1, 1, 2, 3, 999999]), st.sampled_from([1, 1, 1, 2, 4]))
TABLES = st.lists(st.lists(CELLS, max_size=5), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(TABLES)
def test_layout_matches_the_reference(rows):
    grid, used = lay_out(rows)
    assert grid == reference_layout(rows)
    assert used == sum(map(len, grid))


def table_html(rows: list[list[tuple[str, int, int]]]) -> str:
    def td(text: str, rowspan: int, colspan: int) -> str:
        attrs = (f" rowspan={rowspan}" if rowspan > 1 else "") + (f" colspan='{colspan}'" if colspan > 1 else "")
        return f"<td{attrs}><p><span>{text}</span></p></td>"

    body = "".join("<tr>" + "".join(td(*cell) for cell in cells) + "</tr>" for cells in rows)
    return f"<html><body><p>前言</p><table><tbody>{body}</tbody></table></body></html>"


@settings(max_examples=150, deadline=None)
@given(TABLES)
def test_page_grids_match_the_reference(rows):
    assert html_to_grids(table_html(rows)) == [reference_layout(rows)]


def test_covered_positions_are_none_and_printed_empty_cells_empty_strings():
    rows = [[("A", 2, 2), ("", 1, 1)], [("", 1, 1)], [("x", 1, 3)]]
    assert lay_out(rows)[0] == [["A", None, ""], [None, None, ""], ["x", None, None]]


# --- caps ---------------------------------------------------------------------------------------

def positions(grids: list[list[list]]) -> int:
    return sum(len(row) for grid in grids for row in grid)


STAIRCASE = "".join("<tr><td rowspan=999999>1</td><td>2</td></tr>" for _ in range(10_000))  # 20,000 cells
WIDE = "".join("<tr>" + "<td colspan=50>x</td>" * 200 + "</tr>" for _ in range(700))  # 2.7 MB of markup


def test_a_staircase_of_endless_rowspans_stops_at_the_grid_limit():
    page = read_html(f"<table>{STAIRCASE}</table>")
    assert len(page.grids) == 1
    assert 0 < positions(page.grids) <= MAX_GRID_CELLS
    assert page.grids[0][0] == ["1", "2"]
    assert page.warnings == [f"html table 1: rows {len(page.grids[0]) + 1}-10000 not read: "
                             f"its spans cover over {MAX_GRID_CELLS:,} grid positions"]


def test_megabytes_of_wide_colspans_stop_at_the_grid_limit():
    doc = f"<table>{WIDE}</table>"
    assert len(doc) > 2_700_000
    page = read_html(doc)
    assert 0 < positions(page.grids) <= MAX_GRID_CELLS
    assert page.grids[0][0][:3] == ["x", *[None] * 2] and len(page.grids[0][0]) == 200 * 50
    assert len(page.warnings) == 1 and f"{MAX_GRID_CELLS:,}" in page.warnings[0]


def test_one_wide_row_over_many_narrow_ones_is_read_without_padding():
    doc = "<table><tr>" + "<td colspan=50>x</td>" * 400 + "</tr>" + "<tr><td>1</td></tr>" * 5000 + "</table>"
    page = read_html(doc)
    assert page.warnings == []
    assert positions(page.grids) == 400 * 50 + 5000


def test_the_page_limit_stops_later_tables():
    table = "<table>" + "<tr><td>a</td><td>b</td></tr>" * 30 + "</table>"
    page = read_html(table * 5, max_grid_cells=1000, max_page_cells=150)
    assert [len(g) for g in page.grids] == [30, 30, 15]
    assert page.warnings == ["html table 3: rows 16-30 not read: its spans cover over 30 grid positions",
                             "html tables 4-5 not read: the page's tables cover over 150 grid positions"]
    assert MAX_PAGE_CELLS >= 5 * MAX_GRID_CELLS


def test_a_report_beside_a_hostile_table_is_read_with_a_warning():
    report = make_report("2021", 1)
    raw = render_html(report).replace(b"</body>", f"<table>{STAIRCASE}</table></body>".encode())
    parsed = parsers.parse(raw, "hostile.html")
    clean = parsers.parse(render_html(report), "clean.html")
    assert parsed.error is None
    assert parsed.cells == clean.cells
    assert any(f"{MAX_GRID_CELLS:,}" in w for w in parsed.warnings)


def test_a_page_whose_only_table_is_past_the_limit_is_one_error_line_naming_it():
    raw = ("<html><body><p>示例县2020年政府信息公开工作年度报告</p>"
           f"<table>{STAIRCASE}</table></body></html>").encode()
    report = parsers.parse(raw, "span.html")
    assert report.error is not None and report.error.startswith("span.html: html table 1: rows ")
    assert f"{MAX_GRID_CELLS:,}" in report.error and "\n" not in report.error
