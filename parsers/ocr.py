"""OCR of scanned PDFs, only where the optional `[ocr]` extra (rapidocr + onnxruntime) is installed.

Pages are rendered by pypdfium2 and read by RapidOCR (its models ship in the wheel: no download).
The boxes are grouped into lines top to bottom, cells of a line joined by " | " so that the text
readers see one table row per line (`label | v1 | v2 |`).
"""

from __future__ import annotations

import importlib.util
from functools import cache

RENDER_SCALE = 2.0  # 144 dpi


def available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("rapidocr", "onnxruntime"))


@cache
def _engine():  # noqa: ANN202 - rapidocr.RapidOCR
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "error"})


def pdf_page_texts(raw: bytes, pages: list[int]) -> dict[int, str]:
    """page number (1-based) -> the OCR text of that page, one table row per line."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(raw)
    try:
        out = {}
        for number in pages:
            page = doc[number - 1]
            out[number] = image_text(page.render(scale=RENDER_SCALE).to_pil())
            page.close()
        return out
    finally:
        doc.close()


def image_text(image) -> str:  # noqa: ANN001 - a PIL image
    import numpy as np

    result = _engine()(np.asarray(image.convert("RGB")))
    boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
    if boxes is None or texts is None:
        return ""
    items = [(min(p[1] for p in b), max(p[1] for p in b), min(p[0] for p in b), t)
             for b, t in zip(boxes, texts, strict=True)]
    return "\n".join(" | ".join(t for *_, t in line) + " |" for line in group_lines(items))


def group_lines(items: list[tuple[float, float, float, str]]) -> list[list[tuple[float, float, float, str]]]:
    """Boxes (top, bottom, left, text) whose vertical middles fall inside one another's span."""
    lines: list[list[tuple[float, float, float, str]]] = []
    for item in sorted(items):
        middle = (item[0] + item[1]) / 2
        if lines and lines[-1][0][0] <= middle <= lines[-1][0][1]:
            lines[-1].append(item)
        else:
            lines.append([item])
    return [sorted(line, key=lambda it: it[2]) for line in lines]
