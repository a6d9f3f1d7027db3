"""Hostile and broken files, all generated here: each gets one clear line in `error`, within the
per-document time and memory limits of pipeline.engine.isolate, and never stops a batch."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from parsers.docx import MAX_RATIO, MAX_UNZIPPED, RATIO_FLOOR
from parsers.pdf import MAX_PAGES
from pipeline.engine.isolate import parse_isolated
from pipeline.engine.orchestrate import run_pipeline
from tests.synth import make_report
from tests.synth_docs import render_docx, render_pdf

TIMEOUT_S = 30.0
MEMORY_MB = 1024


def _canvas_pdf(pages: int, text: str = "示例县人民政府 page", encrypt=None, draw_text: bool = True) -> bytes:
    from reportlab.pdfgen import canvas

    from tests.synth_docs import _font

    out = io.BytesIO()
    c = canvas.Canvas(out, encrypt=encrypt)
    for n in range(pages):
        if draw_text:
            c.setFont(_font(), 12)
            c.drawString(72, 720, f"{text} {n + 1}")
        else:  # a scan: an image-like filled area and no text at all
            c.rect(72, 72, 400, 600, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption

    return _canvas_pdf(1, encrypt=StandardEncryption("user-secret", "owner-secret"))


def zip_bomb(megabytes: int, name: str = "word/document.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open(name, "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return out.getvalue()


def spread_bomb() -> bytes:
    """Members each small enough to pass the ratio check, together expanding past the limit."""
    out = io.BytesIO()
    payload = b"\0" * RATIO_FLOOR
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(MAX_UNZIPPED // RATIO_FLOOR + 1):
            z.writestr(f"word/media/pad{i}.bin", payload)
    return out.getvalue()


def good_pdf() -> bytes:
    return render_pdf(make_report("2021", 5), break_t3="group")


def _isolated(raw: bytes, source: str):
    start = time.monotonic()
    report = parse_isolated(raw, source, timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB, max_bytes=32 << 20,
                            bad_cells="null")
    return report, time.monotonic() - start


HOSTILE = {
    "encrypted.pdf": (encrypted_pdf, "encrypted PDF (a password is needed to open it)"),
    "truncated.pdf": (lambda: good_pdf()[: len(good_pdf()) // 2], "unreadable PDF: damaged or truncated"),
    "five-hundred-pages.pdf": (lambda: _canvas_pdf(500), f"PDF has 500 pages, over the {MAX_PAGES}-page limit"),
    "scan.pdf": (lambda: _canvas_pdf(3, draw_text=False),
                 "scanned PDF (no text layer on 3 pages)"),
    "bomb.docx": (lambda: zip_bomb(64), f"over the {MAX_RATIO}× limit (a zip bomb?)"),
    "spread-bomb.docx": (spread_bomb, f"over the {MAX_UNZIPPED >> 20} MB limit (a zip bomb?)"),
    "not-a-docx.docx": (lambda: b"PK\x03\x04" + b"word/" + bytes(range(256)) * 4, "unreadable DOCX"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_gets_one_clear_line_within_the_limits(name):
    make, message = HOSTILE[name]
    report, seconds = _isolated(make(), name)
    assert report.error is not None and message in report.error
    assert report.error.startswith(f"{name}: ") and "\n" not in report.error
    assert report.to_record()["t3"] is None and report.cells == []
    assert seconds < TIMEOUT_S


def test_a_scan_is_never_read_as_zeros():
    report, _ = _isolated(_canvas_pdf(2, draw_text=False), "scan.pdf")
    assert report.error.startswith("scan.pdf: scanned PDF (no text layer on 2 pages)")
    assert report.template is None and report.cells == [] and report.to_record()["t2"] is None


def test_a_pdf_that_is_really_html_is_read_as_html():
    from tests.synth import SHAPES

    raw = SHAPES["html"](make_report("2019", 1))
    report, _ = _isolated(raw, "report.pdf")
    assert report.format == "html" and report.error is None and report.template == "2019"


def test_a_mixed_pdf_whose_tables_are_scans_says_which_pages():
    from reportlab.pdfgen import canvas

    from tests.synth_docs import _font

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont(_font(), 12)
    c.drawString(72, 720, "示例县2022年政府信息公开工作年度报告")
    c.showPage()
    c.rect(72, 72, 400, 600, fill=1)  # the tables, as an image
    c.showPage()
    c.save()
    report, _ = _isolated(out.getvalue(), "mixed.pdf")
    assert report.error.startswith("mixed.pdf: scanned PDF (no text layer on 1 of 2 pages, page 2): ")
    assert report.template is None and report.cells == []


def test_a_batch_with_hostile_files_still_reads_the_good_ones(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.pdf").write_bytes(good_pdf())
    (raw / "good.docx").write_bytes(render_docx(make_report("2019", 3)))
    (raw / "encrypted.pdf").write_bytes(encrypted_pdf())
    (raw / "bomb.docx").write_bytes(zip_bomb(16))
    (raw / "truncated.pdf").write_bytes(good_pdf()[:3000])
    summary = run_pipeline(raw, tmp_path / "clean", formats=("csv",))
    assert (summary.documents, summary.parsed, summary.failed) == (5, 2, 3)
    assert sorted(e.split(":")[0] for e in summary.errors) == ["bomb.docx", "encrypted.pdf", "truncated.pdf"]
