"""Parser safety caps: hostile digit runs and span grids end in bounded time and memory, as a null
cell with a warning or one error line, never a hang, an overflow or a number made up."""

from __future__ import annotations

import time

import pytest

import parsers
from parsers.cells import MAX_DIGITS, UnreadableCell, read_count, read_money
from parsers.html import MAX_GRID_CELLS
from parsers.solver import MAX_CELL_DIGITS, Shape, solve

T3_LABELS = ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开", "（二）部分公开",
             "（七）总计", "四、结转下年度继续办理")


def _glued_text(digits: str) -> bytes:
    body = "".join(f"{label}{digits}\n" for label in T3_LABELS)
    return ("示例县2020年政府信息公开工作年度报告\n表三\n" + body).encode()


@pytest.mark.parametrize("digits", ["1" * 60, "9" * 400, "1234567890" * 40])
def test_long_glued_digit_runs_end_quickly_with_the_cells_null(digits):
    start = time.monotonic()
    report = parsers.parse(_glued_text(digits), "glued.txt")
    assert time.monotonic() - start < 30
    assert report.error is None
    assert all(c.value is None for c in report.table("t3") if c.row == "new_received")
    assert any("left null" in w for w in report.warnings)


def test_a_run_longer_than_any_row_has_no_reading():
    shape = Shape(("count",) * 3, ((0, 2),))
    assert solve("1" * (3 * MAX_CELL_DIGITS + 1), shape) == []
    assert solve("1 2 3", shape) == [("1", "2", "3")]


@pytest.mark.parametrize("read", [read_count, lambda t: read_money(t, 1)])
def test_a_number_of_too_many_digits_is_unreadable_not_an_overflow(read):
    with pytest.raises(UnreadableCell, match=f"over {MAX_DIGITS} digits"):
        read("9" * 320)
    assert read("9" * MAX_DIGITS).value == int("9" * MAX_DIGITS)


@pytest.mark.parametrize("table", [
    "<tr><td rowspan=999999>1</td><td>2</td></tr>" * 5000,
    ("<tr>" + "<td colspan=50>x</td>" * 200 + "</tr>") * 100,
])
def test_a_table_whose_spans_cover_too_much_is_one_error_line(table):
    raw = f"<html><body><p>示例县2020年政府信息公开工作年度报告</p><table>{table}</table></body></html>".encode()
    start = time.monotonic()
    report = parsers.parse(raw, "span.html")
    assert time.monotonic() - start < 30
    assert report.error == f"span.html: {report.error.split(': ', 1)[1]}" and f"{MAX_GRID_CELLS:,}" in report.error
