"""Born-digital PDF -> rows (pdfplumber tables; merged cells come back as None) and its text.

Full PDF support (scans, DOCX, hostile files, isolation) is issue #4; this reads the tables of
text PDFs through the same grid -> rows path as HTML.
"""

from __future__ import annotations

import io

from parsers.model import NotAReport, UnsupportedFormat
from parsers.rows import RawRow, grid_to_rows

MAX_PAGES = 200


def pdf_to_rows(raw: bytes) -> tuple[list[RawRow], str, str | None]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
    except Exception as exc:  # pdfminer raises many types for broken or encrypted files
        raise UnsupportedFormat(f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    with pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise UnsupportedFormat(f"PDF has {len(pdf.pages)} pages, over the {MAX_PAGES}-page limit")
        rows, texts = [], []
        for number, page in enumerate(pdf.pages, start=1):
            texts.append(page.extract_text() or "")
            for t, table in enumerate(page.extract_tables(), start=1):
                grid = [[_cell(c) for c in row] for row in table]
                rows.extend(grid_to_rows(grid, f"page {number} table {t}"))
    text = "\n".join(texts)
    if not text.strip():
        raise NotAReport("PDF has no text layer (a scan): its tables need OCR")
    return rows, text, None


def _cell(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split())
