"""Scanned PDFs read by OCR: only where the optional `[ocr]` extra is installed (skipped otherwise;
CI does not install it). The scan is made here: a synthetic report rendered to images by pypdfium2
and wrapped in an image-only PDF. pypdfium2 needs a CJK system font to draw the (not embedded)
CID font of the synthetic PDF, so the test also skips where fontconfig knows none.

OCR misreads whole rows (labels wrapped over lines, `—` read as `一`), so the test asks for what
the parser promises: the scan is recognised, the metadata and template are right, no cell is
silently wrong (each is right, or null with a warning naming it), and most cells are read.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from parsers import ocr, parse
from tests.parsers.test_pdf import null_is_named
from tests.parsers.test_shapes import META_FIELDS, flat_cells
from tests.synth import make_report
from tests.synth_docs import render_pdf


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout
    return bool(out.strip())


pytestmark = pytest.mark.skipif(not (ocr.available() and _has_cjk_font()),
                                reason="the [ocr] extra or a CJK system font is not installed")


def scanned(raw: bytes) -> bytes:
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    doc = pdfium.PdfDocument(raw)
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for i in range(len(doc)):
        width, height = doc[i].get_size()
        c.setPageSize((width, height))
        c.drawImage(ImageReader(doc[i].render(scale=2).to_pil()), 0, 0, width, height)
        c.showPage()
    c.save()
    return out.getvalue()


def test_a_scanned_report_is_read_by_ocr_and_nothing_is_silently_wrong():
    report = make_report("2021", 1)
    raw = scanned(render_pdf(report))
    record = parse(raw, "scan.pdf").to_record()
    assert {f: record[f] for f in META_FIELDS} == {f: report["expected"][f] for f in META_FIELDS}
    got, want = flat_cells(record), flat_cells(report["expected"])
    wrong = [k for k, v in want.items() if got.get(k) is not None and got[k] != v]
    silent = [k for k in want if got.get(k) is None and not null_is_named(record, k)]
    right = sum(1 for k, v in want.items() if got.get(k) == v)
    assert wrong == [] and silent == []
    assert right >= 0.7 * len(want)
