"""The fast PDF table reader (pdfium's chars and lines under pdfplumber's table finder) against
pdfplumber alone, cell for cell: generated PDFs of both templates in several layouts, and the real
PDFs of ../shared. Where the fast reader is in doubt it hands the page to pdfplumber; these tests
also check that it did read tables itself, so they cannot pass by always handing over."""

from __future__ import annotations

from functools import cache

import pytest

from parsers import parse, pdf
from tests.synth import make_report
from tests.synth_docs import render_pdf

LAYOUTS = {
    "plain": {"t4_header": "plain"},
    "vertical_headers": {"t4_header": "vertical"},
    "multi_page_tables": {"break_t2": True, "break_t3": "group", "fragment": True},
    "row_split": {"break_t3": "row", "t4_header": "two_line"},
    "unruled": {"ruled": False},
}
OPTIONS = {"plain": {}, "blanks": {"blank_zeros": True, "blank_totals": True}, "extra": {"extra_row": True}}


@cache
def _raw(template: str, option: str, layout: str) -> bytes:
    return render_pdf(make_report(template, 3, **OPTIONS[option]), **LAYOUTS[layout])


def _shape(table: pdf.PdfTable) -> tuple:
    return table.page, table.index, table.grid, table.starts_page, table.ends_page, len(table.xs)


def assert_same_tables(raw: bytes) -> list[pdf.PdfTable]:
    fast, slow = pdf.read_tables(raw), pdf.read_tables(raw, fast=False)
    assert [_shape(t) for t in fast] == [_shape(t) for t in slow]
    for a, b in zip(fast, slow, strict=True):  # column edges: pdfium keeps them as 32-bit floats
        assert a.right == pytest.approx(b.right, abs=0.01)
        assert a.xs == pytest.approx(b.xs, abs=0.01)
    return fast


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("template", ["2019", "2021"])
def test_generated_pdfs_read_the_same_grids(template, option, layout):
    assert_same_tables(_raw(template, option, layout))


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_the_fast_reader_reads_generated_tables_itself(template):
    tables = assert_same_tables(_raw(template, "plain", "plain"))
    assert any(t.reader == "pdfium" for t in tables)  # 表二's page at least


@pytest.mark.parametrize("layout", ["plain", "multi_page_tables"])
def test_the_record_is_the_same_either_way(layout, monkeypatch):
    raw = _raw("2021", "blanks", layout)
    fast = parse(raw, "x.pdf").to_record()
    monkeypatch.setattr(pdf, "fast_tables", lambda layer, number: None)
    assert parse(raw, "x.pdf").to_record() == fast


REAL = ["2023-huaian-hongze-pdf", "2024-huaian-hongze-pdf", "2024-huaian-city-pdf"]


@pytest.mark.parametrize("name", REAL)
def test_the_real_pdfs_read_the_same_grids(shared_file, name):
    tables = assert_same_tables(shared_file(f"corpus/raw/{name}.pdf").read_bytes())
    assert any(t.reader == "pdfium" for t in tables)


def test_a_doubtful_glyph_sends_the_page_to_pdfplumber():
    cells = [(0.0, 0.0, 50.0, 20.0), (50.0, 0.0, 100.0, 20.0)]
    glyph = {"text": "1", "x0": 45.0, "x1": 50.0, "top": 5.0, "bottom": 15.0, "size": 10.0, "width_doubt": 2.0}
    assert pdf.placement_doubt(cells, [glyph]) is None
    wide = dict(glyph, x0=46.0, x1=54.0)  # its middle on the column edge
    assert "cell edge" in pdf.placement_doubt(cells, [wide])
    near_break = [dict(glyph, x0=10.0, x1=15.0), dict(glyph, x0=18.2, x1=23.0)]  # 3.2 pt apart
    assert "word break" in pdf.placement_doubt(cells, near_break)
