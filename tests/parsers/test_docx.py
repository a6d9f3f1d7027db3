"""DOCX reports generated here (python-docx, merged cells; tests/synth_docs.py) read back cell for cell,
and legacy .doc through LibreOffice (skipped where soffice is absent)."""

from __future__ import annotations

import io
import subprocess
from functools import cache
from pathlib import Path

import pytest

from parsers import doc as docmod
from parsers import parse, sniff_format
from parsers.docx import body_blocks, table_grid
from tests.parsers.test_shapes import META_FIELDS, cell_problems
from tests.synth import make_report
from tests.synth_docs import render_docx

OPTIONS = {
    "plain": {},
    "blank_zeros": {"blank_zeros": True},
    "variants_extra": {"label_variants": True, "extra_row": True},
    "single_other": {"single_other": True},
    "inconsistent": {"inconsistent": True},
    "zero_heavy": {"zero_heavy": True},
}
SOFFICE = docmod.find_soffice()
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


@cache
def _docx(template: str, seed: int, option: str) -> tuple[dict, bytes]:
    report = make_report(template, seed, **OPTIONS[option])
    return report, render_docx(report)


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize(("template", "seed"), [("2019", 1), ("2019", 2), ("2021", 1), ("2021", 3)])
def test_every_cell_and_the_metadata_come_back_from_docx(template, seed, option):
    report, raw = _docx(template, seed, option)
    record = parse(raw, "synthetic.docx").to_record()
    assert record["format"] == "docx"
    assert cell_problems(report, record, "docx") == []
    assert {f: record[f] for f in META_FIELDS} == {f: report["expected"][f] for f in META_FIELDS}
    assert record["pages"] is None  # a Word file has no fixed pages


def test_inconsistent_docx_totals_are_kept_and_fail_their_check():
    report, raw = _docx("2021", 1, "inconsistent")
    record = parse(raw, "synthetic.docx").to_record()
    failed = {c["rule"].split(":")[0] for c in record["checks"] if c["ok"] is False}
    assert failed == set(report["failing_checks"]) and failed


def _merged_table_docx() -> bytes:
    from docx import Document

    document = Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "（三）不予公开"  # vMerge over two rows
    table.cell(0, 1).merge(table.cell(0, 2)).text = "申请人情况"  # gridSpan over two columns
    table.cell(1, 1).text = "1"
    table.cell(2, 0).text = "（四）无法提供"
    table.cell(2, 1).text = "3"  # (1, 2) and (2, 2) stay empty
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_merged_cells_are_none_and_empty_cells_are_empty_strings():
    from docx import Document

    document = Document(io.BytesIO(_merged_table_docx()))
    grids = [b for b in body_blocks(document) if not isinstance(b, str)]
    assert grids == [[["（三）不予公开", "申请人情况", None],
                      [None, "1", ""],
                      ["（四）无法提供", "3", ""]]]
    assert table_grid(document.tables[0]) == grids[0]


def test_sniffing_tells_docx_from_doc_from_zip():
    _, raw = _docx("2019", 1, "plain")
    assert sniff_format(raw) == "docx"
    assert sniff_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512) == "doc"
    assert sniff_format(b"PK\x03\x04" + b"\x00" * 64 + b"data.csv") == "zip"


# ---- legacy .doc ---------------------------------------------------------------------------------


def _to_doc(raw: bytes, tmp: Path) -> bytes:
    source = tmp / "report.docx"
    source.write_bytes(raw)
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless",
                    "--convert-to", "doc", "--outdir", str(tmp), str(source)],
                   check=True, capture_output=True, timeout=180)
    return (tmp / "report.doc").read_bytes()


@needs_soffice
@pytest.mark.parametrize(("template", "seed"), [("2019", 2), ("2021", 3)])
def test_a_legacy_doc_is_converted_and_read_cell_for_cell(tmp_path, template, seed):
    report, raw = _docx(template, seed, "blank_zeros")
    legacy = _to_doc(raw, tmp_path)
    assert sniff_format(legacy) == "doc"
    record = parse(legacy, "synthetic.doc").to_record()
    assert record["format"] == "doc"
    assert cell_problems(report, record, "doc") == []
    assert {f: record[f] for f in META_FIELDS} == {f: report["expected"][f] for f in META_FIELDS}


@needs_soffice
def test_a_damaged_doc_is_one_line_error():
    junk = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    report = parse(junk, "broken.doc")
    assert report.error is not None and report.error.startswith("broken.doc: ") and "\n" not in report.error
    assert report.to_record()["t3"] is None


def test_without_libreoffice_a_doc_says_so(monkeypatch):
    monkeypatch.setattr(docmod.shutil, "which", lambda name: None)
    report = parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024, "old.doc")
    assert report.error == "old.doc: .doc needs LibreOffice (soffice not found)"


def test_a_conversion_over_its_time_limit_is_stopped(tmp_path):
    with pytest.raises(docmod.ConversionFailed, match="took over 0.5 s"):
        docmod.run_bounded(["sleep", "30"], timeout_s=0.5)


def test_tables_inside_a_content_control_are_read():
    from docx import Document
    from docx.oxml import OxmlElement

    report, raw = _docx("2019", 1, "plain")
    document = Document(io.BytesIO(raw))
    body = document.element.body
    for tbl in list(body.iterchildren("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tbl")):
        sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
        tbl.addprevious(sdt)
        sdt.append(content)
        content.append(tbl)  # moves the table into the content control
    out = io.BytesIO()
    document.save(out)
    record = parse(out.getvalue(), "sdt.docx").to_record()
    assert cell_problems(report, record, "docx") == []
